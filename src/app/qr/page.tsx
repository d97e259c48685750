import type { Metadata } from 'next';
import Link from 'next/link';
import { LocalTime } from '@/components/LocalTime';
import { PaymentRequestForm } from '@/components/qr/PaymentRequestForm';
import { RequestStateBadge } from '@/components/qr/RequestStateBadge';
import { formatCents } from '@/lib/format';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { listPaymentRequests } from '@/server/domain/qr';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Get paid · Drop' };

export default async function GetPaidPage() {
  const user = await requireUser('/qr');
  const { db } = await getDatabase();
  const requests = await listPaymentRequests(db, user.id);
  return (
    <>
      <section className="card">
        <h1>Get paid with a QR code</h1>
        <p className="muted">
          Create a request, show its QR code to whoever pays: they scan it (or paste its code) in Drop. A code can be paid once, within 24
          hours.
        </p>
        <PaymentRequestForm />
      </section>
      <section className="card">
        <h2>Your requests</h2>
        {requests.length === 0 ? (
          <p className="muted">No requests yet.</p>
        ) : (
          <table data-testid="payment-requests" className="stack">
            <thead>
              <tr>
                <th>Created</th>
                <th>What for</th>
                <th>Status</th>
                <th className="amount">Amount</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.code} data-code={r.code}>
                  <td>
                    <Link href={`/qr/${r.code}`}>
                      <LocalTime iso={r.createdAt} relative />
                    </Link>
                  </td>
                  <td className="note">{r.description ?? <span className="muted">—</span>}</td>
                  <td>
                    <RequestStateBadge state={r.state} />
                    {r.paidBy ? <span className="muted"> by {r.paidBy.name}</span> : null}
                  </td>
                  <td className="amount">{formatCents(r.amountCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
