import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox';
import type { LifecycleAlert } from '../rules/rules';

// The outbox's group windows on a real SQLite file.
let dir: string;
let file: string;
let outbox: Outbox;
const message = { text: 'x', blocks: [] };
const alert = (service: string, type: LifecycleAlert['type'] = 'app.started'): LifecycleAlert => ({
  type,
  service,
  atMs: 0,
  event: { kind: 'lifecycle', event: type, service, timeMs: 0 },
});
const services = (entries: { alert: { service: string } }[]) => entries.map((e) => e.alert.service);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-outbox-'));
  file = path.join(dir, 'state.db');
  outbox = Outbox.open(file);
});

afterEach(() => {
  outbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Outbox group windows', () => {
  it('alerts of one type join the open group (same due time); another type opens its own', () => {
    outbox.enqueue(alert('a'), message, 1_000, 5_000);
    outbox.enqueue(alert('b'), message, 3_000, 5_000);
    outbox.enqueue(alert('a', 'app.stopping'), message, 3_500, 5_000);
    expect(outbox.nextGroup(5_999, 20)).toEqual([]);
    expect(services(outbox.nextGroup(6_000, 20))).toEqual(['a', 'b']);
    expect(outbox.nextAttemptAt()).toBe(6_000);
    // After its window closed, an alert of that type opens a new group.
    outbox.enqueue(alert('c'), message, 6_500, 5_000);
    expect(outbox.entries().map((e) => [e.alert.service, e.alert.type])).toEqual([
      ['a', 'app.started'],
      ['b', 'app.started'],
      ['a', 'app.stopping'],
      ['c', 'app.started'],
    ]);
    // One type at a time, the oldest due first; c's group is not due before 11.5 s.
    const started = outbox.nextGroup(11_499, 20);
    expect(services(started)).toEqual(['a', 'b']);
    for (const entry of started) outbox.remove(entry.id);
    const stopping = outbox.nextGroup(11_499, 20);
    expect(stopping.map((e) => `${e.alert.type}:${e.alert.service}`)).toEqual(['app.stopping:a']);
    outbox.remove(stopping[0]!.id);
    expect(outbox.nextGroup(11_499, 20)).toEqual([]);
    expect(services(outbox.nextGroup(11_500, 20))).toEqual(['c']);
  });

  it('a group that failed once is not joined (it is waiting to be retried); at most `max` entries at once', () => {
    const first = outbox.enqueue(alert('a'), message, 0, 1_000);
    outbox.retryAt(first, 10_000);
    outbox.enqueue(alert('b'), message, 2_000, 1_000);
    expect(services(outbox.nextGroup(3_000, 20))).toEqual(['b']);
    for (const service of ['c', 'd', 'e']) outbox.enqueue(alert(service), message, 2_000, 0);
    expect(services(outbox.nextGroup(3_000, 2))).toEqual(['b', 'c']);
  });

  it('without a group window every alert is due at once; the group survives a reopen of the file', () => {
    outbox.enqueue(alert('a'), message, 1_000, 0);
    expect(services(outbox.nextGroup(1_000, 20))).toEqual(['a']);
    outbox.enqueue(alert('b', 'app.stopping'), message, 1_000, 30_000);
    outbox.close();
    outbox = Outbox.open(file);
    outbox.enqueue(alert('c', 'app.stopping'), message, 20_000, 30_000);
    expect(outbox.nextGroup(30_999, 20).map((e) => e.alert.type)).toEqual(['app.started']);
    outbox.remove(outbox.entries()[0]!.id);
    expect(services(outbox.nextGroup(31_000, 20))).toEqual(['b', 'c']);
  });

  it('removeLater deletes only later entries of that type and service', () => {
    const missing = outbox.enqueue({ type: 'heartbeat_missing', service: 'a', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, 0);
    outbox.enqueue({ type: 'heartbeat_resumed', service: 'b', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, 0);
    outbox.enqueue({ type: 'heartbeat_resumed', service: 'a', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, 0);
    expect(outbox.removeLater('heartbeat_resumed', 'a', missing)).toBe(1);
    expect(outbox.entries().map((e) => `${e.alert.type}:${e.alert.service}`)).toEqual(['heartbeat_missing:a', 'heartbeat_resumed:b']);
  });
});

describe('Outbox relayed entries (replicas)', () => {
  it('a relayed entry is kept but never due nor counted, until taken back; an older state file gets the columns', () => {
    outbox.close();
    fs.rmSync(file);
    // A state file from before the relayed columns existed.
    const old = new Database(file);
    old.exec(
      'CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_type TEXT NOT NULL, service TEXT NOT NULL, alert TEXT NOT NULL, message TEXT NOT NULL, enqueued_at_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL)',
    );
    old.close();
    outbox = Outbox.open(file);
    const a = outbox.enqueue(alert('a'), message, 1_000);
    outbox.enqueue(alert('b'), message, 1_000);
    outbox.markRelayed(a, 77, 1_500);
    expect(services(outbox.nextGroup(2_000, 20))).toEqual(['b']);
    expect(outbox.size).toBe(1);
    expect(outbox.relayed()).toEqual([{ id: a, sharedId: 77, relayedAtMs: 1_500 }]);
    outbox.close();
    outbox = Outbox.open(file);
    expect(outbox.relayed()).toEqual([{ id: a, sharedId: 77, relayedAtMs: 1_500 }]);
    outbox.takeBack([a], 9_000);
    expect(outbox.relayed()).toEqual([]);
    expect(services(outbox.nextGroup(9_000, 20))).toEqual(['a', 'b']);
    expect(outbox.size).toBe(2);
  });
});
