import type { Metadata } from 'next';
import Link from 'next/link';
import { DOCUMENT_NOUNS } from '@/components/kyc/KycStatusLine';
import { KycForm } from '@/components/kyc/KycForm';
import { LocalTime } from '@/components/LocalTime';
import { requireUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { kycStatus } from '@/server/domain/kyc';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Identity · Drop' };

export default async function KycPage() {
  const user = await requireUser('/kyc');
  const { db } = await getDatabase();
  const status = await kycStatus(db, user.id);
  return (
    <section className="card">
      <h1>Verify your identity</h1>
      {status.status === 'submitted' ? (
        <div role="status" data-testid="kyc-review">
          <p>
            <span className="badge submitted">under review</span>
          </p>
          <p>
            We received your {DOCUMENT_NOUNS[status.documentType]} ending <strong>{status.documentLast4}</strong> on{' '}
            <LocalTime iso={status.submittedAt} relative /> and are reviewing it. There is nothing more to do: you can send new documents
            only once this review is finished.
          </p>
          <p>
            <Link href="/">Back to your dashboard</Link>
          </p>
        </div>
      ) : (
        <>
          <p className="muted">
            The law asks payment services to know who their users are. We keep your document number only in a form that cannot be read back,
            and its last four characters.
          </p>
          <KycForm />
        </>
      )}
    </section>
  );
}
