import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore, type SpikeState } from './state-store';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

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

describe('StateStore (a real SQLite file)', () => {
  it('creates its directory and keeps cooldowns and spikes across a reopen', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-state-'));
    const file = path.join(dir, 'a', 'b', 'state.db');
    const first = StateStore.open(file);
    first.recordSent('app.started', 'drop', 100);
    first.recordSent('app.started', 'drop', 200);
    first.recordSent('error_spike', 'drop', 300);
    first.saveSpike(spike);
    first.saveSpike({ ...spike, service: 'drop-worker', status: 'resolved', resolvedAtMs: 20_000, notified: true });
    first.close();

    const second = StateStore.open(file);
    expect(second.lastSent('app.started', 'drop')).toBe(200);
    expect(second.lastSent('error_spike', 'drop')).toBe(300);
    expect(second.lastSent('app.stopping', 'drop')).toBeUndefined();
    expect(second.spikes()).toEqual([spike, { ...spike, service: 'drop-worker', status: 'resolved', resolvedAtMs: 20_000 }]);
    second.deleteSpike('drop');
    expect(second.spikes().map((s) => s.service)).toEqual(['drop-worker']);
    second.close();
    second.close(); // closing twice is harmless
  });

  it('adds heartbeats.notified to a state file from before silences (its missing alerts all went out)', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-state-'));
    const file = path.join(dir, 'state.db');
    const old = new Database(file);
    old.exec('CREATE TABLE heartbeats (service TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL, missing INTEGER NOT NULL)');
    old.prepare('INSERT INTO heartbeats VALUES (?, ?, ?)').run('drop', 1_000, 1);
    old.close();
    const store = StateStore.open(file);
    expect(store.heartbeats()).toEqual([{ service: 'drop', lastSeenMs: 1_000, missing: true, notified: true }]);
    store.saveHeartbeat({ service: 'drop', lastSeenMs: 2_000, missing: true, notified: false });
    store.close();
    const again = StateStore.open(file);
    expect(again.heartbeats()).toEqual([{ service: 'drop', lastSeenMs: 2_000, missing: true, notified: false }]);
    again.close();
  });
});
