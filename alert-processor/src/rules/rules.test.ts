import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertRules, type Alert, type SpikeAlert } from './rules';
import type { AlertSignal } from './signals';
import { openMigratedStore, type AlertStore } from '../store/database';
import { StateStore } from '../store/state-store';

// The rules against a real SQLite state file, on a hand-driven clock.
const WINDOW = 10_000;
const COOLDOWN = 600_000;
const THRESHOLD = 5;
const REDELIVERY = 30_000;

let dir: string;
let file: string;
let store: StateStore;
let opened: AlertStore;
let notes: string[];

function rules(): AlertRules {
  return new AlertRules({
    store,
    threshold: THRESHOLD,
    windowMs: WINDOW,
    cooldownMs: COOLDOWN,
    redeliveryMs: REDELIVERY,
    onNote: (note) => notes.push(note),
  });
}

let traceCounter = 0;
const traceId = () => (++traceCounter).toString(16).padStart(32, 'a');

/** One failing request as the collector delivers it: an error access log and an error span, same trace id. */
function failingRequest(service = 'drop', id = traceId()): AlertSignal[] {
  return [
    { kind: 'error', service, traceId: id, description: 'POST /api/admin/debug/error 500' },
    { kind: 'error', service, traceId: id, description: 'POST /api/admin/debug/error (DeliberateError)' },
  ];
}
const failingRequests = (n: number, service = 'drop') => Array.from({ length: n }, () => failingRequest(service)).flat();
const lifecycle = (event: 'app.started' | 'app.stopping', service = 'drop'): AlertSignal => ({
  kind: 'lifecycle',
  event,
  service,
  timeMs: 1_000,
  version: '0.1.0',
  environment: 'test',
});
const types = (alerts: Alert[]) => alerts.map((a) => `${a.type}:${a.service}`);

/** Opens the state file as a restart does. */
async function reopen(): Promise<void> {
  opened = await openMigratedStore({ file });
  store = await StateStore.open(opened.db);
}

/** What a graceful stop does: every change written, the file closed. */
async function close(): Promise<void> {
  await store.flush();
  await opened.close();
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-rules-'));
  file = path.join(dir, 'nested', 'state.db');
  await reopen();
  notes = [];
});

afterEach(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('lifecycle rules', () => {
  it('app.started is info, app.stopping a warning, each once per cooldown and service', () => {
    const r = rules();
    const [started] = r.observe([lifecycle('app.started')], 0);
    expect(started).toMatchObject({ type: 'app.started', service: 'drop' });
    r.delivered(started!, 0);
    expect(r.observe([lifecycle('app.started')], 1_000)).toEqual([]);
    expect(notes).toContain('alert suppressed by the cooldown');
    // Another type, another service: their own cooldowns.
    expect(types(r.observe([lifecycle('app.stopping'), lifecycle('app.started', 'drop-worker')], 2_000))).toEqual([
      'app.stopping:drop',
      'app.started:drop-worker',
    ]);
    // After the cooldown: again.
    expect(types(r.observe([lifecycle('app.started')], COOLDOWN))).toEqual(['app.started:drop']);
  });

  it('a failed delivery consumes no cooldown: the next event is sent', () => {
    const r = rules();
    const [first] = r.observe([lifecycle('app.started')], 0);
    r.failed(first!, 10);
    expect(types(r.observe([lifecycle('app.started')], 20))).toEqual(['app.started:drop']);
  });

  it('hands out nothing twice while a delivery is in flight', () => {
    const r = rules();
    expect(r.observe([lifecycle('app.started'), lifecycle('app.started')], 0)).toHaveLength(1);
    expect(r.observe([lifecycle('app.started')], 5)).toEqual([]);
  });

  it('the cooldown survives a restart (a new rules object on the same file)', async () => {
    const [started] = rules().observe([lifecycle('app.started')], 0);
    rules().delivered(started!, 0);
    await close();
    await reopen();
    expect(rules().observe([lifecycle('app.started')], 60_000)).toEqual([]);
  });
});

describe('error spike rules', () => {
  it('counts a failing request once however many error records it produced (distinct trace ids)', () => {
    const r = rules();
    const ids = Array.from({ length: 5 }, traceId);
    // 5 requests = 10 error records: not MORE than 5 failing requests.
    expect(
      r.observe(
        ids.flatMap((id) => failingRequest('drop', id)),
        0,
      ),
    ).toEqual([]);
    // The same requests again (late spans, a retried export) change nothing.
    expect(
      r.observe(
        ids.flatMap((id) => failingRequest('drop', id)),
        10,
      ),
    ).toEqual([]);
    const [critical] = r.observe(failingRequest(), 20) as SpikeAlert[];
    expect(critical).toMatchObject({ type: 'error_spike', service: 'drop', inWindow: 6, threshold: THRESHOLD, windowMs: WINDOW });
    expect(critical!.spike.sampleTraceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('counts records without a trace id one each', () => {
    const r = rules();
    const anonymous = (n: number): AlertSignal[] =>
      Array.from({ length: n }, () => ({ kind: 'error' as const, service: 'drop', traceId: '', description: 'db down' }));
    expect(r.observe(anonymous(5), 0)).toEqual([]);
    expect(types(r.observe(anonymous(1), 1))).toEqual(['error_spike:drop']);
  });

  it('only counts errors inside the sliding window', () => {
    const r = rules();
    r.observe(failingRequests(5), 0);
    // The first five have left the window when the next five arrive.
    expect(r.observe(failingRequests(5), WINDOW + 1)).toEqual([]);
    expect(types(r.observe(failingRequest(), WINDOW + 2))).toEqual(['error_spike:drop']);
  });

  it('keeps services apart', () => {
    const r = rules();
    expect(r.observe([...failingRequests(3, 'drop'), ...failingRequests(3, 'drop-worker')], 0)).toEqual([]);
    expect(types(r.observe([...failingRequests(3, 'drop'), ...failingRequests(3, 'drop-worker')], 1))).toEqual([
      'error_spike:drop',
      'error_spike:drop-worker',
    ]);
  });

  it('tracks a bounded number of services at once', () => {
    const r = new AlertRules({
      store,
      threshold: THRESHOLD,
      windowMs: WINDOW,
      cooldownMs: COOLDOWN,
      maxServices: 2,
      onNote: (n) => notes.push(n),
    });
    expect(types(r.observe([...failingRequests(6, 'a'), ...failingRequests(6, 'b'), ...failingRequests(6, 'c')], 0))).toEqual([
      'error_spike:a',
      'error_spike:b',
    ]);
    expect(notes).toEqual(['too many services with errors at once: errors of further services are not counted']);
    // Once a service's errors have left the window, its place is free again.
    r.tick(WINDOW + 1);
    expect(types(r.observe(failingRequests(6, 'c'), WINDOW + 2))).toEqual(['error_spike:c']);
  });

  it('fires once per spike, resolves after a full window under the threshold, on the timer', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.delivered(critical!, 100);
    // More errors during the open spike: no second critical.
    expect(r.observe(failingRequests(6), 1_000)).toEqual([]);
    // The errors leave the window at 11 s; under the threshold since then; resolved a full window later.
    expect(r.tick(11_000)).toEqual([]);
    expect(r.tick(20_000)).toEqual([]);
    const [resolved] = r.tick(21_001) as SpikeAlert[];
    expect(resolved).toMatchObject({ type: 'error_spike_resolved', service: 'drop', inWindow: 0 });
    expect(resolved!.spike).toMatchObject({ failingRequests: 12, peakInWindow: 12, openedAtMs: 0, resolvedAtMs: 21_001 });
    r.delivered(resolved!, 21_100);
    expect(r.openSpikes()).toEqual([]);
    expect(store.spikes()).toEqual([]);
    expect(r.tick(40_000)).toEqual([]);
  });

  it('a spike within the cooldown of the last critical is suppressed and ends without a resolution', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.delivered(critical!, 0);
    r.tick(11_000);
    const [resolved] = r.tick(25_000);
    r.delivered(resolved!, 25_000);
    // A second spike 30 s after the first critical.
    expect(r.observe(failingRequests(6), 30_000)).toEqual([]);
    expect(notes).toContain('alert suppressed by the cooldown');
    expect(r.observe(failingRequests(6), 31_000)).toEqual([]);
    expect(r.tick(42_000)).toEqual([]);
    expect(r.tick(52_000)).toEqual([]);
    expect(notes).toContain('error spike over (its alert was suppressed: cooldown or silence)');
    expect(r.openSpikes()).toEqual([]);
    // After the cooldown a spike alerts again.
    expect(types(r.observe(failingRequests(6), COOLDOWN + 1))).toEqual(['error_spike:drop']);
  });

  it('a muted critical (silence, mute window) consumes no cooldown, is not offered again, and its spike ends silently', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.silenced(critical!);
    expect(store.spikes()[0]).toMatchObject({ suppressed: true, notified: false });
    expect(r.observe(failingRequests(6), 1_000 + REDELIVERY)).toEqual([]);
    expect(r.tick(15_000 + REDELIVERY)).toEqual([]);
    expect(r.tick(30_000 + REDELIVERY)).toEqual([]);
    expect(notes).toContain('error spike over (its alert was suppressed: cooldown or silence)');
    expect(r.openSpikes()).toEqual([]);
    expect(store.lastSent('error_spike', 'drop')).toBeUndefined();
    // The next spike is offered at once (no cooldown was consumed); a muted lifecycle alert neither.
    expect(types(r.observe(failingRequests(6), 60_000 + REDELIVERY))).toEqual(['error_spike:drop']);
    const [started] = r.observe([lifecycle('app.started')], 70_000);
    r.silenced(started!);
    expect(types(r.observe([lifecycle('app.started')], 71_000))).toEqual(['app.started:drop']);
  });

  it('a failed critical consumes no cooldown and is offered again (not before the redelivery wait) while the spike lasts', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.failed(critical!, 1_000);
    expect(r.observe(failingRequests(1), 2_000)).toEqual([]);
    const [again] = r.observe(failingRequests(1), 1_000 + REDELIVERY);
    expect(again).toMatchObject({ type: 'error_spike' });
    r.delivered(again!, 1_000 + REDELIVERY);
    expect(store.lastSent('error_spike', 'drop')).toBe(1_000 + REDELIVERY);
  });

  it('a spike whose critical never got through ends silently', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.failed(critical!, 0);
    expect(r.tick(11_000)).toEqual([]);
    expect(r.tick(25_000)).toEqual([]);
    expect(notes).toContain('error spike over before its alert could be delivered');
    expect(r.openSpikes()).toEqual([]);
  });

  it('waits for a critical still in flight before resolving, so the resolution can follow it', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    expect(r.tick(11_000)).toEqual([]);
    expect(r.tick(25_000)).toEqual([]);
    r.delivered(critical!, 25_500);
    expect(types(r.tick(26_000))).toEqual(['error_spike_resolved:drop']);
  });

  it('a failed resolution is offered again after the redelivery wait', () => {
    const r = rules();
    const [critical] = r.observe(failingRequests(6), 0);
    r.delivered(critical!, 0);
    r.tick(11_000);
    const [resolved] = r.tick(25_000);
    r.failed(resolved!, 25_000);
    expect(r.tick(26_000)).toEqual([]);
    expect(types(r.tick(25_000 + REDELIVERY))).toEqual(['error_spike_resolved:drop']);
  });

  it('a restart neither repeats nor forgets an alert: the open spike is restored and resolved later', async () => {
    const first = rules();
    const [critical] = first.observe(failingRequests(6), 0);
    first.delivered(critical!, 0);
    await close();

    await reopen();
    const second = rules();
    expect(second.openSpikes()).toMatchObject([{ service: 'drop', status: 'open', notified: true }]);
    // Errors go on after the restart: still the same spike, no second critical.
    expect(second.observe(failingRequests(8), 2_000)).toEqual([]);
    expect(second.tick(12_500)).toEqual([]);
    expect(types(second.tick(22_500))).toEqual(['error_spike_resolved:drop']);
  });

  it('a restart offers a critical that was never delivered again', async () => {
    const first = rules();
    const [critical] = first.observe(failingRequests(6), 0);
    first.failed(critical!, 0);
    await close();
    await reopen();
    expect(types(rules().observe(failingRequests(6), REDELIVERY))).toEqual(['error_spike:drop']);
  });
});
