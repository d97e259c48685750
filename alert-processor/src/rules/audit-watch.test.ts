import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpLogRecord } from '../intake/otlp/decode';
import { openMigratedStore, type AlertStore } from '../store/database';
import { StateStore } from '../store/state-store';
import { AuditWatch, auditSignalsFromLogs, type AuditSignal } from './audit-watch';

let dir: string;
let database: AlertStore;
let store: StateStore;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-audit-watch-'));
  database = await openMigratedStore({ file: path.join(dir, 'state.db') });
  store = await StateStore.open(database.db);
});
afterEach(async () => {
  await store.flush();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const record = (eventName: string, attributes: OtlpLogRecord['attributes']): OtlpLogRecord => ({
  timeUnixNano: '0',
  severityNumber: 9,
  severityText: 'INFO',
  body: eventName,
  attributes,
  eventName,
  traceId: '',
  spanId: '',
  resource: { 'service.name': 'drop' },
  scope: 'drop',
});
const signal = (kind: AuditSignal['kind'], timeMs: number, extra: Partial<AuditSignal> = {}): AuditSignal => ({
  kind,
  service: 'drop',
  timeMs,
  ...(kind === 'checkpoint' || kind === 'current' ? { intervalMs: 10_000 } : {}),
  ...extra,
});

describe('AuditWatch', () => {
  it('reads the app’s checkpoint, head-covered, refusal and verification records (EventName), nothing else', () => {
    const signals = auditSignalsFromLogs(
      [
        record('audit.checkpoint', { 'audit.checkpoint.interval_seconds': '300', 'audit.checkpoint.tree_size': '42' }),
        record('audit.checkpoint_current', { 'audit.checkpoint.interval_seconds': 300, 'audit.checkpoint.tree_size': 42 }),
        record('audit.checkpoint_refused', { 'audit.entry.id': '7', 'audit.entry.problem': 'hash_mismatch' }),
        record('audit.verify_failed', { 'audit.entry.id': 7, 'audit.entry.problem': 'unauthenticated' }),
        record('http.access', {}),
      ],
      5,
    );
    expect(signals).toEqual([
      { kind: 'checkpoint', service: 'drop', timeMs: 5, intervalMs: 300_000, treeSize: 42, entryId: undefined, problem: undefined },
      { kind: 'current', service: 'drop', timeMs: 5, intervalMs: 300_000, treeSize: 42, entryId: undefined, problem: undefined },
      { kind: 'refused', service: 'drop', timeMs: 5, intervalMs: undefined, treeSize: undefined, entryId: 7, problem: 'hash_mismatch' },
      {
        kind: 'verify_failed',
        service: 'drop',
        timeMs: 5,
        intervalMs: undefined,
        treeSize: undefined,
        entryId: 7,
        problem: 'unauthenticated',
      },
    ]);
  });

  it('raises a broken chain once, with the entry, until a signed checkpoint vouches for the chain again', () => {
    const watch = new AuditWatch(store, 5_000, 0);
    expect(watch.observe([signal('refused', 1, { entryId: 7, problem: 'hash_mismatch' })], 1)).toMatchObject([
      { type: 'audit_chain_broken', service: 'drop', foundBy: 'checkpoint_refused', entryId: 7, problem: 'hash_mismatch' },
    ]);
    expect(watch.observe([signal('verify_failed', 2, { entryId: 7 })], 2)).toEqual([]);
    expect(watch.observe([signal('current', 3)], 3)).toEqual([]);
    expect(watch.observe([signal('verify_failed', 4, { entryId: 7 })], 4)).toEqual([]);
    watch.observe([signal('checkpoint', 5)], 5);
    expect(watch.observe([signal('verify_failed', 6, { entryId: 9 })], 6)).toMatchObject([
      { type: 'audit_chain_broken', foundBy: 'verify_failed', entryId: 9 },
    ]);
  });

  it('a broken entry before the checkpointer’s range: later checkpoints and verifications do not raise it again', () => {
    const watch = new AuditWatch(store, 5_000, 0);
    watch.observe([signal('checkpoint', 1, { treeSize: 90 })], 1);
    expect(watch.observe([signal('verify_failed', 2, { entryId: 7, problem: 'hash_mismatch' })], 2)).toHaveLength(1);
    // The checkpointer checks only the entries since the last checkpoint: these say nothing about entry 7.
    for (const [at, treeSize] of [
      [3, 100],
      [5, 110],
    ] as const) {
      watch.observe([signal('checkpoint', at, { treeSize })], at);
      expect(watch.observe([signal('verify_failed', at + 1, { entryId: 7 })], at + 1)).toEqual([]);
    }
    // Another first broken entry is another incident.
    expect(watch.observe([signal('refused', 7, { entryId: 120 })], 7)).toMatchObject([{ type: 'audit_chain_broken', entryId: 120 }]);
    expect(watch.observe([signal('refused', 8, { entryId: 120 })], 8)).toEqual([]);
    // Repaired, the app restarted: its first checkpoint checks the range holding entry 120 and vouches for it.
    watch.observe([signal('checkpoint', 9, { treeSize: 130 })], 9);
    expect(watch.observe([signal('verify_failed', 10, { entryId: 120 })], 10)).toHaveLength(1);
  });

  it('raises a stale checkpoint after the interval plus the grace, once, and its recovery; restarts keep the state', async () => {
    const watch = new AuditWatch(store, 5_000, 0);
    watch.observe([signal('checkpoint', 1_000)], 1_000);
    expect(watch.tick(16_000)).toEqual([]); // 15 s: exactly interval + grace
    watch.observe([signal('current', 16_000)], 16_000);
    expect(watch.tick(31_001)).toMatchObject([
      { type: 'audit_checkpoint_stale', lastCheckpointMs: 16_000, intervalMs: 10_000, graceMs: 5_000 },
    ]);
    expect(watch.tick(60_000)).toEqual([]);
    await store.flush();
    const restarted = new AuditWatch(await StateStore.open(database.db), 5_000, 0);
    expect(restarted.tick(90_000)).toEqual([]);
    expect(restarted.observe([signal('checkpoint', 95_000)], 95_000)).toMatchObject([{ type: 'audit_checkpoint_recovered' }]);
  });

  it('does not count this processor’s own downtime', async () => {
    new AuditWatch(store, 5_000, 0).observe([signal('checkpoint', 1_000)], 1_000);
    await store.flush();
    const startedLate = new AuditWatch(await StateStore.open(database.db), 5_000, 100_000);
    expect(startedLate.tick(110_000)).toEqual([]);
    expect(startedLate.tick(115_001)).toMatchObject([{ type: 'audit_checkpoint_stale' }]);
  });
});
