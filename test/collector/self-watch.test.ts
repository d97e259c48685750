// The operations layer watching its collector, for real: the collector binary (otel-collector.yaml plus a test extras
// file with two operator backends that fail) pushes its own metrics to the alert processor's bundle in its own
// process; one backend's port is dead (exports fail), the other accepts and never answers (its queue fills and
// drops data). Each failure reaches Slack (the local stand-in) and, being critical, mailpit by email, naming the
// exporter, with its runbook; the dead backend coming back sends the recovery.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_TOKEN, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { freePort } from '../helpers/app-server';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { startFakeSlack, type FakeSlack, type SlackPost } from '../helpers/fake-slack';
import { alertEmailEnv, type Mailpit, startMailpit } from '../helpers/mailpit';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';

const RUNBOOKS = 'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md';

function logsRequest(n: number) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'drop' } }] },
        scopeLogs: [
          {
            scope: { name: 'self-watch-test' },
            logRecords: [{ timeUnixNano: `${Date.now()}000000`, severityNumber: 9, body: { stringValue: `request ${n}` } }],
          },
        ],
      },
    ],
  };
}

describe('the collector’s export failures and queue drops reach Slack and email (real collector, real processor)', () => {
  let slack: FakeSlack;
  let mailpit: Mailpit;
  let processor: RunningAlertProcessor;
  let collector: RunningCollector;
  let blackHole: net.Server;
  const held: net.Socket[] = [];
  let deadPort: number;
  let revived: OtlpReceiver | undefined;
  let dir: string;

  const send = async (n: number) => {
    // The full queue makes the collector refuse the request (a 5xx the app would retry): the other pipelines have it.
    await fetch(`${collector.otlpHttpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(logsRequest(n)),
    });
  };
  const posted = (probe: (text: string) => boolean) => slack.delivered().find((post: SlackPost) => probe(post.body?.text ?? ''));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-self-watch-'));
    [slack, mailpit] = [await startFakeSlack(), await startMailpit()];
    blackHole = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    deadPort = await freePort();
    processor = await startAlertProcessor({
      ALERTS_STATE_FILE: path.join(dir, 'state.db'),
      ALERT_WINDOW_SECONDS: '3',
      SLACK_WEBHOOK_URL: slack.url,
      ALERT_RUNBOOK_URL: RUNBOOKS,
      ...alertEmailEnv(mailpit),
      LOG_LEVEL: 'info',
    });
    collector = await startCollector(['otel-collector.yaml', 'test/collector/extras.failing-exporters.yaml'], {
      ALERT_PROCESSOR_ENDPOINT: processor.url,
      ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
      OTEL_COLLECTOR_SELF_METRICS_INTERVAL_MS: '1000',
      DEAD_BACKEND_PORT: String(deadPort),
      BLACK_HOLE_PORT: String((blackHole.address() as net.AddressInfo).port),
    });
  }, 120_000);

  afterAll(async () => {
    // The black hole first: the collector's shutdown would otherwise wait for the held request's timeout.
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => blackHole?.close(resolve));
    await collector?.stop();
    await processor?.stop();
    await revived?.close();
    await slack?.close();
    await mailpit?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an exporter whose backend is down: collector_export_failed naming it; a full queue: collector_queue_full naming it; each also by email', async () => {
    for (let n = 0; n < 5; n++) await send(n);
    const failed = await slack.waitFor(
      () => posted((text) => text.includes('otlp_http/dead-backend fails to send')),
      30_000,
      `the export failure in Slack (collector log:\n${collector.output().slice(-3000)})`,
    );
    expect(failed.body!.text).toMatch(
      /^🚨 CRITICAL: drop-otel-collector: exporter otlp_http\/dead-backend fails to send — The collector could not send to otlp_http\/dead-backend \(retries exhausted, the data is lost\): \d+ log records? since/,
    );
    expect(failed.body!.text).toContain(`Runbook: ${RUNBOOKS}#collector-export-failed`);
    const full = await slack.waitFor(
      () => posted((text) => text.includes('otlp_http/full-queue queue full')),
      30_000,
      'the queue drop in Slack',
    );
    expect(full.body!.text).toMatch(/The sending queue of otlp_http\/full-queue is full and refuses data \(lost\): \d+ log records?/);
    expect(full.body!.text).toContain(`Runbook: ${RUNBOOKS}#collector-queue-full`);
    // The exporter to the processor itself works: no alert names it.
    expect(slack.delivered().some((post) => post.body?.text?.includes('otlp_http/alert-processor'))).toBe(false);

    const mails = await mailpit.waitFor(2, 20_000);
    expect(mails.map((mail) => mail.Subject).sort()).toEqual([
      '🚨 [CRITICAL] drop-otel-collector: exporter otlp_http/dead-backend fails to send',
      '🚨 [CRITICAL] drop-otel-collector: exporter otlp_http/full-queue queue full, data dropped',
    ]);
    const body = await mailpit.bodies(mails.find((mail) => mail.Subject.includes('dead-backend'))!.ID);
    expect(body.Text).toContain(`${RUNBOOKS}#collector-export-failed`);
    // Once each: more failures are counted, not alerted again.
    for (let n = 5; n < 8; n++) await send(n);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(slack.delivered().filter((post) => post.body?.text?.includes('otlp_http/dead-backend fails to send'))).toHaveLength(1);
  }, 90_000);

  it('the backend back: once the exporter sends again and a window passes without failures, collector_export_recovered', async () => {
    revived = await startOtlpReceiver(deadPort);
    for (let n = 0; n < 3; n++) {
      await send(100 + n);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await revived.waitFor(() => revived!.logs.length >= 1, 15_000, 'the revived backend to receive logs');
    const recovered = await slack.waitFor(
      () => posted((text) => text.includes('otlp_http/dead-backend sends again')),
      30_000,
      'the recovery in Slack',
    );
    expect(recovered.body!.text).toMatch(/^✅ RESOLVED: drop-otel-collector: exporter otlp_http\/dead-backend sends again/);
    expect(recovered.body!.text).toContain(`Runbook: ${RUNBOOKS}#collector-export-recovered`);
  }, 60_000);
});
