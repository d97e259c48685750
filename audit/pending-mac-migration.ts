import { sql, type Kysely, type Migration } from 'kysely';
import type { AuditSqlDialect } from './migration';

/**
 * Queued entries (AUDIT_WRITE_MODE=sequenced) that only the app can make: each carries a nonce and the app's MAC over
 * its fields (audit/pending-mac.ts), checked by the sealer before it chains the entry. What it refuses is moved to
 * `audit_pending_refused` (append-only, kept for investigation); the nonce of every sealed entry is kept in
 * `audit_sealed_nonces` (append-only), so a copy of a genuine queued entry is refused too.
 */
async function sqlite(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_pending ADD COLUMN nonce TEXT`.execute(db);
  await sql`ALTER TABLE audit_pending ADD COLUMN mac TEXT`.execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_pending_refused (
  -- Queued audit entries the sealer refused (not made by the app, or a copy of a sealed one); see docs/AUDIT.md.
  seq INTEGER NOT NULL,
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
  span_id TEXT,
  nonce TEXT,
  mac TEXT,
  refused_at INTEGER NOT NULL,
  problem TEXT NOT NULL
)`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_sealed_nonces (
  -- The nonce of every sealed queued entry: a copy of a queued entry is refused.
  nonce TEXT PRIMARY KEY,
  entry_id INTEGER NOT NULL
)`,
    )
    .execute(db);
  for (const table of ['audit_pending_refused', 'audit_sealed_nonces']) {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(
          `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: ${op} rejected'); END`,
        )
        .execute(db);
    }
  }
  await sql
    .raw(
      `CREATE TRIGGER audit_sealed_nonces_no_replace BEFORE INSERT ON audit_sealed_nonces
BEGIN
  SELECT RAISE(ABORT, 'audit_sealed_nonces is append-only: REPLACE of an existing nonce rejected')
    WHERE EXISTS (SELECT 1 FROM audit_sealed_nonces WHERE nonce = NEW.nonce);
END`,
    )
    .execute(db);
}

async function postgres(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_pending ADD COLUMN nonce text, ADD COLUMN mac text`.execute(db);
  await sql
    .raw(
      `CREATE TABLE audit_pending_refused (
  seq bigint NOT NULL,
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
  span_id text,
  nonce text,
  mac text,
  refused_at bigint NOT NULL,
  problem text NOT NULL
)`,
    )
    .execute(db);
  await sql
    .raw(
      `COMMENT ON TABLE audit_pending_refused IS 'Queued audit entries the sealer refused (not made by the app, or a copy of a sealed one); append-only. See docs/AUDIT.md.'`,
    )
    .execute(db);
  await sql.raw(`CREATE TABLE audit_sealed_nonces (nonce text PRIMARY KEY, entry_id bigint NOT NULL)`).execute(db);
  await sql
    .raw(`COMMENT ON TABLE audit_sealed_nonces IS 'The nonce of every sealed queued audit entry: a copy is refused; append-only.'`)
    .execute(db);
  for (const table of ['audit_pending_refused', 'audit_sealed_nonces']) {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change()`,
      )
      .execute(db);
  }
}

/** The queued entries' nonce and MAC, and the tables of refused entries and sealed nonces; after the MAC migration. */
export function auditPendingMacMigration(dialect: AuditSqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await (dialect === 'postgres' ? postgres(db) : sqlite(db));
      await db.schema.createIndex('audit_pending_nonce').on('audit_pending').column('nonce').unique().execute();
    },
  };
}
