import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { inSpan, installInMemoryTracing } from '../../test/helpers/in-memory-spans';
import {
  ATTR_DB_STATEMENT_COUNT,
  ATTR_DB_STATEMENT_DURATION_MS,
  ATTR_DB_TRANSACTION_OUTCOME,
  instrumentDialect,
  type DbTelemetryOptions,
} from './instrument-dialect';

interface Db {
  items: { id: number; name: string };
}

const exporter = installInMemoryTracing();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-statement-spans-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
async function openDb(options: Partial<DbTelemetryOptions>): Promise<Kysely<Db>> {
  const file = path.join(dir, `db-${++fileCounter}.sqlite`);
  const sqlite = new SQLite(file);
  // A statement that takes as long as asked: the slow one of the tests, on the real engine.
  sqlite.function('sleep_ms', (ms: unknown) => {
    const until = performance.now() + Number(ms);
    while (performance.now() < until);
    return 1;
  });
  const db = new Kysely<Db>({
    dialect: instrumentDialect(new SqliteDialect({ database: sqlite }), {
      system: 'sqlite',
      namespace: path.basename(file),
      slowQueryMs: 10_000,
      ...options,
    }),
  });
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .execute();
  exporter.reset();
  return db;
}

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

describe('SQLite statement spans', () => {
  beforeEach(() => exporter.reset());

  it('DB_STATEMENT_SPANS=all: one span per statement, under the active span, no transaction span', async () => {
    const db = await openDb({ statementSpans: 'all' });
    const { traceId } = await inSpan('request', () =>
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 1, name: 'a' }).execute();
        await tx.selectFrom('items').selectAll().execute();
      }),
    );
    const spans = spansOf(traceId);
    const request = spans.find((s) => s.name === 'request')!;
    const statements = spans.filter((s) => s.attributes['db.system.name'] === 'sqlite');
    expect(statements.map((s) => s.name)).toEqual(['INSERT items', 'SELECT items']);
    expect(statements.every((s) => s.parentSpanContext?.spanId === request.spanContext().spanId)).toBe(true);
    expect(spans.some((s) => s.name === 'TRANSACTION')).toBe(false);
    expect(request.attributes[ATTR_DB_STATEMENT_COUNT]).toBeUndefined();
    await db.destroy();
  });

  it('slow mode: fast statements in a transaction are counted on its span, a slow one gets its own span under it', async () => {
    // A threshold far above what a fast INSERT takes even on a starved CPU, and a statement far above it.
    const db = await openDb({ statementSpans: 'slow', statementSpanMs: 200 });
    const { traceId } = await inSpan('request', () =>
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 1, name: 'a' }).execute();
        await tx.insertInto('items').values({ id: 2, name: 'b' }).execute();
        await sql`select sleep_ms(400) from items`.execute(tx);
      }),
    );
    const spans = spansOf(traceId);
    const request = spans.find((s) => s.name === 'request')!;
    const transaction = spans.find((s) => s.name === 'TRANSACTION')!;
    expect(transaction.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(transaction.attributes).toMatchObject({
      'db.system.name': 'sqlite',
      [ATTR_DB_STATEMENT_COUNT]: 2,
      [ATTR_DB_TRANSACTION_OUTCOME]: 'commit',
    });
    const total = transaction.attributes[ATTR_DB_STATEMENT_DURATION_MS] as number;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(200 * 2);
    const slow = spans.filter((s) => s.attributes['db.query.text']);
    expect(slow).toHaveLength(1);
    expect(slow[0]!.attributes['db.query.text']).toBe('select sleep_ms(400) from items');
    expect(slow[0]!.parentSpanContext?.spanId).toBe(transaction.spanContext().spanId);
    const durationMs = slow[0]!.duration[0] * 1e3 + slow[0]!.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(399);
    // The slow statement's span lies inside its transaction's.
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(slow[0]!.startTime)).toBeGreaterThanOrEqual(ms(transaction.startTime) - 1);
    expect(ms(slow[0]!.endTime)).toBeLessThanOrEqual(ms(transaction.endTime) + 1);
    await db.destroy();
  });

  it('slow mode: outside a transaction statements are counted on the active span; a failing one always gets a span', async () => {
    const db = await openDb({ statementSpans: 'slow', statementSpanMs: 1_000 });
    const { traceId, error } = await inSpan('request', async () => {
      await db.selectFrom('items').selectAll().execute();
      await db.selectFrom('items').selectAll().execute();
      await db.selectFrom('items').selectAll().execute();
      await sql`select * from no_such_table`.execute(db);
    });
    expect(String(error)).toMatch(/no such table/);
    const spans = spansOf(traceId);
    const request = spans.find((s) => s.name === 'request')!;
    expect(request.attributes[ATTR_DB_STATEMENT_COUNT]).toBe(3);
    const failed = spans.filter((s) => s.attributes['db.system.name'] === 'sqlite');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.status.code).toBe(2);
    expect(failed[0]!.attributes['error.type']).toBe('SQLITE_ERROR');
    expect(failed[0]!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    await db.destroy();
  });

  it('slow mode: a rolled-back transaction still ends its span, marked rollback', async () => {
    const db = await openDb({ statementSpans: 'slow', statementSpanMs: 1_000 });
    const { traceId, error } = await inSpan('request', () =>
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 1, name: 'a' }).execute();
        throw new Error('changed my mind');
      }),
    );
    expect(String(error)).toMatch(/changed my mind/);
    const transaction = spansOf(traceId).find((s) => s.name === 'TRANSACTION')!;
    expect(transaction.attributes[ATTR_DB_TRANSACTION_OUTCOME]).toBe('rollback');
    expect(transaction.attributes[ATTR_DB_STATEMENT_COUNT]).toBe(1);
    expect(await db.selectFrom('items').selectAll().execute()).toEqual([]);
    await db.destroy();
  });

  it('slow mode still reports statements slower than the slow-query threshold, with their shape', async () => {
    const reported: { attributes: Record<string, unknown>; durationMs: number }[] = [];
    const db = await openDb({ statementSpans: 'slow', statementSpanMs: 1_000, slowQueryMs: 5, onSlowQuery: (d) => reported.push(d) });
    // The table's creation can be slow too on a busy machine: only the statement below counts.
    reported.length = 0;
    await inSpan('request', () => sql`select sleep_ms(15)`.execute(db));
    expect(reported).toHaveLength(1);
    expect(reported[0]!.attributes['db.query.text']).toBe('select sleep_ms(15)');
    expect(reported[0]!.durationMs).toBeGreaterThanOrEqual(14);
    await db.destroy();
  });
});
