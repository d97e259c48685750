import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../test/helpers/fake-slack';
import { encodeLogs, encodeTraces, randomHexId } from '../../test/helpers/otlp-encode';
import { createAlertProcessor, type AlertProcessor } from './alert-processor';
import { parseAlertsConfig, type AlertsConfig } from './config';
import { openMigratedStore } from './store/database';
import { Outbox } from './store/outbox';

const INTAKE_TOKEN = 'in-process-intake-token-0123456789';

// The whole service in-process (server, rules, SQLite state, Slack client) against a fake Slack webhook.
let slack: FakeSlack;
let dir: string;
let logLines: Record<string, unknown>[];
const running: AlertProcessor[] = [];

const logger = () =>
  pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  );

async function start(env: Record<string, string> = {}, overrides: Partial<AlertsConfig> = {}): Promise<AlertProcessor> {
  const parsed = parseAlertsConfig({
    ALERTS_HOST: '127.0.0.1',
    ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
    ALERT_SERVICES: 'drop,drop-worker,drop-cron',
    ALERTS_PORT: '0',
    ALERTS_STATE_FILE: path.join(dir, 'state.db'),
    ALERT_WINDOW_SECONDS: '1',
    ALERT_COOLDOWN_SECONDS: '600',
    SLACK_WEBHOOK_URL: slack.url,
    TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}',
    SENTRY_ISSUES_URL: 'https://acme.sentry.io/issues/?project=7',
    ...env,
  });
  const config = { ...parsed, ...overrides };
  const processor = createAlertProcessor(config, logger());
  await processor.start();
  running.push(processor);
  return processor;
}

async function send(processor: AlertProcessor, signal: 'logs' | 'traces', body: Uint8Array): Promise<void> {
  const response = await fetch(`${processor.url}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', authorization: `Bearer ${INTAKE_TOKEN}` },
    body: zlib.gzipSync(body),
  });
  expect(response.status).toBe(200);
}

/** n failing requests as the app reports them: an error access log and an error span each, same trace id. */
async function failRequests(processor: AlertProcessor, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomHexId(16));
  await send(
    processor,
    'logs',
    encodeLogs(
      ids.map((traceId) => ({
        service: 'drop',
        body: 'POST /api/admin/debug/error 500',
        severityNumber: 17,
        severityText: 'error',
        traceId,
      })),
    ),
  );
  await send(
    processor,
    'traces',
    encodeTraces(
      ids.map((traceId) => ({ service: 'drop', name: 'POST /api/admin/debug/error', traceId, spanId: randomHexId(8), statusCode: 2 })),
    ),
  );
  return ids;
}

const started = () => encodeLogs([{ service: 'drop', body: 'app.started', severityNumber: 9, eventName: 'app.started' }]);
const firstLines = () => slack.delivered().map((p) => p.body?.text?.split(':')[0]);

beforeAll(async () => {
  slack = await startFakeSlack();
});

afterAll(async () => {
  await slack?.close();
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-processor-'));
  slack.posts.length = 0;
  logLines = [];
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('alert processor (in-process)', () => {
  it('error spike → one critical with a trace link to a failing request; resolved on the timer once quiet', async () => {
    const processor = await start();
    const ids = await failRequests(processor, 6);
    const critical = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.startsWith('🚨 CRITICAL')),
      5_000,
      'the critical',
    );
    const traceLink = critical.body!.text!.match(/trace\/([0-9a-f]{32})/)?.[1];
    expect(ids).toContain(traceLink);
    expect(critical.body!.text).toContain('6 failing requests');
    await slack.waitFor(() => slack.delivered().find((p) => p.body?.text?.startsWith('✅ RESOLVED')), 5_000, 'the resolution');
    expect(firstLines()).toEqual(['🚨 CRITICAL', '✅ RESOLVED']);
  });

  it('stop() waits for a delivery in flight (a 429 and its Retry-After), then closes the state file', async () => {
    const processor = await start();
    slack.answerNext({ status: 429, headers: { 'retry-after': '1' } });
    await send(processor, 'logs', started());
    await slack.waitFor(() => slack.posts.length === 1, 5_000, 'the rate-limited post');
    await processor.stop();
    expect(slack.posts.map((p) => p.status)).toEqual([429, 200]);
    // The cooldown was written before the file was closed: a restart does not repeat the alert.
    const again = await start();
    await send(again, 'logs', started());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.delivered()).toHaveLength(1);
    expect(logLines.some((l) => l.msg === 'alert suppressed by the cooldown')).toBe(true);
  });

  it('a delivery that finally fails is logged at error and consumes no cooldown', async () => {
    const processor = await start({ SLACK_MAX_ATTEMPTS: '1' });
    slack.answerNext({ status: 500 });
    await send(processor, 'logs', started());
    const undelivered = (l: Record<string, unknown>) => String(l.msg).startsWith('alert could not be delivered to Slack');
    await slack.waitFor(() => logLines.find(undelivered), 5_000, 'the error log');
    expect(logLines.find(undelivered)).toMatchObject({ level: 50, 'alert.type': 'app.started' });
    await send(processor, 'logs', started());
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the second try');
    expect(firstLines()).toEqual(['ℹ️ INFO']);
  });

  it('a message waiting for Slack survives a restart in the outbox and is posted exactly once after it', async () => {
    const first = await start({ SLACK_MAX_ATTEMPTS: '1' });
    slack.answerNext({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await send(first, 'logs', started());
    await slack.waitFor(() => slack.posts.length >= 1, 5_000, 'the failing post');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const rows = await openMigratedStore({ file: path.join(dir, 'state.db') });
    expect((await new Outbox(rows.db).entries()).map((e) => e.alert.type)).toEqual(['app.started']);
    await rows.close();
    slack.clearAnswers();
    slack.posts.length = 0;
    const second = await start();
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the message after the restart');
    // The app starts again meanwhile: still one message (the rules know the outbox entry is on its way).
    await send(second, 'logs', started());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(firstLines()).toEqual(['ℹ️ INFO']);
    await second.stop();
    running.splice(running.indexOf(second), 1);
    const after = await openMigratedStore({ file: path.join(dir, 'state.db') });
    expect(await new Outbox(after.db).size()).toBe(0);
    await after.close();
  });

  it('Slack refusing a message for good (400 invalid_payload) drops it with an error, and the outbox moves on', async () => {
    const processor = await start();
    slack.answerNext({ status: 400, body: 'invalid_payload' });
    await send(processor, 'logs', started());
    await send(processor, 'logs', encodeLogs([{ service: 'drop', body: 'app.stopping', severityNumber: 13, eventName: 'app.stopping' }]));
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the second message');
    expect(slack.posts.map((p) => p.status)).toEqual([400, 200]);
    expect(logLines.find((l) => String(l.msg).includes('refused: dropped'))).toMatchObject({
      level: 50,
      reason: 'Slack answered 400 invalid_payload',
    });
  });

  it('heartbeat: a service silent for ALERT_HEARTBEAT_MINUTES raises a critical, its next record the resolution', async () => {
    const processor = await start({}, { heartbeatMs: 1_500 });
    await send(processor, 'logs', started());
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the started message');
    const missing = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.includes('no telemetry')),
      5_000,
      'the heartbeat alert',
    );
    expect(missing.body!.text).toMatch(/^🚨 CRITICAL: drop: no telemetry/);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(slack.delivered()).toHaveLength(2); // once, not once per tick
    await send(
      processor,
      'traces',
      encodeTraces([{ service: 'drop', name: 'GET /api/health', traceId: randomHexId(16), spanId: randomHexId(8), statusCode: 1 }]),
    );
    const back = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.includes('telemetry is back')),
      5_000,
      'the resolution',
    );
    expect(back.body!.text).toMatch(/^✅ RESOLVED: drop: telemetry is back/);
  });

  it('heartbeat: the services watched survive a restart (silence across the restart still alerts)', async () => {
    const first = await start({}, { heartbeatMs: 2_000 });
    await send(first, 'logs', started());
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the started message');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    await start({}, { heartbeatMs: 2_000 });
    await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.includes('no telemetry')),
      6_000,
      'the heartbeat alert after the restart',
    );
  });

  it('heartbeat: the processor down for longer than the timeout raises nothing while the telemetry comes back', async () => {
    const first = await start({}, { heartbeatMs: 1_500 });
    await send(first, 'logs', started());
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the started message');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    await sleep(2_000);
    const second = await start({}, { heartbeatMs: 1_500 });
    // The app's telemetry keeps arriving, as it would: more often than the timeout.
    for (let i = 0; i < 4; i++) {
      await sleep(700);
      await send(
        second,
        'traces',
        encodeTraces([{ service: 'drop', name: 'GET /api/health', traceId: randomHexId(16), spanId: randomHexId(8), statusCode: 1 }]),
      );
    }
    expect(slack.delivered().map((p) => p.body?.text?.split(' — ')[0])).toEqual(['ℹ️ INFO: drop started']);
  });
});

const lifecycle = (service: string, event: 'app.started' | 'app.stopping' = 'app.started') =>
  encodeLogs([{ service, body: event, severityNumber: event === 'app.started' ? 9 : 13, eventName: event }]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('grouping (ALERT_GROUP_SECONDS)', () => {
  it('alerts of one kind within the group window go out as one message with their count', async () => {
    const processor = await start({ ALERT_GROUP_SECONDS: '1' });
    const sentAt = Date.now();
    for (const service of ['drop', 'drop-worker', 'drop-cron']) await send(processor, 'logs', lifecycle(service));
    const grouped = await slack.waitFor(() => slack.delivered()[0], 5_000, 'the grouped message');
    expect(grouped.body!.text!.split('\n')[0]).toBe('ℹ️ INFO: started × 3 — drop, drop-worker, drop-cron');
    expect(grouped.receivedAt - sentAt).toBeGreaterThanOrEqual(900);
    await sleep(1_500);
    expect(slack.posts).toHaveLength(1);
    expect(logLines.find((l) => String(l.msg).startsWith('alert sent to Slack'))).toMatchObject({
      'alert.count': 3,
      'service.name': 'drop,drop-worker,drop-cron',
    });
  });

  it('spikes that end before the flush: the criticals go out grouped, then the resolutions — none dropped', async () => {
    const processor = await start({ ALERT_GROUP_SECONDS: '2' });
    const sentAt = Date.now();
    await failRequests(processor, 6);
    const ids = Array.from({ length: 6 }, () => randomHexId(16));
    await send(
      processor,
      'traces',
      encodeTraces(ids.map((traceId) => ({ service: 'drop-worker', name: 'job payout', traceId, spanId: randomHexId(8), statusCode: 2 }))),
    );
    // The window is 1 s: both spikes are quiet long before their group closes at 2 s.
    const resolved = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.startsWith('✅ RESOLVED')),
      10_000,
      'the resolutions',
    );
    const [critical] = slack.delivered();
    expect(critical!.body!.text!.split('\n')[0]).toBe('🚨 CRITICAL: error spike × 2 — drop, drop-worker');
    expect(critical!.receivedAt - sentAt).toBeGreaterThanOrEqual(1_900);
    expect(resolved.body!.text!.split('\n')[0]).toBe('✅ RESOLVED: error spike over × 2 — drop, drop-worker');
    expect(resolved.receivedAt).toBeGreaterThan(critical!.receivedAt);
    await sleep(2_500);
    expect(firstLines()).toEqual(['🚨 CRITICAL', '✅ RESOLVED']);
  });

  it('a group waiting when the processor stops survives the restart, goes on filling, and is posted once', async () => {
    const first = await start({ ALERT_GROUP_SECONDS: '2' });
    await send(first, 'logs', lifecycle('drop'));
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(slack.posts).toHaveLength(0);
    expect(logLines.find((l) => String(l.msg).startsWith('stopping with alerts waiting for their group window'))).toMatchObject({
      pending: 1,
    });
    const second = await start({ ALERT_GROUP_SECONDS: '2' });
    await send(second, 'logs', lifecycle('drop-worker'));
    const grouped = await slack.waitFor(() => slack.delivered()[0], 5_000, 'the grouped message');
    expect(grouped.body!.text!.split('\n')[0]).toBe('ℹ️ INFO: started × 2 — drop, drop-worker');
    await sleep(2_500);
    expect(slack.posts).toHaveLength(1);
  });
});

describe('silences and mute windows', () => {
  const TOKEN = 'in-process-token-0123456789';
  const api = (processor: AlertProcessor, method: string, url: string, body?: unknown) =>
    fetch(`${processor.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const muted = () => logLines.filter((l) => l['event.name'] === 'alerts.muted');

  it('a silence created over HTTP holds back what it matches (logged and counted); ended, the next alert goes out', async () => {
    const processor = await start({ ALERTS_API_TOKEN: TOKEN });
    const created = await api(processor, 'POST', '/api/silences', {
      matchers: [
        { name: 'service.name', value: 'drop' },
        { name: 'alert.type', value: 'app.started' },
      ],
      durationMinutes: 30,
      comment: 'planned restarts',
    });
    expect(created.status).toBe(201);
    const { silence } = (await created.json()) as { silence: { id: string } };
    await send(processor, 'logs', lifecycle('drop'));
    await send(processor, 'logs', lifecycle('drop', 'app.stopping'));
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the stopping message');
    expect(firstLines()).toEqual(['⚠️ WARNING']);
    expect(muted()).toEqual([
      expect.objectContaining({
        level: 30,
        'alert.type': 'app.started',
        'service.name': 'drop',
        silence_id: silence.id,
        silence_comment: 'planned restarts',
      }),
    ]);
    const listed = (await (await api(processor, 'GET', '/api/silences')).json()) as { silences: { id: string; silenced: number }[] };
    expect(listed.silences).toEqual([expect.objectContaining({ id: silence.id, silenced: 1 })]);

    expect((await api(processor, 'DELETE', `/api/silences/${silence.id}`)).status).toBe(200);
    await send(processor, 'logs', lifecycle('drop'));
    await slack.waitFor(() => slack.delivered().length === 2, 5_000, 'the started message after the silence');
    expect(firstLines()).toEqual(['⚠️ WARNING', 'ℹ️ INFO']);
  });

  it('a silenced error spike sends neither its critical nor a resolution, and ends with a note', async () => {
    const processor = await start({ ALERTS_API_TOKEN: TOKEN });
    expect(
      (
        await api(processor, 'POST', '/api/silences', {
          matchers: [{ name: 'service.name', value: 'drop' }],
          durationMinutes: 5,
          comment: 'known outage',
        })
      ).status,
    ).toBe(201);
    await failRequests(processor, 6);
    await slack.waitFor(
      () => logLines.find((l) => String(l.msg).startsWith('error spike over (its alert was suppressed')),
      5_000,
      'the end of the spike',
    );
    await sleep(500);
    expect(slack.posts).toEqual([]);
    expect(muted().map((l) => l['alert.type'])).toEqual(['error_spike']);
  });

  it('ALERT_MUTE_WINDOWS: an active window mutes what it matches, the rest goes out', async () => {
    const processor = await start({ ALERT_MUTE_WINDOWS: '* 00:00-24:00 UTC alert.severity=info' });
    await send(processor, 'logs', lifecycle('drop'));
    await send(processor, 'logs', lifecycle('drop', 'app.stopping'));
    await slack.waitFor(() => slack.delivered().length === 1, 5_000, 'the stopping message');
    expect(firstLines()).toEqual(['⚠️ WARNING']);
    expect(muted()).toEqual([
      expect.objectContaining({ 'alert.type': 'app.started', mute_window: '* 00:00-24:00 UTC alert.severity=info' }),
    ]);
  });

  it('a muted heartbeat_missing: its end sends no resolution either', async () => {
    const processor = await start({ ALERT_MUTE_WINDOWS: '* 00:00-24:00 UTC alert.type=heartbeat_missing' }, { heartbeatMs: 1_500 });
    await send(processor, 'logs', lifecycle('drop'));
    await slack.waitFor(() => muted().length === 1, 5_000, 'the muted heartbeat alert');
    await send(
      processor,
      'traces',
      encodeTraces([{ service: 'drop', name: 'GET /api/health', traceId: randomHexId(16), spanId: randomHexId(8), statusCode: 1 }]),
    );
    // Long enough for a resolution to be posted, shorter than another silence of 1.5 s.
    await sleep(800);
    expect(firstLines()).toEqual(['ℹ️ INFO']);
    expect(muted().map((l) => l['alert.type'])).toEqual(['heartbeat_missing']);
  });
});
