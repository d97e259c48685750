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
