import { sql, type Kysely, type Migration } from 'kysely';
import type { AuditSqlDialect } from './migration';

/**
 * The tables that make the trail trustworthy beyond the database and let it take many writers: signed
 * checkpoints of the chain (append-only, like the log), the per-user keys that encrypt personal data in entries
 * (destroyed on erasure), and the queue of entries waiting for the sequencer.
 */
async function createSqlite(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `CREATE TABLE audit_checkpoints (
  -- Signed (Ed25519) statements "the chain had tree_size entries and its newest hash was head_hash"; see docs/AUDIT.md.
  tree_size INTEGER PRIMARY KEY,
  head_hash TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
)`,
    )
    .execute(db);
  for (const op of ['UPDATE', 'DELETE']) {
    await sql
      .raw(
        `CREATE TRIGGER audit_checkpoints_no_${op.toLowerCase()} BEFORE ${op} ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: ${op} rejected'); END`,
      )
      .execute(db);
  }
  await sql
    .raw(
      `CREATE TABLE audit_pending (
  -- Entries committed with their domain write but not chained yet (AUDIT_WRITE_MODE=sequenced); the sequencer seals them.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sealer TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  user_id TEXT,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  ip_address TEXT,
  user_agent TEXT,
  request_id TEXT,
  span_id TEXT
)`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_user_keys (
  -- One AES-256-GCM key per user, wrapped by the master key; NULL once erased (crypto-shredding).
  user_id TEXT PRIMARY KEY,
  wrapped_key TEXT,
  created_at INTEGER NOT NULL,
  erased_at INTEGER,
  legal_hold TEXT
)`,
    )
    .execute(db);
}

async function createPostgres(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `CREATE TABLE audit_checkpoints (
  tree_size bigint PRIMARY KEY,
  head_hash text NOT NULL,
  "timestamp" bigint NOT NULL,
  key_id text NOT NULL,
  signature text NOT NULL
)`,
    )
    .execute(db);
  await sql
    .raw(`COMMENT ON TABLE audit_checkpoints IS 'Signed (Ed25519) checkpoints of the audit chain; append-only. See docs/AUDIT.md.'`)
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_pending (
  seq bigserial PRIMARY KEY,
  sealer text NOT NULL,
  "timestamp" bigint NOT NULL,
  user_id text,
  action text NOT NULL,
  resource text NOT NULL,
  outcome text NOT NULL,
  details text NOT NULL,
  ip_address text,
  user_agent text,
  request_id text,
  span_id text
)`,
    )
    .execute(db);
  await sql
    .raw(
      `COMMENT ON TABLE audit_pending IS 'Audit entries committed but not chained yet (AUDIT_WRITE_MODE=sequenced); sealed into audit_log by the sequencer.'`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_user_keys (
  user_id text PRIMARY KEY,
  wrapped_key text,
  created_at bigint NOT NULL,
  erased_at bigint,
  legal_hold text
)`,
    )
    .execute(db);
  await sql
    .raw(
      `COMMENT ON TABLE audit_user_keys IS 'Per-user AES-256-GCM keys for personal data in audit_log, wrapped by the master key; NULL once erased.'`,
    )
    .execute(db);
}

/** Checkpoints and per-user keys; the app includes it after the audit log's own migration. */
export function auditTrustMigration(dialect: AuditSqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await (dialect === 'postgres' ? createPostgres(db) : createSqlite(db));
      await db.schema.createIndex('audit_pending_sealer').on('audit_pending').columns(['sealer', 'seq']).execute();
    },
  };
}
