import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_AUTHORIZATION, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { newTraceparent } from '../helpers/http-client';
import { encodeLogs, randomHexId } from '../helpers/otlp-encode';
import { useStack } from '../helpers/stack';

/**
 * One redaction policy (otel/redact.ts) for every sink, checked where the data lands: the secret-named query
 * parameters of a request and `name=value` secrets in text must not reach the app's log lines, the spans and logs it
 * exports over OTLP (a real receiver), the events it sends to Sentry (a local ingest the real SDK posts to), nor
 * Slack (the alert processor's bundle posting to a local webhook). Each value is unique, so a byte search of what
 * each sink received finds any copy, however it was encoded.
 */
const SECRET_PARAMETERS = ['session', 'sid', 'auth', 'jwt', 'sig', 'signature', 'otp', 'pwd', 'pass', 'credential', 'token', 'api_key'];
const secretValue = (name: string) => `S3cr3t${name.replace(/\W/g, '')}Val`;
const QUERY = `${SECRET_PARAMETERS.map((name) => `${name}=${secretValue(name)}`).join('&')}&page=2`;

const leaked = (bodies: readonly Buffer[], values: readonly string[]) =>
  values.filter((value) => bodies.some((body) => body.includes(Buffer.from(value))));

describe('secret-named query parameters in every sink of the app', () => {
  const stack = useStack({ sentry: true, otlp: true, env: { LOG_LEVEL: 'info' } });
  const values = SECRET_PARAMETERS.map(secretValue);

  it('reach neither the log lines, the exported spans and logs, nor Sentry; the other parameters do', { timeout: 60_000 }, async () => {
    const { app, otlp, sentry } = stack();
    const admin = (await stack().signIn('admin@drop.test')).client;
    const health = newTraceparent();
    expect((await admin.get(`/api/health?${QUERY}`, { headers: { traceparent: health.traceparent } })).status).toBe(200);
    const failing = newTraceparent();
    const res = await admin.post(`/api/admin/debug/error?${QUERY}`, undefined, { headers: { traceparent: failing.traceparent } });
    expect(res.status).toBe(500);

    // What the sinks hold for these requests: the query got there, with the harmless parameter in clear.
    await otlp.waitFor(
      () => otlp.spans.some((s) => s.traceId === failing.traceId && JSON.stringify(s).includes('page=2')),
      15_000,
      'spans',
    );
    await otlp.waitFor(() => otlp.logs.some((l) => l.traceId === failing.traceId), 15_000, 'logs');
    const [event] = await sentry.waitFor(
      () => {
        const found = sentry.events().filter((e) => e.tags?.request_id === failing.traceId);
        return found.length > 0 ? found : undefined;
      },
      15_000,
      'the Sentry event',
    );
    // Sentry's event carries the request's query (dataCollection.urlQueryParams), its secret values masked.
    expect(event!.request?.url).toContain('/api/admin/debug/error');
    expect(event!.request?.query_string).toBe(`${SECRET_PARAMETERS.map((name) => `${name}=[REDACTED]`).join('&')}&page=2`);
    const healthSpans = otlp.spans.filter((s) => s.traceId === health.traceId);
    expect(JSON.stringify(healthSpans)).toContain('[REDACTED]');

    expect(leaked(otlp.rawBodies, values)).toEqual([]);
    expect(leaked(sentry.rawBodies, values)).toEqual([]);
    expect(leaked([Buffer.from(app.logs.map((l) => l.line).join('\n'))], values)).toEqual([]);
  });
});

describe('key=value secrets in an error message, on their way to Slack', () => {
  let slack: FakeSlack;
  let processor: RunningAlertProcessor;
  let dir: string;
  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-redaction-alerts-'));
    processor = await startAlertProcessor({
      SLACK_WEBHOOK_URL: slack.url,
      ALERT_ERROR_THRESHOLD: '1',
      ALERTS_STATE_FILE: path.join(dir, 'state.db'),
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await processor?.stop();
    await slack?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the alert names the failure without the secret', { timeout: 60_000 }, async () => {
    const secrets = ['tok_live_5ecret0001', 'sid5ecret0002', 'Bearer5ecret0003'];
    const body = `payment provider refused: token=${secrets[0]} sid=${secrets[1]} Authorization: Bearer ${secrets[2]}`;
    const records = [1, 2, 3].map(() => ({ service: 'drop', body, severityNumber: 17, traceId: randomHexId(16), spanId: randomHexId(8) }));
    const response = await fetch(`${processor.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...INTAKE_AUTHORIZATION },
      body: zlib.gzipSync(encodeLogs(records)),
    });
    expect(response.status).toBe(200);
    const post = await slack.waitFor(
      () => slack.delivered().find((p) => /error spike/.test(p.body?.text ?? '')),
      20_000,
      'the spike alert',
    );
    const text = JSON.stringify(post.body);
    expect(text).toContain('payment provider refused: token=[REDACTED]');
    expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
  });
});
