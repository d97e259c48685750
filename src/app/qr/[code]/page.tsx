import type { Metadata } from 'next';
import { headers } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { AutoRefresh } from '@/components/AutoRefresh';
import { LocalTime } from '@/components/LocalTime';
import { CopyLinkButton } from '@/components/qr/CopyLinkButton';
import { RequestStateBadge } from '@/components/qr/RequestStateBadge';
import { formatCents } from '@/lib/format';
import { payPageUrl } from '@/lib/payment-link';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { findOwnPaymentRequest } from '@/server/domain/qr';
import { publicOrigin } from '@/server/http/public-origin';
import { qrCodeDataUrl } from '@/server/qr-image';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Payment request · Drop' };

/**
 * The payee's view of one request: its QR code and link while it can be paid, then who paid it or that it expired.
 * The address is shareable: anyone else who opens it is taken to the payer's view of the same request (/pay).
 */
export default async function PaymentRequestPage({ params }: { params: Promise<{ code: string }> }) {
  const { code } = await params;
  const user = await requireUser(`/qr/${encodeURIComponent(code)}`);
  const { db } = await getDatabase();
  const request = await findOwnPaymentRequest(db, user.id, code);
  if (!request) redirect(`/pay?code=${encodeURIComponent(code)}`);
  const origin = publicOrigin(await headers());
  // The https link to this app's /pay page is what a phone's camera opens; without a known origin, the drop:// link.
  const link = origin ? payPageUrl(origin, request.code) : request.payload;
  const image = request.state === 'open' ? await qrCodeDataUrl(link) : undefined;
  return (
    <section className="card qrCard">
      <div className="row">
        <h1>{formatCents(request.amountCents)}</h1>
        <RequestStateBadge state={request.state} />
      </div>
      {request.description ? <p className="qrDescription">{request.description}</p> : null}
      {image ? (
        <>
          {/* A data: URL generated here: nothing for next/image to fetch, resize or cache. */}
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img
            className="qrImage"
            src={image}
            width={280}
            height={280}
            alt={`QR code to pay ${formatCents(request.amountCents)}`}
            data-testid="qr-image"
          />
          <p className="muted">
            Show this code to the person paying: their phone&apos;s camera opens it. It can be paid once, until{' '}
            <LocalTime iso={request.expiresAt} relative />.
          </p>
          <label>
            Or send them the link
            <input className="mono" readOnly value={link} data-testid="pay-link" />
          </label>
          <CopyLinkButton link={link} />
          <p className="muted small">
            Code: <code data-testid="pay-code">{request.code}</code>
            <br />
            In a Drop app: <code data-testid="drop-link">{request.payload}</code>
          </p>
          <AutoRefresh />
        </>
      ) : request.state === 'paid' ? (
        <p className="success" role="status">
          Paid by {request.paidBy?.name ?? 'a Drop user'} on <LocalTime iso={request.paidAt!} />. The money is in your balance.
        </p>
      ) : (
        <p className="error" role="status">
          This request expired on <LocalTime iso={request.expiresAt} /> without being paid. Create a new one to get paid.
        </p>
      )}
      <p>
        <Link href="/qr">All your requests</Link>
      </p>
    </section>
  );
}
