import { sql, type Kysely, type Migration } from 'kysely';
import type { AuditSqlDialect } from './migration';

/**
 * Entries only the app can make, and a trail that only grows forward:
 * - `audit_log.mac`: each entry's HMAC under a key that is not in the database (audit/entry-mac.ts). Entries written
 *   before this migration have none; the verifier accepts that only up to AUDIT_MAC_LEGACY_UNTIL (docs/AUDIT.md).
 * - an insert whose id is already taken is refused before SQLite's REPLACE (or `INSERT OR REPLACE`, an upsert) can
 *   delete the old row: a REPLACE deletes without firing DELETE triggers unless recursive_triggers is on, a setting
 *   of the connection that does the REPLACE, so only a BEFORE INSERT trigger stops it whoever connects.
 *   PostgreSQL has no REPLACE; its upsert (ON CONFLICT DO UPDATE) is an UPDATE, which the append-only trigger refuses.
 * - an entry whose timestamp is before its predecessor's is refused, on both databases.
 */
async function sqlite(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN mac TEXT`.execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_log_insert_checks BEFORE INSERT ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: REPLACE of an existing entry rejected')
    WHERE EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id);
  SELECT RAISE(ABORT, 'audit_log timestamps never go backwards: entry rejected')
    WHERE NEW.timestamp < (SELECT timestamp FROM audit_log WHERE id = NEW.id - 1);
END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
BEGIN
  SELECT RAISE(ABORT, 'audit_checkpoints is append-only: REPLACE of an existing checkpoint rejected')
    WHERE EXISTS (SELECT 1 FROM audit_checkpoints WHERE tree_size = NEW.tree_size);
END`,
    )
    .execute(db);
}

async function postgres(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN mac text`.execute(db);
  await sql
    .raw(
      `CREATE FUNCTION audit_log_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."timestamp" < (SELECT p."timestamp" FROM audit_log p WHERE p.id = NEW.id - 1) THEN
    RAISE EXCEPTION 'audit_log timestamps never go backwards: entry % rejected', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$`,
    )
    .execute(db);
  await sql
    .raw(`CREATE TRIGGER audit_log_insert_checks BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_check_insert()`)
    .execute(db);
}

/** The MAC column and the insert checks; the app includes it after the audit trust migration. */
export function auditMacMigration(dialect: AuditSqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await (dialect === 'postgres' ? postgres(db) : sqlite(db));
    },
  };
}
