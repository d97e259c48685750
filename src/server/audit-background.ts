import { startAuditCheckpointTimer } from '@audit';
import { getLogger } from '@otel';
import { getAuditCheckpointer } from './auth/audit-keys';
import { getDatabase } from './db';
import { isDatabaseUnavailable } from './db/errors';
import { noteDatabaseUnavailable } from './db/outage';
import { auditSequencerFor } from './domain/audit';

/** How often each process looks for audit entries another process committed and never sealed. */
export const AUDIT_SWEEP_INTERVAL_MS = 5_000;

/**
 * The audit trail's background work in each app process, whatever AUDIT_WRITE_MODE says: entries left in
 * audit_pending by a process that died between commit and seal are sealed at start-up and then on a timer; every
 * AUDIT_CHECKPOINT_SECONDS the head is checkpointed if it moved, traffic or not.
 */
export async function startAuditBackgroundWork(): Promise<void> {
  let db;
  try {
    db = (await getDatabase()).db;
  } catch (error) {
    if (!isDatabaseUnavailable(error)) {
      getLogger().error({ err: error, 'event.name': 'audit.background_not_started' }, 'audit background work not started');
      return;
    }
    // The database is away at start-up (its outage is logged once): start as soon as it is back, no restart needed.
    setTimeout(() => void startAuditBackgroundWork(), AUDIT_SWEEP_INTERVAL_MS).unref();
    return;
  }
  auditSequencerFor(db).sweep(AUDIT_SWEEP_INTERVAL_MS);
  startAuditCheckpointTimer(db, getAuditCheckpointer(), (error) => {
    if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
    else getLogger().error({ err: error, 'event.name': 'audit.checkpoint_failed' }, 'time-based audit checkpoint failed');
  });
}
