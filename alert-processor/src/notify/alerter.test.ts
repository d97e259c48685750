import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OtlpMetric } from '../intake/otlp/decode';
import { AuditWatch } from '../rules/audit-watch';
import { BackupWatch } from '../rules/backup-watch';
import { CollectorWatch } from '../rules/collector-watch';
import { Heartbeat } from '../rules/heartbeat';
import { LoginWatch, type LoginFailureSignal } from '../rules/login-watch';
import { AlertRules, type Alert } from '../rules/rules';
import type { AlertSignal } from '../rules/signals';
import { openMigratedStore, type AlertStore } from '../store/database';
import { Outbox } from '../store/outbox';
import { StateStore } from '../store/state-store';
import { Alerter } from './alerter';
import type { Receiver } from './receiver';

// The outbox refusing a write (a disk full): the intake answers 503 and the collector sends the same records again,
// which must raise the alerts again, however far the rules and watches had got.
let dir: string;
let database: AlertStore;
let store: StateStore;
let now: number;
const sent: Alert[] = [];
const slack: Receiver = {
  name: 'slack',
  label: 'Slack',
  notify: (alerts) => {
    sent.push(...alerts);
    return Promise.resolve({ delivery: { status: 'delivered', attempts: 1, skipped: false }, headline: 'ok' });
  },
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alerter-'));
  database = await openMigratedStore({ file: path.join(dir, 'state.db') });
  store = await StateStore.open(database.db);
  now = 1_000_000;
  sent.length = 0;
});
afterEach(async () => {
  await store.flush();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function assemble() {
  const rules = new AlertRules({ store, threshold: 2, windowMs: 10_000, cooldownMs: 600_000, redeliveryMs: 30_000 });
  const heartbeat = new Heartbeat(store, 60_000, 10_000, now);
  const backups = new BackupWatch(store, 0, now);
  const collector = new CollectorWatch(store, 10_000);
  const audit = new AuditWatch(store, 0, now);
  const login = new LoginWatch({ perAccount: 2, perNetwork: 100, windowMs: 60_000, cooldownMs: 600_000 });
  const outbox = new Outbox(database.db);
  const alerter = new Alerter(
    {
      rules,
      slack,
      outbox,
      links: {},
      logger: pino({ level: 'silent' }),
      heartbeat,
      watches: [heartbeat, backups, collector, audit, login],
    },
    {},
    () => now,
  );
  const refuseOnce = () => vi.spyOn(outbox, 'enqueue').mockRejectedValueOnce(new Error('disk full'));
  return { rules, heartbeat, backups, collector, audit, login, outbox, alerter, refuseOnce };
}

const types = (alerts: Alert[]) => alerts.map((alert) => alert.type);

const failing = (n: number, service = 'drop'): AlertSignal[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'error', service, traceId: String(i).padStart(32, '0'), description: 'GET / 500' }));

const loginFailures = (n: number): LoginFailureSignal[] =>
  Array.from({ length: n }, () => ({ service: 'drop', userId: 'u1', network: '10.0.0.0/24', reason: 'bad_password' }));

const sendFailed = (value: number): OtlpMetric => {
  const attributes = { exporter: 'otlp_http/sentry' };
  return {
    name: 'otelcol_exporter_send_failed_spans',
    unit: '',
    kind: 'sum',
    monotonic: true,
    temporality: 2,
    points: [{ attributes, startTimeUnixNano: '1000', timeUnixNano: '2000', value }],
    dataPointAttributes: [attributes],
    resource: { 'service.name': 'drop-otel-collector', 'service.instance.id': 'c1' },
    scope: 'exporterhelper',
  };
};

describe('Alerter.dispatch when the outbox refuses the write', () => {
  it('throws, and the same records sent again raise the watches’ alerts again', async () => {
    const { login, collector, backups, audit, alerter, refuseOnce } = assemble();
    const raise = () => [
      ...login.observe(loginFailures(3), now),
      ...collector.observe([sendFailed(5)], now),
      ...backups.observe([{ kind: 'backup', outcome: 'failed', service: 'drop-backup', timeMs: now, intervalMs: 60_000 }], now),
      ...audit.observe([{ kind: 'refused', service: 'drop', timeMs: now, entryId: 7 }], now),
    ];
    const first = raise();
    expect(types(first)).toEqual(['login_failure_spike', 'collector_export_failed', 'backup_failed', 'audit_chain_broken']);
    refuseOnce();
    await expect(alerter.dispatch(first)).rejects.toThrow('disk full');

    now += 1_000;
    const again = raise();
    expect(types(again)).toEqual(['login_failure_spike', 'collector_export_failed', 'backup_failed', 'audit_chain_broken']);
    await alerter.dispatch(again);
    expect(await alerter.pending()).toBeGreaterThan(0);
    // Queued now: told once.
    expect(raise()).toEqual([]);
    await alerter.drain(5_000);
    expect(types(sent)).toEqual(types(again));
  });

  it('an error spike whose critical was not queued is offered again (not held in flight for good)', async () => {
    const { rules, alerter, refuseOnce } = assemble();
    const spike = rules.observe(failing(3), now);
    expect(types(spike)).toEqual(['error_spike']);
    refuseOnce();
    await expect(alerter.dispatch(spike)).rejects.toThrow('disk full');
    now += 30_000;
    const again = rules.tick(now);
    expect(types(again)).toEqual(['error_spike']);
    await alerter.dispatch(again);
    await alerter.drain(5_000);
    expect(types(sent)).toEqual(['error_spike']);
  });

  it('the timer path: a heartbeat_missing not queued is raised again on the next tick', async () => {
    const { heartbeat, alerter, refuseOnce } = assemble();
    heartbeat.seen(['drop'], now);
    now += 61_000;
    const missing = heartbeat.tick(now);
    expect(types(missing)).toEqual(['heartbeat_missing']);
    refuseOnce();
    await expect(alerter.dispatch(missing)).rejects.toThrow('disk full');
    now += 1_000;
    expect(types(heartbeat.tick(now))).toEqual(['heartbeat_missing']);
  });
});

describe('the delivery watch across a restart', () => {
  it('a delivery_failed told before a restart gets its delivery_recovered after it', async () => {
    const emailed: Alert[] = [];
    const email: Receiver = {
      name: 'email',
      label: 'email',
      notify: (alerts) => {
        emailed.push(...alerts);
        return Promise.resolve({ delivery: { status: 'delivered', attempts: 1, skipped: false }, headline: 'ok' });
      },
    };
    const refusing: Receiver = {
      ...slack,
      notify: () => Promise.resolve({ delivery: { status: 'give_up', attempts: 1, reason: 'HTTP 404' }, headline: 'no' }),
    };
    const started: Alert = {
      type: 'app.started',
      service: 'drop',
      atMs: now,
      event: { kind: 'lifecycle', event: 'app.started', service: 'drop', timeMs: now },
    };
    const alerter = (receiver: Receiver, state: StateStore) =>
      new Alerter(
        {
          rules: new AlertRules({ store: state, threshold: 2, windowMs: 10_000, cooldownMs: 0 }),
          slack: receiver,
          email,
          outbox: new Outbox(database.db),
          links: {},
          logger: pino({ level: 'silent' }),
          state,
        },
        {},
        () => now,
      );

    const before = alerter(refusing, store);
    await before.dispatch([started]);
    await before.drain(5_000);
    expect(types(emailed)).toEqual(['delivery_failed']);
    await store.flush();

    store = await StateStore.open(database.db);
    const after = alerter(slack, store);
    await after.dispatch([{ ...started, atMs: now + 1 }]);
    await after.drain(5_000);
    expect(types(sent)).toEqual(['app.started']);
    expect(types(emailed)).toEqual(['delivery_failed', 'delivery_recovered']);
    expect(emailed[1]).toMatchObject({ receiver: 'slack', reason: 'HTTP 404' });
  });
});
