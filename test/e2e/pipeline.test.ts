// The whole monitoring pipeline, end to end, with every piece real except the two SaaS at its ends:
//
//   built app (next start, OTel SDK) ──OTLP──▶ real collector binary (otel-collector.yaml + extras.sentry.yaml)
//        ├──▶ fake Sentry: a local OTLP/HTTP receiver that checks x-sentry-auth and decodes what it gets
//        └──▶ the real alert processor (its bundle, in its own process) ──▶ fake Slack webhook (local HTTP server)
//
// One scenario, in order: start → one "started" message; 6 failing requests (3, then 3 more once the first 3
// have reached the pipeline: one failing request = one error) → exactly one critical whose trace link is one of
// them; 6 more at once → nothing new; quiet for a window → one resolved message, which Slack first refuses with
// 429 + Retry-After: 2 and gets once after the wait; another spike inside the cooldown → suppressed, and it ends
// without a message; the collector stopped for 30 s while the app serves → no failed request, and export
// resumes; SIGTERM → one "stopping" message. Windows are short (ALERT_WINDOW_SECONDS=10) to keep it quick.
// The app runs on SQLite: this test is about the telemetry pipeline, not the database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_TOKEN, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { startFakeSlack, type FakeSlack, type SlackPost } from '../helpers/fake-slack';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const SENTRY_PUBLIC_KEY = 'e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0';
const SENTRY_PROJECT_PATH = '/api/4242/integration/otlp';
const WINDOW_SECONDS = 10;
const OUTAGE_MS = 30_000;
const TRACE_URL_TEMPLATE = 'http://localhost:16686/trace/{traceId}';

const KIND = {
  started: 'ℹ️ INFO: drop started',
  critical: '🚨 CRITICAL: drop: error spike',
  resolved: '✅ RESOLVED: drop: error spike over',
  stopping: '⚠️ WARNING: drop is stopping',
} as const;
type Kind = keyof typeof KIND;

const kindOf = (post: SlackPost): Kind | 'other' =>
  (Object.keys(KIND) as Kind[]).find((kind) => post.body?.text?.startsWith(`${KIND[kind]} —`)) ?? 'other';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('monitoring pipeline end to end: app → collector → Sentry + alert processor → Slack', () => {
  let database: TestDatabase;
  let stateDir: string;
  let sentry: OtlpReceiver;
  let slack: FakeSlack;
  let alerts: RunningAlertProcessor;
  let collector: RunningCollector;
  let collectorEnv: Record<string, string>;
  let app: AppServer;
  let admin: HttpClient;

  const delivered = (kind: Kind) => slack.delivered().filter((post) => kindOf(post) === kind);
  const context = () =>
    `\n--- alert processor ---\n${alerts?.output().slice(-6_000)}\n--- collector ---\n${collector?.output().slice(-4_000)}`;

  async function waitForMessage(kind: Kind, timeoutMs: number): Promise<SlackPost> {
    try {
      return await slack.waitFor(() => delivered(kind)[0], timeoutMs, `the ${kind} message`);
    } catch (error) {
      throw new Error(`${(error as Error).message}${context()}`);
    }
  }

  /** n requests to the deliberate-error route, each with its own trace id; all must fail with a 500. */
  async function failRequests(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { traceparent, traceId } = newTraceparent();
      const response = await admin.post('/api/admin/debug/error', undefined, { headers: { traceparent } });
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ error: { code: 'internal', traceId } });
      ids.push(traceId);
    }
    return ids;
  }

  /** Until Sentry has the error span and the error log of each request: then the alert processor has them too. */
  async function waitUntilExported(ids: string[]): Promise<void> {
    await sentry.waitFor(
      () =>
        ids.every(
          (id) =>
            sentry.spans.some((s) => s.traceId === id && s.status.code === 2) &&
            sentry.logs.some((l) => l.traceId === id && l.severityNumber >= 17),
        ),
      20_000,
      'the error spans and logs of the failing requests at Sentry',
    );
    // The alert exporter flushes every 200 ms, Sentry's every second: give the alert path one more flush.
    await sleep(500);
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-e2e-alerts-'));
    [sentry, slack] = await Promise.all([startOtlpReceiver(), startFakeSlack()]);
    const sentryTraces = `${sentry.url}${SENTRY_PROJECT_PATH}/v1/traces`;
    alerts = await startAlertProcessor({
      ALERTS_STATE_FILE: path.join(stateDir, 'state.db'),
      ALERT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      ALERT_ERROR_THRESHOLD: '5',
      ALERT_COOLDOWN_SECONDS: '600',
      SLACK_WEBHOOK_URL: slack.url,
      TRACE_URL_TEMPLATE,
      // The Sentry link is derived from the collector's Sentry endpoint, as in the compose stack.
      SENTRY_OTLP_TRACES_ENDPOINT: sentryTraces,
      LOG_LEVEL: 'info',
    });
    collectorEnv = {
      SENTRY_OTLP_TRACES_ENDPOINT: sentryTraces,
      SENTRY_OTLP_LOGS_ENDPOINT: `${sentry.url}${SENTRY_PROJECT_PATH}/v1/logs`,
      SENTRY_PUBLIC_KEY,
      ALERT_PROCESSOR_ENDPOINT: alerts.url,
      ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
    };
    collector = await startCollector(['otel-collector.yaml', 'otel/collector/examples/extras.sentry.yaml'], collectorEnv);
    app = await startApp({
      databaseUrl: database.url,
      env: {
        OTEL_SERVICE_NAME: 'drop',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
      },
    });
    admin = new HttpClient(app.url);
    expect((await admin.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
  }, 20 * 60_000); // a cold collector build takes minutes; `.ci/run` builds it before the tests

  afterAll(async () => {
    await app?.stop();
    await collector?.stop();
    await alerts?.stop();
    await Promise.all([sentry?.close(), slack?.close()]);
    await database?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('app start → one "started" message', async () => {
    const started = await waitForMessage('started', 30_000);
    expect(started.body?.text).toMatch(/^ℹ️ INFO: drop started — drop started \(version \d+\.\d+\.\d+, environment production\)\./);
    expect(started.body?.blocks?.[0]).toMatchObject({ type: 'header' });
    expect(delivered('started')).toHaveLength(1);
  }, 60_000);

  it('Sentry gets the app’s telemetry on its OTLP endpoints, with the x-sentry-auth header', async () => {
    await sentry.waitFor(() => sentry.logs.length > 0 && sentry.spans.length > 0, 20_000, 'logs and spans at Sentry');
    expect(sentry.rejected).toEqual([]);
    for (const request of sentry.requests) {
      expect(request.headers['x-sentry-auth']).toBe(`sentry sentry_key=${SENTRY_PUBLIC_KEY}`);
      expect(request.path).toBe(`${SENTRY_PROJECT_PATH}/v1/${request.signal}`);
    }
    expect(sentry.logs.some((l) => (l.eventName || l.attributes['event.name']) === 'app.started')).toBe(true);
  }, 60_000);

  let failing: string[] = [];

  it('6 failing requests within a window → exactly one critical, its trace link one of theirs', async () => {
    // 3 failing requests = 3 error logs + 3 error spans = 6 error records, yet only 3 failures: no alert.
    failing = await failRequests(3);
    await waitUntilExported(failing);
    expect(delivered('critical')).toEqual([]);

    failing.push(...(await failRequests(3)));
    const critical = await waitForMessage('critical', 20_000);
    const text = critical.body!.text!;
    expect(text).toContain(`6 failing requests in the last ${WINDOW_SECONDS}s (alert above 5)`);
    const linked = /http:\/\/localhost:16686\/trace\/([0-9a-f]{32})/.exec(text)?.[1];
    expect(failing).toContain(linked);
    expect(text).toContain(`Sentry: ${sentry.url}/organizations/sentry/issues/?project=4242`);
    expect(JSON.stringify(critical.body?.blocks)).toContain(`http://localhost:16686/trace/${linked}`);
    expect(text).toMatch(/Time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
  }, 60_000);

  it('6 more failing requests while the spike is open → no further message', async () => {
    const more = await failRequests(6);
    await waitUntilExported(more);
    expect(delivered('critical')).toHaveLength(1);
    expect(slack.posts.filter((p) => kindOf(p) !== 'started')).toHaveLength(1);
  }, 60_000);

  it('quiet for a window → one resolved message; Slack’s 429 + Retry-After: 2 is waited out and it is delivered once', async () => {
    // The next post Slack gets is the resolution: refuse it once.
    slack.answerNext({ status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' });
    const resolved = await waitForMessage('resolved', 4 * WINDOW_SECONDS * 1000);
    const attempts = slack.posts.filter((p) => kindOf(p) === 'resolved');
    expect(attempts.map((p) => p.status)).toEqual([429, 200]);
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(2_000);
    expect(resolved.body?.text).toContain('12 during the spike');
    await sleep(1_000);
    expect(delivered('resolved')).toHaveLength(1);
  }, 90_000);

  it('a new spike within the cooldown → no critical; it ends without a resolved message', async () => {
    const ids = await failRequests(6);
    await waitUntilExported(ids);
    const suppressed = () =>
      alerts.logRecords().find((r) => r.msg === 'alert suppressed by the cooldown' && r['alert.type'] === 'error_spike');
    await waitUntil(suppressed, 10_000, 'the suppression in the alert processor’s log');
    await waitUntil(
      () => alerts.logRecords().find((r) => String(r.msg).startsWith('error spike over (its alert was suppressed')),
      4 * WINDOW_SECONDS * 1000,
      'the suppressed spike to end',
    );
    expect(delivered('critical')).toHaveLength(1);
    expect(delivered('resolved')).toHaveLength(1);
  }, 90_000);

  it('collector stopped for 30 s while the app serves → no failed request; export resumes afterwards', async () => {
    const port = Number(new URL(collector.otlpHttpUrl).port);
    const user = new HttpClient(app.url);
    expect((await user.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const serve = async (until: number, into: { traceId: string; status: number }[]) => {
      while (Date.now() < until) {
        const { traceparent, traceId } = newTraceparent();
        const response = await user.get(into.length % 2 ? '/api/account' : '/api/health', { headers: { traceparent } });
        into.push({ traceId, status: response.status });
        await sleep(200);
      }
    };

    await collector.stop();
    const during: { traceId: string; status: number }[] = [];
    await serve(Date.now() + OUTAGE_MS, during);
    collector = await startCollector(['otel-collector.yaml', 'otel/collector/examples/extras.sentry.yaml'], collectorEnv, {
      otlpHttpPort: port,
    });
    const after: { traceId: string; status: number }[] = [];
    await serve(Date.now() + 3_000, after);

    expect(during.length).toBeGreaterThan(50);
    expect(during.filter((r) => r.status !== 200)).toEqual([]);
    expect(after.filter((r) => r.status !== 200)).toEqual([]);
    const exported = () => new Set(sentry.spans.map((s) => s.traceId));
    await sentry.waitFor(
      () => after.every((r) => exported().has(r.traceId)),
      30_000,
      'the spans of the requests after the outage at Sentry',
    );
    // The app's batch processor exports one batch at a time and retries it for up to the export timeout (10 s)
    // while new spans wait in its bounded queue: part of the outage's spans arrive once the collector is back
    // (about 40 % in a 30 s outage), the rest are dropped when a batch runs out of retries — by design.
    const fromOutage = during.filter((r) => exported().has(r.traceId)).length;
    expect(fromOutage, `${fromOutage} of ${during.length} requests of the outage exported`).toBeGreaterThan(0);
  }, 120_000);

  it('SIGTERM → one "stopping" message; every message once, in order', async () => {
    const { code } = await app.stop('SIGTERM');
    expect(code).toBe(0);
    await waitForMessage('stopping', 30_000);
    await sleep(1_000);
    expect(slack.delivered().map(kindOf)).toEqual(['started', 'critical', 'resolved', 'stopping']);
    // Nothing the messages carry is a secret: the admin's password never travels.
    expect(slack.posts.map((p) => p.raw).join('\n')).not.toContain(DEMO_PASSWORD);
  }, 60_000);

  it('the alert processor stops gracefully on SIGTERM', async () => {
    const { code } = await alerts.stop('SIGTERM');
    expect(code).toBe(0);
    expect(alerts.logRecords().map((r) => r['event.name'])).toContain('alerts.stopped');
  }, 60_000);
});
