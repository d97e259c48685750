import { describe, expect, it } from 'vitest';
import { encodeLogs, encodeTraces, randomHexId, type LogInput } from '../../test/helpers/otlp-encode';
import type { AlertProcessor } from './alert-processor';
import { processorTestBed } from './test-processors';

// Attacks on the alert processor over real HTTP: the whole service on a real port, a Slack stand-in receiving what
// it posts. Each case asserts what reaches Slack (and what the operator's log says).
const INTAKE_TOKEN = 'attack-test-intake-token-0123456789';
const bed = processorTestBed({
  token: INTAKE_TOKEN,
  env: {
    ALERT_WINDOW_SECONDS: '1',
    ALERT_COOLDOWN_SECONDS: '600',
    TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}',
    SENTRY_ISSUES_URL: 'https://acme.sentry.io/issues/?project=7',
  },
});
const start = bed.start;

type Credentials = 'token' | 'none' | 'wrong';
const AUTH: Record<Credentials, Record<string, string>> = {
  token: { authorization: `Bearer ${INTAKE_TOKEN}` },
  none: {},
  wrong: { authorization: 'Bearer guessed-guessed-guessed-guessed' },
};

async function send(processor: AlertProcessor, signal: 'logs' | 'traces', body: Uint8Array, credentials: Credentials = 'token') {
  return bed.send(processor, signal, body, { authorization: AUTH[credentials].authorization ?? null });
}

const errorLogs = (service: string, n: number, extra: Partial<LogInput> = {}): LogInput[] =>
  Array.from({ length: n }, () => ({
    service,
    body: 'POST /api/transfers 500',
    severityNumber: 17,
    severityText: 'error',
    traceId: randomHexId(16),
    ...extra,
  }));
const healthSpan = (service: string) =>
  encodeTraces([{ service, name: 'GET /api/health', traceId: randomHexId(16), spanId: randomHexId(8), statusCode: 1 }]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const texts = () => bed.slack.delivered().map((post) => post.body?.text ?? '');

describe('forged records without the intake token', () => {
  it('a forged "rollback now" lifecycle event and a forged spike are refused (401): nothing reaches Slack, the refusal is logged once with a count', async () => {
    const processor = await start();
    const forgedStop = encodeLogs([
      {
        service: 'drop',
        body: 'drop is stopping — rollback now: https://evil.test/deploy',
        severityNumber: 13,
        eventName: 'app.stopping',
      },
    ]);
    for (const credentials of ['none', 'wrong'] as const) {
      expect((await send(processor, 'logs', forgedStop, credentials)).status).toBe(401);
      expect((await send(processor, 'logs', encodeLogs(errorLogs('drop', 20)), credentials)).status).toBe(401);
    }
    await sleep(1_500);
    expect(bed.slack.posts).toEqual([]);
    const refused = bed.logLines.filter((line) => line['event.name'] === 'alerts.intake_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: 40, 'http.response.status_code': 401, count: 1 });
  });

  it('a forged spike before a real one consumes no cooldown: the real spike 1 s later is alerted', async () => {
    const processor = await start();
    const forged = await send(processor, 'logs', encodeLogs(errorLogs('drop', 30)), 'none');
    expect(forged.status).toBe(401);
    await sleep(1_000);
    expect(bed.slack.posts).toEqual([]);
    // The real one: the app's failing requests, with the collector's token.
    expect((await send(processor, 'logs', encodeLogs(errorLogs('drop', 6)))).status).toBe(200);
    await bed.slack.waitFor(() => texts().find((text) => text.startsWith('🚨 CRITICAL: drop: error spike')), 5_000, 'the real critical');
  });
});

describe('with the token: only the declared services (ALERT_SERVICES)', () => {
  it('a spike and a lifecycle event of an undeclared service raise nothing; they are counted and answered as rejected', async () => {
    const processor = await start({ ALERT_SERVICES: 'drop' });
    const response = await send(
      processor,
      'logs',
      encodeLogs([...errorLogs('one-off-job', 12), { service: 'drop-evil', body: 'started', severityNumber: 9, eventName: 'app.started' }]),
    );
    expect(response.status).toBe(200);
    await sleep(1_500);
    expect(bed.slack.posts).toEqual([]);
    const counted = bed.logLines.filter((line) => line['event.name'] === 'alerts.undeclared_service');
    expect(counted.map((line) => [line['service.name'], line.count])).toEqual([
      ['one-off-job', 12],
      ['drop-evil', 1],
    ]);
    // A declared service in the same request still alerts.
    await send(processor, 'logs', encodeLogs([...errorLogs('one-off-job', 3), ...errorLogs('drop', 6)]));
    await bed.slack.waitFor(() => texts().find((text) => text.startsWith('🚨 CRITICAL: drop: error spike')), 5_000, 'the critical of drop');
    expect(texts().filter((text) => text.includes('one-off-job'))).toEqual([]);
  });

  it('heartbeat: records of an undeclared service (or forged ones without the token) do not keep a dead service alive', async () => {
    const processor = await start({ ALERT_SERVICES: 'drop' }, { heartbeatMs: 1_500 });
    await send(processor, 'traces', healthSpan('drop'));
    // drop goes silent; an undeclared service with the token and a forger using drop's name without it go on.
    for (let i = 0; i < 5; i++) {
      await sleep(400);
      expect((await send(processor, 'traces', healthSpan('drop-impostor'))).status).toBe(200);
      expect((await send(processor, 'traces', healthSpan('drop'), 'none')).status).toBe(401);
    }
    const missing = await bed.slack.waitFor(() => texts().find((text) => text.includes('no telemetry')), 5_000, 'the heartbeat alert');
    expect(missing).toMatch(/^🚨 CRITICAL: drop: no telemetry/);
    // And the undeclared one is never watched: it never raises its own heartbeat alert.
    await sleep(2_000);
    expect(texts().filter((text) => text.includes('drop-impostor'))).toEqual([]);
  });
});

describe('markup and links in every field', () => {
  const MARKUP = '<!channel> <!here> <@U0ADMIN> <https://evil.test/deploy|Open runbook> rollback now: https://evil.test/deploy';
  const LEAKS = ['<!channel>', '<!here>', '<@U0ADMIN>', '<https://evil', 'https://evil.test', 's3cr3t-value'];

  /** Every `<…>` in what Slack got is a link built from the configuration; none of the markup or secrets is left. */
  function expectInert(raw: string) {
    for (const leak of LEAKS) expect(raw).not.toContain(leak);
    for (const [, inner] of raw.matchAll(/<([^>]*)>/g))
      expect(inner).toMatch(/^http:\/\/localhost:16686\/trace\/[0-9a-f]{32}\|[0-9a-f]{32}$/);
  }

  it('service name, version, environment, log body, span name and error.type reach Slack escaped, defanged and redacted', async () => {
    const evilService = `drop ${MARKUP}`;
    const processor = await start({ ALERT_SERVICES: `drop,${evilService}` });
    const resource = { 'service.version': `1.0 ${MARKUP}`, 'deployment.environment.name': `prod ${MARKUP}` };
    expect(
      (
        await send(
          processor,
          'logs',
          encodeLogs([{ service: evilService, body: 'started', severityNumber: 9, eventName: 'app.started', resource }]),
        )
      ).status,
    ).toBe(200);
    // A spike whose example is a log body full of markup and a secret in a URL.
    await send(processor, 'logs', encodeLogs(errorLogs('drop', 6, { body: `${MARKUP} GET /reset?token=s3cr3t-value failed` })));
    // And one of spans whose name and error.type carry it.
    await send(
      processor,
      'traces',
      encodeTraces(
        Array.from({ length: 6 }, () => ({
          service: evilService,
          name: `POST ${MARKUP}`,
          traceId: randomHexId(16),
          spanId: randomHexId(8),
          statusCode: 2,
          attributes: { 'error.type': `Error ${MARKUP}` },
        })),
      ),
    );
    await bed.slack.waitFor(() => bed.slack.delivered().length >= 3, 8_000, 'the started message and two criticals');
    for (const post of bed.slack.delivered()) expectInert(post.raw);
    const all = texts().join('\n');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('https[:]//evil[.]test/deploy');
    expect(all).toContain('?token=[REDACTED]');
  });
});

describe('wrong shapes, with the token', () => {
  it('wrong-shape JSON and undecodable protobuf are 400 with a google.rpc.Status, raise nothing, and are logged once with a count', async () => {
    const processor = await start();
    const json = { 'content-type': 'application/json', ...AUTH.token };
    const protobuf = { 'content-type': 'application/x-protobuf', ...AUTH.token };
    const spikeShaped = (records: unknown) => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
    const cases: [Record<string, string>, string | Uint8Array][] = [
      [json, '{"resourceLogs":"nope"}'],
      [json, '[]'],
      [json, spikeShaped({ severityNumber: 17, body: { stringValue: 'x' } })],
      [json, spikeShaped(['POST /api/transfers 500'])],
      [protobuf, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
      [protobuf, Buffer.from('{"resourceLogs":[]}')],
    ];
    for (let round = 0; round < 10; round++) {
      for (const [headers, body] of cases) {
        const response = await fetch(`${processor.url}/v1/logs`, { method: 'POST', headers, body: body as BodyInit });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toBe(headers['content-type']);
      }
    }
    await sleep(1_500);
    expect(bed.slack.posts).toEqual([]);
    const refused = bed.logLines.filter((line) => line['event.name'] === 'alerts.intake_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ 'http.response.status_code': 400, count: 1 });
  });
});
