// Two alert processors as production runs them (the bundle, each in its own process, each with its own state
// file) on one real PostgreSQL database, both sent the same telemetry (the collector fanning out to both), and
// one fake Slack webhook: every alert arrives once; a silence created through one replica holds on the other
// (and the muted spike's resolution is not posted either); a resolution waits behind a critical Slack failed; the sender stopping hands the lease over, the sender
// killed loses it when it runs out; the database gone, both post on their own (duplicates, not silence).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_AUTHORIZATION, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { encodeLogs, encodeTraces, randomHexId } from '../helpers/otlp-encode';

const TOKEN = 'replicas-test-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('alert processor replicas on PostgreSQL', () => {
  let database: TestDatabase;
  let slack: FakeSlack;
  let dir: string;
  const replicas: Record<'a' | 'b', RunningAlertProcessor | undefined> = { a: undefined, b: undefined };

  const start = async (name: 'a' | 'b') => {
    replicas[name] = await startAlertProcessor({
      ALERTS_DATABASE_URL: database.url,
      ALERTS_REPLICA_ID: `replica-${name}`,
      ALERT_SERVICES: 'drop,drop-worker,drop-cron,drop-payments,drop-mailer,drop-batch',
      ALERTS_LEASE_SECONDS: '2',
      ALERTS_STATE_FILE: path.join(dir, `${name}.db`),
      ALERTS_API_TOKEN: TOKEN,
      ALERT_WINDOW_SECONDS: '1',
      SLACK_WEBHOOK_URL: slack.url,
      LOG_LEVEL: 'info',
    });
    return replicas[name]!;
  };
  const running = () => Object.values(replicas).filter((r): r is RunningAlertProcessor => r !== undefined);
  const logs = (replica: RunningAlertProcessor | undefined) => replica?.logRecords() ?? [];
  const sender = () =>
    running().find(
      (r) =>
        logs(r)
          .filter((l) => l['event.name'] === 'alerts.lease')
          .at(-1)?.held === true,
    );

  /** The collector fanning out: the same export request to every replica running. */
  const fanOut = async (signal: 'logs' | 'traces', body: Uint8Array, to = running()) => {
    for (const replica of to) {
      const response = await fetch(`${replica.url}/v1/${signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...INTAKE_AUTHORIZATION },
        body: zlib.gzipSync(body),
      });
      expect(response.status).toBe(200);
    }
  };
  const lifecycle = (service: string, event: 'app.started' | 'app.stopping') =>
    encodeLogs([{ service, body: event, severityNumber: event === 'app.started' ? 9 : 13, eventName: event }]);
  const firstLines = () => slack.delivered().map((p) => p.body?.text?.split(' — ')[0]);

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    slack = await startFakeSlack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-replicas-'));
    await Promise.all([start('a'), start('b')]);
  });

  afterAll(async () => {
    await Promise.all(running().map((r) => r.stop()));
    await slack?.close();
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('one replica takes the lease; alerts both raise are posted once', async () => {
    await slack.waitFor(() => sender(), 10_000, 'a replica to take the lease');
    expect(running().filter((r) => logs(r).some((l) => l['event.name'] === 'alerts.lease' && l.held === true))).toHaveLength(1);

    await fanOut('logs', lifecycle('drop', 'app.started'));
    await slack.waitFor(() => slack.delivered().length === 1, 10_000, 'the started message');

    const ids = Array.from({ length: 6 }, () => randomHexId(16));
    await fanOut(
      'traces',
      encodeTraces(
        ids.map((traceId) => ({ service: 'drop', name: 'POST /api/transfers', traceId, spanId: randomHexId(8), statusCode: 2 })),
      ),
    );
    await slack.waitFor(() => slack.delivered().some((p) => p.body?.text?.startsWith('✅ RESOLVED')), 15_000, 'the resolution');
    await sleep(1_500);
    expect(firstLines()).toEqual(['ℹ️ INFO: drop started', '🚨 CRITICAL: drop: error spike', '✅ RESOLVED: drop: error spike over']);
    const dropped = running()
      .flatMap((r) => logs(r))
      .filter((l) => l['event.name'] === 'alerts.duplicate');
    expect(dropped.map((l) => l['alert.type']).sort()).toEqual(['app.started', 'error_spike', 'error_spike_resolved']);
  });

  it('a silence created through one replica holds for alerts raised by the other, and is counted there', async () => {
    const created = await fetch(`${replicas.b!.url}/api/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'service.name', value: 'drop-worker' }],
        durationMinutes: 10,
        comment: 'worker maintenance',
      }),
    });
    expect(created.status).toBe(201);
    const { silence } = (await created.json()) as { silence: { id: string } };
    await fanOut('logs', lifecycle('drop-worker', 'app.started'), [replicas.a!]);
    await fanOut('logs', lifecycle('drop-cron', 'app.started'), [replicas.a!]);
    await slack.waitFor(() => slack.delivered().length === 4, 10_000, 'the drop-cron message');
    expect(firstLines().at(-1)).toBe('ℹ️ INFO: drop-cron started');
    const listed = await fetch(`${replicas.a!.url}/api/silences`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await listed.json()) as { silences: { id: string; silenced: number }[] };
    expect(body.silences).toEqual([expect.objectContaining({ id: silence.id, silenced: 1 })]);
    expect(logs(sender()).find((l) => l['event.name'] === 'alerts.muted')).toMatchObject({
      'service.name': 'drop-worker',
      silence_id: silence.id,
    });

    // A muted critical: its resolution, raised by a replica that cannot know, is dropped by the sender.
    const ids = Array.from({ length: 6 }, () => randomHexId(16));
    await fanOut(
      'traces',
      encodeTraces(ids.map((traceId) => ({ service: 'drop-worker', name: 'job', traceId, spanId: randomHexId(8), statusCode: 2 }))),
      [replicas.a!],
    );
    const orphan = (l: Record<string, unknown>) =>
      l['event.name'] === 'alerts.duplicate' && l['alert.type'] === 'error_spike_resolved' && l['service.name'] === 'drop-worker';
    await slack.waitFor(() => running().some((r) => logs(r).some(orphan)), 15_000, 'the resolution of the muted spike to be dropped');
    expect(slack.delivered()).toHaveLength(4);
  });

  it('a critical Slack fails for longer than a window: its resolution waits behind it, both are posted, in order', async () => {
    const before = slack.delivered().length;
    // One send's every attempt (SLACK_MAX_ATTEMPTS 4, backoff 0.5 + 1 + 2 s): longer than the 1 s window, so the
    // resolution reaches the shared outbox while the critical waits there to be posted again.
    slack.answerNext(...Array.from({ length: 4 }, () => ({ status: 503, body: 'service_unavailable' })));
    const ids = Array.from({ length: 6 }, () => randomHexId(16));
    await fanOut(
      'traces',
      encodeTraces(
        ids.map((traceId) => ({ service: 'drop-payments', name: 'POST /api/transfers', traceId, spanId: randomHexId(8), statusCode: 2 })),
      ),
    );
    await slack.waitFor(
      () => slack.delivered().some((p) => p.body?.text?.startsWith('✅ RESOLVED: drop-payments')),
      30_000,
      'the resolution of the spike Slack failed at first',
    );
    await sleep(1_500);
    expect(firstLines().slice(before)).toEqual(['🚨 CRITICAL: drop-payments: error spike', '✅ RESOLVED: drop-payments: error spike over']);
    expect(slack.posts.filter((p) => p.status === 503)).toHaveLength(4);
    expect(logs(sender()).some((l) => l['event.name'] === 'alerts.resolution_waits' && l['service.name'] === 'drop-payments')).toBe(true);
  });

  it('the sender stopping gives the lease up: the other replica sends from then on', async () => {
    const leaving = sender()!;
    const name = leaving === replicas.a ? 'a' : 'b';
    const staying = name === 'a' ? replicas.b! : replicas.a!;
    expect((await leaving.stop()).code).toBe(0);
    replicas[name] = undefined;
    await slack.waitFor(() => sender() === staying, 10_000, 'the other replica to take the lease');
    const before = slack.delivered().length;
    await fanOut('logs', lifecycle('drop', 'app.stopping'));
    await slack.waitFor(() => slack.delivered().length === before + 1, 10_000, 'the stopping message');
    expect(firstLines().at(-1)).toBe('⚠️ WARNING: drop is stopping');
    await start(name);
  });

  it('the sender killed: its lease runs out and the other replica takes over', async () => {
    const killed = sender()!;
    const name = killed === replicas.a ? 'a' : 'b';
    const other = name === 'a' ? replicas.b! : replicas.a!;
    await killed.stop('SIGKILL');
    replicas[name] = undefined;
    const before = slack.delivered().length;
    await fanOut('logs', lifecycle('drop-mailer', 'app.started'));
    await slack.waitFor(() => slack.delivered().length === before + 1, 15_000, 'the message once the lease ran out');
    expect(sender()).toBe(other);
    expect(firstLines().at(-1)).toBe('ℹ️ INFO: drop-mailer started');
    await start(name);
  });

  it('the database gone: each replica posts what it raises itself — duplicates rather than silence', async () => {
    await database.drop();
    const before = slack.delivered().length;
    await fanOut('logs', lifecycle('drop-batch', 'app.started'));
    await slack.waitFor(() => slack.delivered().length === before + 2, 15_000, 'both replicas posting on their own');
    expect(firstLines().slice(-2)).toEqual(['ℹ️ INFO: drop-batch started', 'ℹ️ INFO: drop-batch started']);
    for (const replica of running()) {
      expect(logs(replica).some((l) => l['event.name'] === 'alerts.fail_open')).toBe(true);
      // Connections cut under them (the database dropped) must not take the process down.
      await sleep(500);
      expect((await fetch(`${replica.url}/healthz`)).status).toBe(200);
      // The silences API cannot read the database: 503 in the error shape, not a 500.
      const silences = await fetch(`${replica.url}/api/silences`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(silences.status).toBe(503);
      expect(((await silences.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    }
  });
});
