import type { Migration } from 'kysely';
import type { Dialect } from '../connect';
import { initial } from './0001_initial';
import { auditLog } from './0002_audit_log';
import { auditTrust } from './0003_audit_trust';
import { transferCancelled } from './0004_transfer_cancelled';
import { transferFailureReason } from './0005_transfer_failure_reason';
import { rateLimits } from './0006_rate_limits';
import { sessionRole } from './0007_session_role';
import { auditEntryMac } from './0008_audit_entry_mac';
import { auditPendingMac } from './0009_audit_pending_mac';
import { erasableColumnsUnsampled } from './0010_erasable_columns_unsampled';

/**
 * The migrations for one dialect, ordered by name; most are the same on both, a few (triggers) need dialect SQL.
 * Never edit a migration that has shipped, add a new one.
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initial,
    '0002_audit_log': auditLog(dialect),
    '0003_audit_trust': auditTrust(dialect),
    '0004_transfer_cancelled': transferCancelled(dialect),
    '0005_transfer_failure_reason': transferFailureReason,
    '0006_rate_limits': rateLimits(dialect),
    '0007_session_role': sessionRole,
    '0008_audit_entry_mac': auditEntryMac(dialect),
    '0009_audit_pending_mac': auditPendingMac(dialect),
    '0010_erasable_columns_unsampled': erasableColumnsUnsampled(dialect),
  };
}
