import Link from 'next/link';
import { LocalTime } from '@/components/LocalTime';
import type { KycStatus } from '@/server/domain/kyc';

export const DOCUMENT_LABELS = { passport: 'Passport', id_card: 'ID card', driving_licence: 'Driving licence' } as const;
/** The same within a sentence ("your ID card ending …"). */
export const DOCUMENT_NOUNS = { passport: 'passport', id_card: 'ID card', driving_licence: 'driving licence' } as const;

/** One line on the dashboard: where the identity check stands, and what to do about it. */
export function KycStatusLine({ status }: { status: KycStatus }) {
  if (status.status === 'not_submitted') {
    return (
      <p className="muted" data-testid="kyc-status">
        Identity: <span className="badge pending">not verified</span> <Link href="/kyc">Verify your identity</Link>
      </p>
    );
  }
  return (
    <p className="muted" data-testid="kyc-status">
      Identity: <span className="badge submitted">under review</span> since <LocalTime iso={status.submittedAt} /> ·{' '}
      {DOCUMENT_LABELS[status.documentType]} ending {status.documentLast4}
    </p>
  );
}
