import type { Metadata } from 'next';
import { LocalTime } from '@/components/LocalTime';
import { PayButton } from '@/components/qr/PayButton';
import { RequestStateBadge } from '@/components/qr/RequestStateBadge';
import { formatCents } from '@/lib/format';
import { paymentCodeFrom } from '@/lib/payment-link';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { findPayableRequest, type PayableRequestView } from '@/server/domain/qr';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Pay · Drop' };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function RequestToPay({ request, viewerId }: { request: PayableRequestView; viewerId: string }) {
  return (
    <section className="card" aria-label="Payment request" data-testid="request-to-pay">
      <div className="row">
        <h2>
          {formatCents(request.amountCents)} to {request.payee.name}
        </h2>
        <RequestStateBadge state={request.state} />
      </div>
      {request.description ? <p className="qrDescription">{request.description}</p> : null}
      {request.payee.id === viewerId ? (
        <p className="error" role="status">
          This is your own payment request: someone else has to pay it.
        </p>
      ) : request.paidByViewerAt ? (
        <div className="receipt" data-testid="pay-receipt">
          <p className="success" role="status">
            You paid {formatCents(request.amountCents)} to {request.payee.name} on <LocalTime iso={request.paidByViewerAt} />.
          </p>
          {request.paidByViewerTransferId ? (
            <p className="muted">
              Reference <code>{request.paidByViewerTransferId}</code>
            </p>
          ) : null}
        </div>
      ) : request.state === 'paid' ? (
        <p className="error" role="status">
          This request has already been paid. Nothing more is due.
        </p>
      ) : request.state === 'expired' ? (
        <p className="error" role="status">
          This request expired on <LocalTime iso={request.expiresAt} />. Ask {request.payee.name} for a new code.
        </p>
      ) : (
        <>
          <p className="muted">
            Can be paid until <LocalTime iso={request.expiresAt} relative />.
          </p>
          <PayButton
            code={request.code}
            amountCents={request.amountCents}
            payee={{ name: request.payee.name, email: request.payee.email }}
            description={request.description}
          />
        </>
      )}
    </section>
  );
}

/**
 * The payer's side: the page a request's QR code and link open (`/pay?code=…`), or where a code or link is pasted;
 * it shows what the request asks, then pays it after a review. Signed out, sign-in comes back here with the code.
 */
export default async function PayPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).code;
  const entered = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  const user = await requireUser(entered ? `/pay?code=${encodeURIComponent(entered)}` : '/pay');
  const code = entered ? paymentCodeFrom(entered) : undefined;
  const { db } = await getDatabase();
  const request = code ? await findPayableRequest(db, code, user.id) : undefined;
  return (
    <>
      <section className="card">
        <h1>Pay a QR code</h1>
        <p className="muted">Scan the code with your phone&apos;s camera, or paste the code or its link here.</p>
        <form method="get" action="/pay" aria-label="Find a payment request" key={entered}>
          <label>
            Code or link
            <input name="code" defaultValue={entered} required placeholder="https://…/pay?code=…" className="mono" />
          </label>
          <button type="submit">Look up</button>
        </form>
        {entered && !code ? (
          <p className="error" role="alert">
            This is neither a payment code nor a payment link. Copy the whole link, or the code shown under the QR code.
          </p>
        ) : null}
        {code && !request ? (
          <p className="error" role="alert">
            No payment request has this code. Check the code or link and try again.
          </p>
        ) : null}
      </section>
      {request ? <RequestToPay request={request} viewerId={user.id} /> : null}
    </>
  );
}
