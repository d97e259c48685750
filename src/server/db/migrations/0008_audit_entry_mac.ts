import type { Migration } from 'kysely';
import { auditMacMigration } from '@audit';
import type { Dialect } from '../connect';

/** Audit entries authenticated by a key outside the database; REPLACE and backdated entries refused (audit/, docs/AUDIT.md). */
export const auditEntryMac = (dialect: Dialect): Migration => auditMacMigration(dialect);
