import type { Migration } from 'kysely';
import { auditTrustMigration } from '@audit';
import type { Dialect } from '../connect';

/** Signed checkpoints of the audit chain and the per-user keys of its personal data (audit/, docs/AUDIT.md). */
export const auditTrust = (dialect: Dialect): Migration => auditTrustMigration(dialect);
