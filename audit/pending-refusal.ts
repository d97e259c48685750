import { getLogger } from '@otel';
import type { MacProblem } from './entry-mac';

/** The event name of the error logged for each queued entry the sealer refuses to chain (moved to audit_pending_refused). */
export const AUDIT_PENDING_REFUSED_EVENT = 'audit.pending_refused';

export type PendingProblem =
  | MacProblem
  /** The MAC is right but an entry with this nonce was sealed already: a copy of a genuine queued entry. */
  | 'replayed';

export const PENDING_PROBLEM_MESSAGES: Record<PendingProblem, string> = {
  missing: 'has no MAC: it was not queued by the app',
  unknown_key: 'is authenticated with a key that is not configured (AUDIT_MAC_KEY, AUDIT_MAC_PREVIOUS_KEYS)',
  mismatch: 'has a MAC that does not match: it was not queued by the app, or changed since',
  replayed: 'repeats the nonce of an entry already sealed: a copy of a genuine queued entry',
};

export interface PendingRefusal {
  seq: number;
  problem: PendingProblem;
}

/**
 * A queued entry the app did not make (or a copy of one it did): not chained, moved to `audit_pending_refused` for
 * investigation, and said at error level (alerted like every error) as a code and a message, never the row.
 */
export function logAuditPendingRefused(refusal: PendingRefusal): void {
  getLogger().error(
    {
      'event.name': AUDIT_PENDING_REFUSED_EVENT,
      'audit.pending.seq': refusal.seq,
      'audit.entry.problem': refusal.problem,
    },
    `queued audit entry ${refusal.seq} refused: it ${PENDING_PROBLEM_MESSAGES[refusal.problem]} (${refusal.problem}); ` +
      'kept in audit_pending_refused, not chained',
  );
}
