import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertStore } from './database';
import { Outbox } from './outbox';
import { StateStore, type SpikeState } from './state-store';
import { createTestStore, STORE_KINDS, type TestStore } from './test-stores';

const spike: SpikeState = {
  service: 'drop',
  status: 'open',
  openedAtMs: 1_000,
  notified: true,
  suppressed: false,
  failingRequests: 7,
  peakInWindow: 6,
  sampleTraceId: 'f'.repeat(32),
  sampleDescription: 'POST /api/transfers (DatabaseError)',
  belowSinceMs: 9_000,
  resolvedAtMs: null,
  lastFailureMs: null,
};

let test: TestStore | undefined;
const opened: AlertStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  await test?.drop();
  test = undefined;
});

async function open(): Promise<{ store: AlertStore; state: StateStore }> {
  const store = await test!.open();
  opened.push(store);
  return { store, state: await StateStore.open(store.db) };
}

describe.each(STORE_KINDS)('StateStore on %s', (kind) => {
  it('keeps cooldowns, spikes, heartbeats and watches across a reopen', async () => {
    test = await createTestStore(kind);
    const first = await open();
    first.state.recordSent('app.started', 'drop', 100);
    first.state.recordSent('app.started', 'drop', 200);
    first.state.recordSent('error_spike', 'drop', 300);
    first.state.saveSpike(spike);
    first.state.saveSpike({ ...spike, service: 'drop-worker', status: 'resolved', resolvedAtMs: 20_000, notified: true });
    first.state.saveHeartbeat({ service: 'drop', lastSeenMs: 5_000, missing: true, notified: false });
    first.state.saveWatch('backup', 'drop-backup', { failures: 2 });
    first.state.saveWatch('backup', 'drop-gone', { failures: 1 });
    first.state.deleteWatch('backup', 'drop-gone');
    // Read back at once, from memory, before anything is written.
    expect(first.state.lastSent('app.started', 'drop')).toBe(200);
    await first.state.flush();

    const second = await open();
    expect(second.state.lastSent('app.started', 'drop')).toBe(200);
    expect(second.state.lastSent('error_spike', 'drop')).toBe(300);
    expect(second.state.lastSent('app.stopping', 'drop')).toBeUndefined();
    expect(second.state.spikes()).toEqual([spike, { ...spike, service: 'drop-worker', status: 'resolved', resolvedAtMs: 20_000 }]);
    expect(second.state.heartbeats()).toEqual([{ service: 'drop', lastSeenMs: 5_000, missing: true, notified: false }]);
    expect(second.state.watches('backup')).toEqual(new Map([['drop-backup', { failures: 2 }]]));
    second.state.deleteSpike('drop');
    await second.state.flush();
    expect((await open()).state.spikes().map((s) => s.service)).toEqual(['drop-worker']);
  });

  it('a write the store refuses makes flush() throw (the intake then answers 503), once', async () => {
    test = await createTestStore(kind);
    const { store, state } = await open();
    await store.db.schema.dropTable('alert_cooldowns').execute();
    state.recordSent('app.started', 'drop', 100);
    await expect(state.flush()).rejects.toThrow();
    await expect(state.flush()).resolves.toBeUndefined();
  });
});

describe('a state file from before the one store', () => {
  it('its outbox, cooldowns, heartbeats (without notified) and silences are taken over, nothing waiting lost', async () => {
    test = await createTestStore('a real SQLite file');
    const { file } = test.location as { file: string };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    old.exec(`
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_type TEXT NOT NULL, service TEXT NOT NULL, alert TEXT NOT NULL,
        message TEXT NOT NULL, enqueued_at_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL);
      CREATE TABLE cooldowns (alert_type TEXT NOT NULL, service TEXT NOT NULL, last_sent_ms INTEGER NOT NULL, PRIMARY KEY (alert_type, service));
      CREATE TABLE heartbeats (service TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL, missing INTEGER NOT NULL);
      CREATE TABLE silences (id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at_ms INTEGER NOT NULL, ends_at_ms INTEGER NOT NULL,
        comment TEXT NOT NULL, created_by TEXT, created_at_ms INTEGER NOT NULL, silenced INTEGER NOT NULL DEFAULT 0, last_silenced_at_ms INTEGER);
    `);
    const waiting = {
      type: 'app.started',
      service: 'drop',
      atMs: 1,
      event: { kind: 'lifecycle', event: 'app.started', service: 'drop', timeMs: 1 },
    };
    old
      .prepare('INSERT INTO outbox (id, alert_type, service, alert, message, enqueued_at_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(41, 'app.started', 'drop', JSON.stringify(waiting), JSON.stringify({ text: 'x', blocks: [] }), 1, 1);
    old.prepare('INSERT INTO cooldowns VALUES (?, ?, ?)').run('app.started', 'drop', 500);
    old.prepare('INSERT INTO heartbeats VALUES (?, ?, ?)').run('drop', 1_000, 1);
    old
      .prepare("INSERT INTO silences (id, matchers, starts_at_ms, ends_at_ms, comment, created_at_ms) VALUES ('s1', '[]', 0, 10, 'x', 0)")
      .run();
    old.close();

    const { store, state } = await open();
    expect((await new Outbox(store.db).entries()).map((e) => [e.id, e.receiver, e.alert.type])).toEqual([[41, 'slack', 'app.started']]);
    expect(state.lastSent('app.started', 'drop')).toBe(500);
    expect(state.heartbeats()).toEqual([{ service: 'drop', lastSeenMs: 1_000, missing: true, notified: true }]);
    expect((await store.db.selectFrom('alert_silences').select('id').execute()).map((row) => row.id)).toEqual(['s1']);
    // The next entry does not reuse an old id.
    expect(
      (await new Outbox(store.db).enqueue([{ alert: waiting as never, message: { text: 'y', blocks: [] }, receiver: 'email' }], 2))[0],
    ).toBe(42);
  });
});
