import { redirect } from 'next/navigation';
import { SendMoneyForm } from '@/components/SendMoneyForm';
import { SignOutButton } from '@/components/SignOutButton';
import { formatCents } from '@/lib/format';
import { currentUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { listTransfers } from '@/server/domain/transfers';

export const dynamic = 'force-dynamic';

export default async function DashboardPage() {
  const user = await currentUser();
  if (!user) redirect('/login');
  const { db } = await getDatabase();
  const transfers = await listTransfers(db, user.id, 20);
  return (
    <>
      <section className="card">
        <div className="row">
          <div>
            <p className="muted">Signed in as {user.name} ({user.email})</p>
            <p className="muted">Balance</p>
            <p className="balance" data-testid="balance">
              {formatCents(user.balance_cents)}
            </p>
          </div>
          <SignOutButton />
        </div>
      </section>
      <section className="card">
        <h2>Send money</h2>
        <SendMoneyForm />
      </section>
      <section className="card">
        <h2>Recent transfers</h2>
        {transfers.length === 0 ? (
          <p className="muted">No transfers yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>With</th>
                <th>Status</th>
                <th className="amount">Amount</th>
              </tr>
            </thead>
            <tbody>
              {transfers.map((t) => (
                <tr key={t.id}>
                  <td>{new Date(t.createdAt).toLocaleString('en-GB', { timeZone: 'UTC' })}</td>
                  <td>{t.direction === 'sent' ? `to ${t.to.email}` : `from ${t.from.email}`}</td>
                  <td>
                    <span className={`badge ${t.status}`}>{t.status}</span>
                  </td>
                  <td className="amount">
                    {t.direction === 'sent' ? '−' : '+'}
                    {formatCents(t.amountCents)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
