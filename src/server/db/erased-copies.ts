import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

/** The tables an erasure changes: the destroyed audit key, the cleared user row, the deleted sessions. */
export const ERASURE_TABLES = ['audit_user_keys', 'users', 'sessions'] as const;

/** Whether every copy the database keeps of what an erasure removed is gone, and if not, why. */
export type CopiesRemoved = { removed: true; note?: string } | { removed: false; reason: string };

/**
 * SQLite: copies the WAL into the database file and truncates it (PRAGMA wal_checkpoint(TRUNCATE)), so the pages that
 * held the destroyed key and the cleared fields exist nowhere but in their overwritten form (the erasure ran with
 * secure_delete on). A reader of an older snapshot blocks it: tried for about 5 s.
 */
export async function emptySqliteWal(db: Kysely<Database>): Promise<CopiesRemoved> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { rows } = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    if (rows[0] && Number(rows[0].busy) === 0) return { removed: true };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    removed: false,
    reason:
      'the SQLite WAL could not be emptied (a reader kept it busy): the erased data is still in the -wal file until the next checkpoint',
  };
}

const DEAD_KEPT = /(\d+) dead row versions cannot be removed yet/;

/**
 * PostgreSQL: an UPDATE or DELETE leaves the old row version in the table's file until it is vacuumed, and a plain
 * VACUUM only marks its space free. `VACUUM FULL` writes each table anew with its live rows only (indexes and TOAST
 * included) and the old files are emptied at its commit; then a CHECKPOINT lets the WAL segments that still hold the
 * old versions be recycled. VACUUM FULL needs the tables' owner (`connectionString`: DATABASE_OWNER_URL) and takes an
 * ACCESS EXCLUSIVE lock on each table for the time of the rewrite (waited for at most 5 s, so requests are not held
 * behind it); a transaction older than the erasure keeps the old versions alive (VACUUM reports them): retried for
 * about 10 s. CHECKPOINT needs pg_checkpoint (PostgreSQL 15+) or a superuser; without it the server's own next
 * checkpoint does it (checkpoint_timeout).
 */
export async function rewritePostgresTables(connectionString: string): Promise<CopiesRemoved> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows: notOwned } = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relname = ANY($1) AND NOT pg_has_role(current_user, c.relowner, 'USAGE')`,
      [ERASURE_TABLES],
    );
    if (notOwned.length > 0) {
      const role = (await client.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role;
      return {
        removed: false,
        reason: `the old row versions are still in the files of ${notOwned.map((r) => r.relname).join(', ')}: role ${role} does not own them and may not VACUUM FULL them; set DATABASE_OWNER_URL to the owner's URL`,
      };
    }
    let deadKept = 0;
    client.on('notice', (notice) => {
      const match = DEAD_KEPT.exec(`${notice.message ?? ''}\n${notice.detail ?? ''}`);
      if (match) deadKept += Number(match[1]);
    });
    await client.query(`SET lock_timeout = '5s'`);
    let lastError: string | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      deadKept = 0;
      try {
        await client.query(`VACUUM (FULL, VERBOSE) ${ERASURE_TABLES.join(', ')}`);
        lastError = undefined;
        if (deadKept === 0) break;
      } catch (error) {
        // 55P03 lock_not_available: a long request held a table; try again.
        if ((error as { code?: string }).code !== '55P03') throw error;
        lastError = 'a table stayed locked by other sessions';
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (lastError || deadKept > 0) {
      return {
        removed: false,
        reason: `the old row versions are still in the table files: ${lastError ?? `${deadKept} dead row versions are still visible to an open transaction (a long query, a running pg_dump)`}`,
      };
    }
    const { rows } = await client.query<{ allowed: boolean }>(
      `SELECT rolsuper OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pg_checkpoint' AND pg_has_role(current_user, oid, 'MEMBER')) AS allowed
       FROM pg_roles WHERE rolname = current_user`,
    );
    if (!rows[0]?.allowed) {
      return {
        removed: true,
        note: 'the WAL segments that hold the old row versions are recycled after the server’s next checkpoint (grant pg_checkpoint to the owner to checkpoint now)',
      };
    }
    await client.query('CHECKPOINT');
    return { removed: true };
  } finally {
    await client.end();
  }
}
