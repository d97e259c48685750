import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { AutoRefresh } from '@/components/AutoRefresh';
import { RequestStateBadge } from '@/components/qr/RequestStateBadge';
import { formatCents } from '@/lib/format';
import { currentUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { findOwnPaymentRequest } from '@/server/domain/qr';
import { qrCodeDataUrl } from '@/server/qr-image';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Payment request · Drop' };

const when = (iso: string) => new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' });

/** The payee's view of one request: its QR code while it can be paid, and then who paid it or that it expired. */
export default async function PaymentRequestPage({ params }: { params: Promise<{ code: string }> }) {
  const user = await currentUser();
  if (!user) redirect('/login');
  const { code } = await params;
  const { db } = await getDatabase();
  const request = await findOwnPaymentRequest(db, user.id, code);
  if (!request) notFound();
  const image = request.state === 'open' ? await qrCodeDataUrl(request.payload) : undefined;
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
          <p className="muted">Show this code to the person paying. It can be paid once, until {when(request.expiresAt)} UTC.</p>
          <label>
            Or send them the link
            <input className="mono" readOnly value={request.payload} data-testid="pay-link" />
          </label>
          <p className="muted">
            Code: <code data-testid="pay-code">{request.code}</code>
          </p>
          <AutoRefresh />
        </>
      ) : request.state === 'paid' ? (
        <p className="success" role="status">
          Paid by {request.paidBy?.name ?? 'a Drop user'} on {when(request.paidAt!)} UTC. The money is in your balance.
        </p>
      ) : (
        <p className="error" role="status">
          This request expired on {when(request.expiresAt)} UTC without being paid. Create a new one to get paid.
        </p>
      )}
      <p>
        <Link href="/qr">All your requests</Link>
      </p>
    </section>
  );
}
