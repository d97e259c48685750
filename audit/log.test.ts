import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { exportedAuditEvents, inSpan, installInMemoryTracing } from '../test/helpers/in-memory-spans';
import { GENESIS_HASH, canonicalAuditSql, canonicalAuditText, hashAuditEntry } from './chain';
import { appendAuditEntry, type AuditInput } from './log';
import { verifyAuditChain } from './verify';

const exporter = installInMemoryTracing();

const input = (overrides: Partial<AuditInput> = {}): AuditInput => ({
  action: 'transfer_initiated',
  resource: 'transfer:t-1',
  userId: 'user-1',
  details: { amountCents: 1250, toUserId: 'user-2' },
  ip: '203.0.113.7',
  userAgent: 'vitest',
  ...overrides,
});

describe.each(DIALECTS)('appendAuditEntry on %s', (dialect) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  /** One transaction with the after-commit contract the app's inTransaction keeps. */
  async function append(entries: AuditInput[], thenFail?: Error) {
    const pending: (() => void)[] = [];
    const rows = await handle.db.transaction().execute(async (tx) => {
      const written = [];
      for (const entry of entries) written.push(await appendAuditEntry(tx, entry, (cb) => pending.push(cb)));
      if (thenFail) throw thenFail;
      return written;
    });
    for (const callback of pending) callback();
    return rows;
  }

  const head = () => handle.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
  const count = async () =>
    Number(
      (
        await handle.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores every field, numbers entries without gaps and links each to the one before', async () => {
    const before = await head();
    const { traceId, result } = await inSpan('POST /api/transfers', () =>
      append([input(), input({ action: 'session_created', resource: 'session:s-1', details: { password: 'hunter2!' } })]),
    );
    const [first, second] = result!;
    expect(first!.id).toBe(before.last_id + 1);
    expect(second!.id).toBe(first!.id + 1);

    const stored = await handle.db.selectFrom('audit_log').selectAll().where('id', '=', first!.id).executeTakeFirstOrThrow();
    expect(stored).toEqual(first);
    expect(stored).toMatchObject({
      user_id: 'user-1',
      action: 'transfer_initiated',
      resource: 'transfer:t-1',
      outcome: 'success',
      ip_address: '203.0.113.7',
      user_agent: 'vitest',
      request_id: traceId,
      prev_hash: before.last_id === 0 ? GENESIS_HASH : before.last_hash,
    });
    expect(stored.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(stored.details)).toEqual({ amountCents: 1250, toUserId: 'user-2' });
    expect(Math.abs(stored.timestamp - Date.now())).toBeLessThan(60_000);
    expect(stored.hash).toBe(hashAuditEntry(stored));
    expect(second!.prev_hash).toBe(first!.hash);
    expect(JSON.parse(second!.details)).toEqual({ password: '[REDACTED]' });
    expect(await head()).toMatchObject({ last_id: second!.id, last_hash: second!.hash });
  });

  it('adds one audit.<action> span event per entry, once the transaction has committed', async () => {
    exporter.reset();
    const { traceId, result } = await inSpan('POST /api/kyc', () =>
      append([input({ action: 'kyc_submitted', resource: 'kyc_submission:k-1', userId: 'user-9' })]),
    );
    expect(exportedAuditEvents(exporter)).toEqual([
      {
        name: 'audit.kyc_submitted',
        traceId,
        attributes: {
          'audit.id': result![0]!.id,
          'audit.action': 'kyc_submitted',
          'audit.resource': 'kyc_submission:k-1',
          'audit.outcome': 'success',
          'user.id': 'user-9',
        },
      },
    ]);
  });

  it('records a failure without a user, and leaves user.id off its event', async () => {
    exporter.reset();
    const { result } = await inSpan('POST /api/auth/login', () =>
      append([input({ action: 'login_failure', outcome: 'failure', userId: null, resource: 'user:unknown' })]),
    );
    expect(result![0]).toMatchObject({ user_id: null, outcome: 'failure' });
    expect(exportedAuditEvents(exporter)[0]!.attributes).not.toHaveProperty('user.id');
  });

  it('leaves neither a row nor an event nor a moved chain head when the transaction rolls back', async () => {
    exporter.reset();
    const before = await head();
    const rowsBefore = await count();
    const { error } = await inSpan('POST /api/transfers', () => append([input(), input()], new Error('domain write failed')));
    expect(error).toBeInstanceOf(Error);
    expect(await count()).toBe(rowsBefore);
    expect(await head()).toEqual(before);
    expect(exportedAuditEvents(exporter)).toEqual([]);
    const [next] = await append([input()]);
    expect(next).toMatchObject({ id: before.last_id + 1, prev_hash: before.last_hash });
  });

  it('writes request_id and span_id as null outside a traced request', async () => {
    const [row] = await append([input()]);
    expect(row).toMatchObject({ request_id: null, span_id: null });
  });

  it('keeps one unforked chain under concurrent writers', async () => {
    const before = await head();
    const writers = 40;
    await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        await handle.db.transaction().execute(async (tx) => {
          // Some work before the append, so the transactions really overlap on PostgreSQL.
          await sql`select 1`.execute(tx);
          await new Promise((resolve) => setTimeout(resolve, i % 5));
          await appendAuditEntry(tx, input({ resource: `transfer:c-${i}` }), () => undefined);
        });
      }),
    );
    const after = await head();
    expect(after.last_id).toBe(before.last_id + writers);
    const rows = await handle.db
      .selectFrom('audit_log')
      .select(['id', 'prev_hash', 'hash'])
      .where('id', '>', before.last_id)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: writers }, (_, i) => before.last_id + 1 + i));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(writers);
    expect(await verifyAuditChain(handle)).toMatchObject({ ok: true, lastId: after.last_id });
  });

  it('rejects UPDATE and DELETE on audit_log, and TRUNCATE on PostgreSQL', async () => {
    await append([input()]);
    const rowsBefore = await count();
    await expect(sql`UPDATE audit_log SET outcome = 'failure'`.execute(handle.db)).rejects.toThrow(/append-only|rejected/);
    await expect(sql`UPDATE audit_log SET details = '{}' WHERE id = 1`.execute(handle.db)).rejects.toThrow(/append-only|rejected/);
    await expect(sql`DELETE FROM audit_log WHERE id = 1`.execute(handle.db)).rejects.toThrow(/append-only|rejected/);
    // Without WHERE: SQLite's own "truncate" path.
    await expect(sql`DELETE FROM audit_log`.execute(handle.db)).rejects.toThrow(/append-only|rejected/);
    if (dialect === 'postgres') {
      await expect(sql`TRUNCATE audit_log`.execute(handle.db)).rejects.toThrow(/TRUNCATE on audit_log rejected/);
      await expect(sql`TRUNCATE audit_chain_head`.execute(handle.db)).rejects.toThrow(/rejected/);
    }
    await expect(sql`DELETE FROM audit_chain_head`.execute(handle.db)).rejects.toThrow(/cannot be deleted|rejected/);
    expect(await count()).toBe(rowsBefore);
    expect((await verifyAuditChain(handle)).ok).toBe(true);
  });

  it('hashes exactly what the database stores and rebuilds: unicode, separators, empty and odd strings', async () => {
    const odd = ['ü 日本語 🔐', 'pipe|colon:dash-', '', 'line\nbreak\ttab "quote" \\back', 'nul\u0000byte', 'lone\ud800surrogate', "it's"];
    const rows = await append(
      odd.map((text, i) => input({ resource: `thing:${text}`, userAgent: text, ip: i % 2 ? null : text, details: { text } })),
    );
    const rebuilt = await handle.db
      .selectFrom('audit_log')
      .select(['id', canonicalAuditSql().as('canonical')])
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    const stored = await handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    expect(stored).toEqual(rows);
    expect(rebuilt.map((r) => r.canonical)).toEqual(stored.map((r) => canonicalAuditText(r)));
    expect((await verifyAuditChain(handle)).ok).toBe(true);
  });

  it('states the retention in the schema itself', async () => {
    const comment =
      dialect === 'postgres'
        ? (await sql<{ c: string }>`SELECT obj_description('audit_log'::regclass, 'pg_class') AS c`.execute(handle.db)).rows[0]?.c
        : (await sql<{ c: string }>`SELECT sql AS c FROM sqlite_master WHERE name = 'audit_log'`.execute(handle.db)).rows[0]?.c;
    expect(comment).toMatch(/Retention: 5 years; no automatic deletion/);
    expect(comment).toMatch(/PSD2 Art\. 21, AMLD Art\. 40/);
  });
});
