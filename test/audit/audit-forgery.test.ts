import crypto from 'node:crypto';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSigner, hashAuditEntry, linkAuditEntries, verifyAuditChain, type AuditRow } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_MAC_KEYS, TEST_AUDIT_SIGNING_KEY } from '../helpers/app-server';
import { appendCheckpointedEntries, publishCheckpoints, type PublishedCheckpoints } from '../helpers/audit-checkpoints';
import { runAuditScript } from '../helpers/audit-cli';
import { asDatabaseOwner } from '../helpers/audit-owner';
import {
  DIALECTS,
  createTestDatabase,
  openTestDatabase,
  postgresAdminUrl,
  type DialectName,
  type TestDatabase,
} from '../helpers/databases';
import { useStack } from '../helpers/stack';

/**
 * Forgery of the audit trail by whoever can write the database, done by SQL: with only the app role's rights on
 * PostgreSQL (docs/AUDIT.md's grants on the audit tables), and on SQLite with a plain connection to the file (no
 * roles there). What must hold: the database refuses what it can (REPLACE/upsert, a backdated entry), and every
 * forged entry that gets in fails `audit:verify` (with and without checkpoints), is not `authentic` in the admin API,
 * and no checkpoint is ever signed over it.
 */

/** An attacker's connection: PostgreSQL as a role with the app's grants on the audit tables, SQLite straight to the file. */
interface Attacker {
  run(statement: string, params?: unknown[]): Promise<void>;
  one<T>(statement: string, params?: unknown[]): Promise<T>;
  close(): Promise<void>;
}

async function appRoleAttacker(database: TestDatabase, owner: DatabaseHandle): Promise<Attacker> {
  if (database.dialect === 'sqlite') {
    const file = new SQLite(database.url.slice('file:'.length));
    // The attacker's own connection: recursive_triggers is off (SQLite's default), whatever the app sets.
    file.pragma('recursive_triggers = OFF');
    return {
      run: async (statement, params = []) => void file.prepare(statement).run(...params),
      one: async <T>(statement: string, params: unknown[] = []) => file.prepare(statement).get(...params) as T,
      close: async () => void file.close(),
    };
  }
  const role = `drop_app_forger_${crypto.randomBytes(4).toString('hex')}`;
  await sql.raw(`CREATE ROLE ${role} LOGIN PASSWORD 'x'`).execute(owner.db);
  // The app role's rights on the audit tables, as docs/AUDIT.md grants them.
  for (const grant of [
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT, INSERT ON audit_log TO ${role}`,
    `GRANT SELECT, UPDATE ON audit_chain_head TO ${role}`,
    `GRANT SELECT, INSERT ON audit_checkpoints TO ${role}`,
  ]) {
    await sql.raw(grant).execute(owner.db);
  }
  const url = new URL(database.url);
  url.username = role;
  url.password = 'x';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    run: async (statement, params = []) => void (await client.query(statement, params)),
    one: async <T>(statement: string, params: unknown[] = []) => (await client.query(statement, params)).rows[0] as T,
    async close() {
      await client.end();
      const admin = new pg.Client({ connectionString: postgresAdminUrl() });
      await admin.connect();
      try {
        await admin.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`).catch(() => undefined);
        await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      } finally {
        await admin.end();
      }
    },
  };
}

const COLUMNS = [
  'id',
  'timestamp',
  'user_id',
  'action',
  'resource',
  'outcome',
  'details',
  'ip_address',
  'user_agent',
  'request_id',
  'span_id',
  'prev_hash',
  'hash',
  'mac',
] as const;

function insertSql(dialect: DialectName, verb = 'INSERT INTO'): string {
  const placeholders = COLUMNS.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?')).join(', ');
  return `${verb} audit_log (${COLUMNS.map((c) => (c === 'timestamp' ? '"timestamp"' : c)).join(', ')}) VALUES (${placeholders})`;
}
const values = (row: AuditRow) => COLUMNS.map((c) => row[c]);

/** A well-formed entry (its hash right, linked to the head) that the app never wrote; the MAC copied from a genuine one. */
async function forgeNext(attacker: Attacker, timestamp: (newest: number) => number): Promise<AuditRow> {
  const head = await attacker.one<{ last_id: number | string; last_hash: string }>(
    'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1',
  );
  const newest = await attacker.one<{ timestamp: number | string; mac: string }>(
    `SELECT "timestamp", mac FROM audit_log WHERE id = ${Number(head.last_id)}`,
  );
  const [row] = linkAuditEntries(head.last_hash, [
    {
      id: Number(head.last_id) + 1,
      timestamp: timestamp(Number(newest.timestamp)),
      user_id: 'mallory',
      action: 'transfer_completed' as const,
      resource: 'transfer:forged',
      outcome: 'success' as const,
      details: '{"amountCents":99999999,"toUserId":"mallory"}',
      ip_address: null,
      user_agent: null,
      request_id: null,
      span_id: null,
    },
  ]);
  return { ...row!, mac: newest.mac };
}

async function appendForged(attacker: Attacker, dialect: DialectName, row: AuditRow): Promise<void> {
  await attacker.run(insertSql(dialect), values(row));
  await attacker.run(
    dialect === 'postgres'
      ? 'UPDATE audit_chain_head SET last_id = $1, last_hash = $2 WHERE id = 1'
      : 'UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1',
    [row.id, row.hash],
  );
}

const HOUR = 3_600_000;

describe.each(DIALECTS)('audit entries only the app can make, attacked by SQL on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let attacker: Attacker;
  let checkpoints: PublishedCheckpoints;
  const signer = auditSigner(TEST_AUDIT_SIGNING_KEY);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
    await appendCheckpointedEntries(handle, { count: 8, everyEntries: 4, signer });
    checkpoints = await publishCheckpoints(handle, signer);
    attacker = await appRoleAttacker(database, handle);
  });
  afterAll(async () => {
    await attacker?.close();
    await checkpoints?.close();
    await handle?.close();
    await database?.drop();
  });

  const verifyCli = (args: string[]) => runAuditScript('audit-verify.ts', database.url, ['--json', ...args]);

  it('refuses REPLACE and upsert of an existing entry, even re-hashed, with all its columns', async () => {
    const original = await handle.db.selectFrom('audit_log').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
    const fields = { ...original, id: Number(original.id), timestamp: Number(original.timestamp), user_id: 'mallory' };
    const rewritten = { ...fields, hash: hashAuditEntry(fields) };
    if (dialect === 'sqlite') {
      await expect(attacker.run(insertSql(dialect, 'REPLACE INTO'), values(rewritten))).rejects.toThrow(
        /REPLACE of an existing entry rejected/,
      );
      await expect(attacker.run(insertSql(dialect, 'INSERT OR REPLACE INTO'), values(rewritten))).rejects.toThrow(
        /REPLACE of an existing entry rejected/,
      );
    }
    const upsert = `${insertSql(dialect)} ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, hash = excluded.hash`;
    await expect(attacker.run(upsert, values(rewritten))).rejects.toThrow(/append-only|permission denied|rejected/);
    const after = await handle.db.selectFrom('audit_log').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
    expect(after).toEqual(original);
    expect(await verifyAuditChain(handle, { macKeys: TEST_AUDIT_MAC_KEYS })).toMatchObject({ ok: true, entries: 8 });
  });

  it('refuses a backdated entry appended with the app’s rights (insert and head update)', async () => {
    const backdated = await forgeNext(attacker, (newest) => newest - HOUR);
    await expect(appendForged(attacker, dialect, backdated)).rejects.toThrow(/timestamps never go backwards/);
    expect(await verifyAuditChain(handle, { macKeys: TEST_AUDIT_MAC_KEYS })).toMatchObject({ ok: true, entries: 8 });
  });

  it('a re-hashed rewrite done with the owner’s rights (REPLACE once the triggers are gone) fails audit:verify, with and without checkpoints', async () => {
    const snapshot = await handle.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    await asDatabaseOwner(handle, async (db) => {
      // REPLACE on SQLite; on PostgreSQL the owner's equivalent, an upsert, with the append-only trigger disabled.
      const rows = linkAuditEntries(
        snapshot[1]!.hash,
        snapshot.slice(2).map((stored) => ({
          ...stored,
          id: Number(stored.id),
          timestamp: Number(stored.timestamp),
          user_id: Number(stored.id) === 3 ? 'mallory' : stored.user_id,
        })),
      );
      const columns = sql.raw(COLUMNS.map((c) => (c === 'timestamp' ? '"timestamp"' : c)).join(', '));
      for (const row of rows) {
        const rowValues = sql.join(values(row).map((value) => sql`${value}`));
        await (
          dialect === 'sqlite'
            ? sql`REPLACE INTO audit_log (${columns}) VALUES (${rowValues})`
            : sql`INSERT INTO audit_log (${columns}) VALUES (${rowValues})
              ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, prev_hash = excluded.prev_hash, hash = excluded.hash`
        ).execute(db);
      }
      await db
        .updateTable('audit_chain_head')
        .set({ last_hash: rows.at(-1)!.hash })
        .where('id', '=', 1)
        .execute();
    });
    try {
      // Links and hashes agree again: only the MAC (and the checkpoints) can tell.
      const chain = await verifyAuditChain(handle);
      expect(chain.ok).toBe(true);
      const withKey = await verifyAuditChain(handle, { macKeys: TEST_AUDIT_MAC_KEYS });
      expect(withKey).toMatchObject({ ok: false, entries: 2, firstBroken: { id: 3, reason: 'unauthenticated' } });
      const alone = await verifyCli([]);
      expect(alone.code, alone.stderr).toBe(1);
      expect(JSON.parse(alone.stdout)).toMatchObject({ ok: false, firstBroken: { id: 3, reason: 'unauthenticated' } });
      const withCheckpoints = await verifyCli(['--checkpoints', checkpoints.file]);
      expect(withCheckpoints.code, withCheckpoints.stderr).toBe(1);
      expect(JSON.parse(withCheckpoints.stdout)).toMatchObject({
        ok: false,
        firstBroken: { id: 3, reason: 'unauthenticated' },
        checkpoints: { ok: false, firstMismatch: { treeSize: 4, reason: 'hash_mismatch' } },
      });
    } finally {
      // Put the genuine rows back for the next test.
      await asDatabaseOwner(handle, async (db) => {
        for (const row of snapshot) {
          await db
            .updateTable('audit_log')
            .set({ user_id: row.user_id, prev_hash: row.prev_hash, hash: row.hash })
            .where('id', '=', row.id)
            .execute();
        }
        await db
          .updateTable('audit_chain_head')
          .set({ last_hash: snapshot.at(-1)!.hash })
          .where('id', '=', 1)
          .execute();
      });
    }
    expect(await verifyAuditChain(handle, { macKeys: TEST_AUDIT_MAC_KEYS })).toMatchObject({ ok: true, entries: 8 });
  });
});

describe.each(DIALECTS)('a forged entry in the running app’s trail on %s', (dialect) => {
  const stack = useStack({
    dialect,
    env: { AUDIT_CHECKPOINT_EVERY: '3', AUDIT_CHECKPOINT_SECONDS: '86400' },
  });
  let attacker: Attacker;
  let forged: AuditRow;

  beforeAll(async () => {
    const { database, db } = stack();
    await stack().signIn('alice@drop.test');
    attacker = await appRoleAttacker(database, db);
    if (dialect === 'sqlite') {
      // Whoever can write the file can drop the insert checks, and append a backdated entry.
      await attacker.run('DROP TRIGGER audit_log_insert_checks');
      forged = await forgeNext(attacker, (newest) => newest - HOUR);
    } else {
      // The app role cannot drop the trigger; a forged entry dated now gets in.
      await expect(attacker.run('DROP TRIGGER audit_log_insert_checks ON audit_log')).rejects.toThrow(/must be owner/);
      forged = await forgeNext(attacker, () => Date.now());
    }
    await appendForged(attacker, dialect, forged);
  });
  afterAll(async () => {
    await attacker?.close();
  });

  it('is not genuine to the admin API, and no checkpoint is ever signed over it; users are served as before', async () => {
    const admin = (await stack().signIn('admin@drop.test')).client;
    const verified = await admin.get('/api/admin/audit/verify');
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      ok: false,
      lastId: forged.id - 1,
      firstBroken: { id: forged.id, reason: dialect === 'sqlite' ? 'timestamp_backwards' : 'unauthenticated' },
    });

    // Traffic after the forgery: the writes succeed, the checkpoints due are refused, and the app says why.
    const bob = await stack().signIn('bob@drop.test');
    expect(bob.userId).toBeTruthy();
    const refused = await stack().app.waitForLog(/"audit\.checkpoint_refused"/, 15_000);
    const record = JSON.parse(refused.line) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'error', 'audit.entry.id': forged.id });
    const checkpoints = (await admin.get('/api/admin/audit/checkpoints')).body as { checkpoints: { treeSize: number }[] };
    expect(checkpoints.checkpoints.every((c) => c.treeSize < forged.id)).toBe(true);

    const list = await admin.get('/api/admin/audit?limit=200');
    const entries = (list.body as { entries: { id: number; authentic: boolean }[] }).entries;
    const byId = new Map(entries.map((e) => [e.id, e.authentic]));
    expect(byId.get(forged.id)).toBe(false);
    expect(entries.filter((e) => e.id !== forged.id).every((e) => e.authentic)).toBe(true);

    const cli = await runAuditScript('audit-verify.ts', stack().database.url, ['--json']);
    expect(cli.code, cli.stderr).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, firstBroken: { id: forged.id } });
  });
});
