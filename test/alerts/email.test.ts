// Email as the second receiver, against a real SMTP server: the alert processor's bundle in its own process sends
// over STARTTLS with AUTH to mailpit (built by .ci/run), whose API lists what it received; Slack is the usual
// stand-in webhook. Routing (ALERT_ROUTES), escaping, links, retry after the server was down, no duplicates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_AUTHORIZATION, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { alertEmailEnv, type Mailpit, startMailpit } from '../helpers/mailpit';
import { encodeLogs, randomHexId } from '../helpers/otlp-encode';

const RUNBOOKS = 'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md';
const SENTRY = 'https://acme.sentry.io/issues/?project=7';
const MARKUP = '<script>alert(1)</script> <!channel> <a href="https://evil.test/x">Open runbook</a> https://evil.test/deploy';

describe('alert emails through a real SMTP server (STARTTLS + AUTH)', () => {
  let mailpit: Mailpit;
  let slack: FakeSlack;
  let dir: string;
  const processors: RunningAlertProcessor[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const processor = await startAlertProcessor({
      ALERTS_STATE_FILE: path.join(dir, `state-${processors.length}.db`),
      ALERT_WINDOW_SECONDS: '1',
      SLACK_WEBHOOK_URL: slack.url,
      SENTRY_ISSUES_URL: SENTRY,
      TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}',
      ALERT_RUNBOOK_URL: RUNBOOKS,
      ...alertEmailEnv(mailpit, 'oncall@drop.test, ops@drop.test'),
      LOG_LEVEL: 'info',
      ...env,
    });
    processors.push(processor);
    return processor;
  };
  const send = async (processor: RunningAlertProcessor, body: Uint8Array) => {
    const response = await fetch(`${processor.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...INTAKE_AUTHORIZATION },
      body: zlib.gzipSync(body),
    });
    expect(response.status).toBe(200);
  };
  const lifecycle = (event: 'app.started' | 'app.stopping') =>
    encodeLogs([{ service: 'drop', body: event, severityNumber: event === 'app.started' ? 9 : 13, eventName: event }]);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    [mailpit, slack] = [await startMailpit(), await startFakeSlack()];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-email-'));
  });

  afterAll(async () => {
    await Promise.all(processors.map((processor) => processor.stop()));
    await mailpit?.close();
    await slack?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('default routes: info to Slack only; a critical and its resolution to Slack and by email, escaped, with the trace, Sentry and runbook links', async () => {
    const processor = await start();
    await send(processor, lifecycle('app.started'));
    await slack.waitFor(() => slack.delivered().length === 1, 10_000, 'the started message');
    const traceIds = Array.from({ length: 6 }, () => randomHexId(16));
    await send(
      processor,
      encodeLogs(traceIds.map((traceId) => ({ service: 'drop', body: `${MARKUP} failed`, severityNumber: 17, traceId }))),
    );
    const [critical] = await mailpit.waitFor(1);
    expect(critical!.Subject).toBe('🚨 [CRITICAL] drop: error spike');
    expect(critical!.From.Address).toBe('alerts@drop.test');
    expect(critical!.To.map((to) => to.Address).sort()).toEqual(['oncall@drop.test', 'ops@drop.test']);
    const { Text, HTML } = await mailpit.bodies(critical!.ID);
    const traceId = /Trace ([0-9a-f]{32}): http:\/\/localhost:16686\/trace\/\1/.exec(Text)?.[1];
    expect(traceIds).toContain(traceId);
    expect(Text).toContain(`Sentry issues: ${SENTRY}`);
    expect(Text).toContain(`Runbook: ${RUNBOOKS}#error-spike`);
    expect(Text).toContain('https[:]//evil[.]test/deploy');
    // HTML: telemetry is text (escaped), the only links are the configured ones.
    expect(HTML).not.toContain('<script>');
    expect(HTML).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const hrefs = [...HTML.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.sort()).toEqual([`${RUNBOOKS}#error-spike`, SENTRY, `http://localhost:16686/trace/${traceId}`].sort());

    const all = await mailpit.waitFor(2);
    expect(all.map((message) => message.Subject).sort()).toEqual([
      '✅ [RESOLVED] drop: error spike over',
      '🚨 [CRITICAL] drop: error spike',
    ]);
    // Slack got all three; email never the info.
    await slack.waitFor(() => slack.delivered().length === 3, 10_000, 'the critical and the resolution on Slack');
    await sleep(1_500);
    expect((await mailpit.messages()).length).toBe(2);
  });

  it('the SMTP server down: the email waits in the outbox (Slack is not held back) and is sent once it is back — once', async () => {
    const before = (await mailpit.messages()).length;
    const slackBefore = slack.delivered().length;
    const processor = await start({ ALERT_ROUTES: 'slack=*;email=*' });
    await mailpit.stop();
    await send(processor, lifecycle('app.stopping'));
    await slack.waitFor(() => slack.delivered().length === slackBefore + 1, 10_000, 'the stopping message on Slack');
    const failed = () =>
      processor
        .logRecords()
        .find((record) => record.receiver === 'email' && /could not be delivered to email \(kept in the outbox/.test(String(record.msg)));
    await slack.waitFor(failed, 15_000, 'the failed email attempt to be logged');
    expect(failed()).toMatchObject({ level: 'error', 'alert.type': 'app.stopping', reason: expect.stringMatching(/^SMTP /) });
    await mailpit.start();
    const after = await mailpit.waitFor(before + 1, 30_000);
    expect(after.filter((message) => message.Subject === '⚠️ [WARNING] drop is stopping')).toHaveLength(1);
    await sleep(3_000);
    expect((await mailpit.messages()).length).toBe(before + 1);
    expect(processor.logRecords().some((record) => record.receiver === 'email' && /^alert sent to email/.test(String(record.msg)))).toBe(
      true,
    );
  });

  it('Slack failing: the alerts wait for it, and email is told (once) — and told again when Slack takes them', async () => {
    const before = (await mailpit.messages()).length;
    const slackBefore = slack.delivered().length;
    const processor = await start({ SLACK_MAX_ATTEMPTS: '1', ALERT_ROUTES: 'slack=*' });
    slack.answerNext(...Array.from({ length: 50 }, () => ({ status: 503 })));
    await send(processor, lifecycle('app.started'));
    const told = await mailpit.waitFor(before + 1, 20_000);
    const failing = told.filter((message) => message.Subject === '🚨 [CRITICAL] drop-alert-processor: alerts cannot reach Slack');
    expect(failing).toHaveLength(1);
    expect((await mailpit.bodies(failing[0]!.ID)).Text).toMatch(/1 alert waiting in the outbox, retried\): Slack answered 503/);
    expect(slack.delivered().length).toBe(slackBefore);
    slack.clearAnswers();
    await slack.waitFor(() => slack.delivered().length === slackBefore + 1, 70_000, 'the started message once Slack works');
    const recovered = await mailpit.waitFor(before + 2, 15_000);
    expect(recovered.map((message) => message.Subject)).toContain('✅ [RESOLVED] drop-alert-processor: alerts reach Slack again');
    await sleep(1_500);
    expect((await mailpit.messages()).length).toBe(before + 2);
  }, 120_000);
});
