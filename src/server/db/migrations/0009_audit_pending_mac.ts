import type { Migration } from 'kysely';
import { auditPendingMacMigration } from '@audit';
import type { Dialect } from '../connect';

/** Queued audit entries authenticated by the app, refused entries kept aside, sealed nonces kept (audit/, docs/AUDIT.md). */
export const auditPendingMac = (dialect: Dialect): Migration => auditPendingMacMigration(dialect);
