import { KycStatusLine } from '@/components/kyc/KycStatusLine';
import { SendMoneyForm } from '@/components/SendMoneyForm';
import { TransferTable } from '@/components/transfers/TransferTable';
import { formatCents } from '@/lib/format';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { kycStatus } from '@/server/domain/kyc';
import { listTransfers } from '@/server/domain/transfers';

export const dynamic = 'force-dynamic';

export default async function DashboardPage() {
  const user = await requireUser('/');
  const { db } = await getDatabase();
  const [transfers, kyc] = await Promise.all([listTransfers(db, user.id, 20), kycStatus(db, user.id)]);
  return (
    <>
      <section className="card">
        <p className="muted">
          Signed in as {user.name} <span className="email">({user.email})</span>
        </p>
        <p className="muted">Balance</p>
        <p className="balance" data-testid="balance">
          {formatCents(user.balance_cents)}
        </p>
        <KycStatusLine status={kyc} />
      </section>
      <section className="card">
        <h2>Send money</h2>
        <SendMoneyForm />
      </section>
      <section className="card">
        <h2>Recent transfers</h2>
        <TransferTable transfers={transfers} />
      </section>
    </>
  );
}
