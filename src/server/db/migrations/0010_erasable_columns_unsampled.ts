import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connect';

/** Columns whose values an erasure destroys or clears: no planner statistics may keep a copy of them. */
export const ERASABLE_COLUMNS = [
  ['audit_user_keys', 'wrapped_key'],
  ['users', 'email'],
  ['users', 'name'],
  ['sessions', 'ip'],
  ['sessions', 'user_agent'],
] as const;

/**
 * PostgreSQL's ANALYZE (autovacuum runs it) copies sample values of each column into pg_statistic — most common values
 * and histogram bounds, i.e. wrapped keys, emails, names —, where an erasure's VACUUM FULL of the tables cannot reach
 * them. A statistics target of 0 makes ANALYZE skip these columns (none is used to plan a range or a join: email and
 * ids are looked up by unique index). SQLite's ANALYZE keeps only counts (sqlite_stat1), and Drop never runs it.
 */
export const erasableColumnsUnsampled = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect !== 'postgres') return;
    for (const [table, column] of ERASABLE_COLUMNS) {
      await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN ${sql.ref(column)} SET STATISTICS 0`.execute(db);
    }
  },
});
