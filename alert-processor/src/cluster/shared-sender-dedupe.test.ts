import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Receiver } from '../notify/receiver';
import { buildSlackMessage } from '../notify/slack-message';
import type { Alert, BackupAlert, CollectorAlert, LoginAlert } from '../rules/rules';
import { Silencer } from '../silence/silencer';
import type { AlertStore } from '../store/database';
import { Outbox } from '../store/outbox';
import { SilenceStore } from '../store/silence-store';
import { createTestStore, STORE_KINDS, type TestStore } from '../store/test-stores';
import { Lease } from './lease';
import { SharedSender } from './shared-sender';

// The replicas' sender drops an alert another replica raised too — but alerts about different subjects of one
// service (two exporters, two attacked accounts) are not duplicates, nor is a problem that came back after its
// recovery was posted.
describe.each(STORE_KINDS)('the shared sender’s duplicates on %s', (kind) => {
  let test: TestStore;
  let store: AlertStore;
  let sender: SharedSender;
  let outbox: Outbox;
  const posted: Alert[] = [];
  const receiver: Receiver = {
    name: 'slack',
    label: 'Slack',
    notify: (alerts) => {
      posted.push(...alerts);
      return Promise.resolve({ delivery: { status: 'delivered', attempts: 1, skipped: false }, headline: 'ok' });
    },
  };

  beforeEach(async () => {
    posted.length = 0;
    test = await createTestStore(kind);
    store = await test.open();
    outbox = new Outbox(store.db, 'replica-b');
    sender = new SharedSender({
      outbox: new Outbox(store.db, 'replica-a'),
      lease: new Lease(store.db, 'replica-a', 3_000),
      receivers: { slack: receiver },
      silencer: new Silencer(new SilenceStore(store.db), []),
      logger: pino({ level: 'silent' }),
      cooldownMs: 600_000,
      claimMs: 5_000,
      pollMs: 20,
    });
    sender.start();
  });

  afterEach(async () => {
    await sender.stop();
    await store.close();
    await test.drop();
  });

  /** Enqueued as another replica does; resolves once the sender has posted or dropped all of it. */
  async function send(...alerts: Alert[]): Promise<void> {
    await outbox.enqueue(
      alerts.map((alert) => ({ alert, message: buildSlackMessage(alert, {}), receiver: 'slack' })),
      Date.now(),
    );
    const deadline = Date.now() + 10_000;
    while ((await outbox.size()) > 0) {
      if (Date.now() > deadline) throw new Error('the sender did not empty the outbox');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const collector = (type: CollectorAlert['type'], exporter: string): CollectorAlert => ({
    type,
    service: 'drop-otel-collector',
    atMs: Date.now(),
    exporter,
    failed: { spans: 3 },
    dropped: {},
    sinceMs: Date.now(),
  });
  const login = (subject: string): LoginAlert => ({
    type: 'login_failure_spike',
    service: 'drop',
    atMs: Date.now(),
    scope: 'account',
    subject,
    failures: 11,
    threshold: 10,
    windowMs: 60_000,
    reasons: { bad_password: 11 },
    spread: 1,
    unknownAccountFailures: 0,
    maskedEmails: [],
  });
  const backup = (type: BackupAlert['type']): BackupAlert => ({
    type,
    service: 'drop-backup',
    atMs: Date.now(),
    lastSuccessMs: null,
    intervalMs: 60_000,
    graceMs: 0,
    failures: 0,
    watchedSinceMs: 0,
  });
  const subjects = () =>
    posted.map((alert) =>
      alert.type === 'login_failure_spike' ? alert.subject : 'exporter' in alert ? `${alert.type} ${alert.exporter}` : alert.type,
    );

  it('two exporters of one collector failing: both posted, in one group or apart; the same exporter again is a duplicate', async () => {
    await send(collector('collector_export_failed', 'otlp_http/sentry'), collector('collector_export_failed', 'otlp_http/jaeger'));
    await send(collector('collector_export_failed', 'otlp_http/tempo'));
    await send(collector('collector_export_failed', 'otlp_http/sentry'));
    expect(subjects().sort()).toEqual([
      'collector_export_failed otlp_http/jaeger',
      'collector_export_failed otlp_http/sentry',
      'collector_export_failed otlp_http/tempo',
    ]);
  });

  it('two accounts attacked: both told; the same account again within the cooldown is a duplicate', async () => {
    await send(login('u1'), login('u2'));
    await send(login('u3'));
    await send(login('u1'));
    expect(subjects().sort()).toEqual(['u1', 'u2', 'u3']);
  });

  it('stale, recovered, stale again within the cooldown: a new problem, posted', async () => {
    await send(backup('backup_stale'));
    await send(backup('backup_recovered'));
    await send(backup('backup_stale'));
    await send(backup('backup_stale'));
    expect(subjects()).toEqual(['backup_stale', 'backup_recovered', 'backup_stale']);
  });
});
