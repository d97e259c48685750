import { sql, type Kysely, type Migration } from 'kysely';
import { GENESIS_HASH } from './chain';

export type AuditSqlDialect = 'sqlite' | 'postgres';

/**
 * Retention, stated where the table is defined (and in docs/AUDIT.md): entries are kept 5 years and are never
 * deleted automatically (PSD2 Art. 21, AMLD Art. 40). Removal after that is a manual, documented operation.
 */
export const AUDIT_RETENTION_NOTE =
  'Audit trail (PSD2 Art. 21, AMLD Art. 40). Retention: 5 years; no automatic deletion. ' +
  'Append-only (UPDATE, DELETE and TRUNCATE are rejected by triggers) and hash-chained (see docs/AUDIT.md).';

const APPEND_ONLY_MESSAGE = 'audit_log is append-only';

async function createSqlite(db: Kysely<unknown>): Promise<void> {
  // SQLite keeps comments inside CREATE TABLE in sqlite_schema: the retention note travels with the schema.
  await sql
    .raw(
      `CREATE TABLE audit_log (
  -- ${AUDIT_RETENTION_NOTE}
  id INTEGER PRIMARY KEY,
  timestamp INTEGER NOT NULL,
  user_id TEXT,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  details TEXT NOT NULL,
  ip_address TEXT,
  user_agent TEXT,
  request_id TEXT,
  span_id TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
)`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_chain_head (
  -- The newest entry of audit_log: locked by writers, compared by audit:verify.
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL,
  last_hash TEXT NOT NULL
)`,
    )
    .execute(db);
  for (const op of ['UPDATE', 'DELETE']) {
    await sql
      .raw(
        `CREATE TRIGGER audit_log_no_${op.toLowerCase()} BEFORE ${op} ON audit_log
BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY_MESSAGE}: ${op} rejected'); END`,
      )
      .execute(db);
  }
  await sql
    .raw(
      `CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be deleted'); END`,
    )
    .execute(db);
}

async function createPostgres(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `-- ${AUDIT_RETENTION_NOTE}
CREATE TABLE audit_log (
  id bigint PRIMARY KEY,
  "timestamp" bigint NOT NULL,
  user_id text,
  action text NOT NULL,
  resource text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
  details text NOT NULL,
  ip_address text,
  user_agent text,
  request_id text,
  span_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
)`,
    )
    .execute(db);
  await sql.raw(`COMMENT ON TABLE audit_log IS '${AUDIT_RETENTION_NOTE}'`).execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_chain_head (
  id integer PRIMARY KEY CHECK (id = 1),
  last_id bigint NOT NULL,
  last_hash text NOT NULL
)`,
    )
    .execute(db);
  await sql
    .raw(`COMMENT ON TABLE audit_chain_head IS 'The newest entry of audit_log: locked by writers, compared by audit:verify.'`)
    .execute(db);
  // Statement-level, so even an UPDATE or DELETE that matches no row is refused.
  await sql
    .raw(
      `CREATE FUNCTION audit_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % rejected: the table is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_chain_head_keep BEFORE DELETE OR TRUNCATE ON audit_chain_head
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`,
    )
    .execute(db);
}

async function createIndexes(db: Kysely<unknown>): Promise<void> {
  // Newest first, and the same order within one user, one action; request ids are looked up one at a time.
  await db.schema.createIndex('audit_log_time').on('audit_log').columns(['timestamp', 'id']).execute();
  await db.schema.createIndex('audit_log_user_time').on('audit_log').columns(['user_id', 'timestamp', 'id']).execute();
  await db.schema.createIndex('audit_log_action_time').on('audit_log').columns(['action', 'timestamp', 'id']).execute();
  await db.schema.createIndex('audit_log_request').on('audit_log').column('request_id').execute();
}

/** The audit tables, triggers and indexes; the app's migration list includes it built for its dialect. */
export function auditLogMigration(dialect: AuditSqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await (dialect === 'postgres' ? createPostgres(db) : createSqlite(db));
      await createIndexes(db);
      await sql`INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, ${GENESIS_HASH})`.execute(db);
    },
  };
}
