import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../../src/server/db/connect';
import type { Database } from '../../src/server/db/schema';

/**
 * Runs `tamper` the way an attacker with the database owner's rights would: with the append-only triggers out
 * of the way (PostgreSQL: disabled; SQLite: dropped and recreated from their stored SQL).
 */
export async function asDatabaseOwner(handle: DatabaseHandle, tamper: (db: Kysely<Database>) => Promise<void>): Promise<void> {
  const { db } = handle;
  if (handle.dialect === 'postgres') {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(db);
    try {
      await tamper(db);
    } finally {
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(db);
    }
    return;
  }
  const { rows: triggers } = await sql<{ name: string; sql: string }>`
    SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'`.execute(db);
  for (const trigger of triggers) await sql.raw(`DROP TRIGGER ${trigger.name}`).execute(db);
  try {
    await tamper(db);
  } finally {
    for (const trigger of triggers) await sql.raw(trigger.sql).execute(db);
  }
}

/**
 * Writes the rows' `user_id`, `prev_hash` and `hash` over the stored entries of the same ids and points the chain
 * head at the last row: a consistent rewrite of the chain (or the genuine rows put back). Run inside asDatabaseOwner.
 */
export async function overwriteAuditChain(
  db: Kysely<Database>,
  rows: readonly { id: number; user_id: string | null; prev_hash: string; hash: string }[],
): Promise<void> {
  for (const row of rows) {
    await db
      .updateTable('audit_log')
      .set({ user_id: row.user_id, prev_hash: row.prev_hash, hash: row.hash })
      .where('id', '=', row.id)
      .execute();
  }
  await db
    .updateTable('audit_chain_head')
    .set({ last_hash: rows.at(-1)!.hash })
    .where('id', '=', 1)
    .execute();
}

/** Makes every INSERT into audit_log fail inside the database (a real fault, not a mock) until `restore()`. */
export async function failAuditInserts(handle: DatabaseHandle): Promise<{ restore(): Promise<void> }> {
  const { db } = handle;
  if (handle.dialect === 'postgres') {
    await sql`CREATE FUNCTION audit_log_injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected audit failure'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_log_injected_fault BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_injected_fault()`.execute(db);
    return {
      async restore() {
        await sql`DROP TRIGGER audit_log_injected_fault ON audit_log`.execute(db);
        await sql`DROP FUNCTION audit_log_injected_fault()`.execute(db);
      },
    };
  }
  await sql`CREATE TRIGGER audit_log_injected_fault BEFORE INSERT ON audit_log
    BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END`.execute(db);
  return {
    async restore() {
      await sql`DROP TRIGGER audit_log_injected_fault`.execute(db);
    },
  };
}
