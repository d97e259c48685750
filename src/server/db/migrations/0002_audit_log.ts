import type { Migration } from 'kysely';
import { auditLogMigration } from '@audit';
import type { Dialect } from '../connect';

/**
 * The audit trail's tables, triggers and indexes belong to the audit module (audit/), which owns their
 * SQL for each dialect; the app runs it in its migration order. Retention: 5 years, no automatic deletion
 * (PSD2 Art. 21, AMLD Art. 40) — see docs/AUDIT.md.
 */
export const auditLog = (dialect: Dialect): Migration => auditLogMigration(dialect);
