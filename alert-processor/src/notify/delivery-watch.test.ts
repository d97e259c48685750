import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/free-port.mjs';
import { startFakeSlack, type FakeSlack } from '../../../test/helpers/fake-slack';
import { encodeLogs } from '../../../test/helpers/otlp-encode';
import { createAlertProcessor, type AlertProcessor } from '../alert-processor';
import { parseAlertsConfig } from '../config';

// The processor watching its own delivery: email failing (its SMTP server refuses connections) is told on Slack.
// (Slack failing told by email, with a real SMTP server: test/alerts/email.test.ts.)
const TOKEN = 'delivery-watch-intake-token-0123456789';
let slack: FakeSlack;
let dir: string;
let logLines: Record<string, unknown>[];
const running: AlertProcessor[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack?.close();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-delivery-watch-'));
  slack.posts.length = 0;
  logLines = [];
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('delivery watch', () => {
  it('email failing three times in a row → Slack is told, once, naming the reason and what waits', async () => {
    const closedPort = await freePort();
    const config = parseAlertsConfig({
      ALERTS_PORT: '0',
      ALERTS_STATE_FILE: path.join(dir, 'state.db'),
      ALERTS_INTAKE_TOKEN: TOKEN,
      SLACK_WEBHOOK_URL: slack.url,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(closedPort),
      SMTP_SECURITY: 'none',
      SMTP_TIMEOUT_MS: '1000',
      ALERT_EMAIL_FROM: 'alerts@drop.test',
      ALERT_EMAIL_TO: 'oncall@drop.test',
      ALERT_ROUTES: 'slack=*;email=*',
    });
    expect(config.problems).toEqual([]);
    const processor = createAlertProcessor(
      config,
      pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
            callback();
          },
        }),
      ),
    );
    await processor.start();
    running.push(processor);
    const response = await fetch(`${processor.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
      body: encodeLogs([{ service: 'drop', body: 'app.started', severityNumber: 9, eventName: 'app.started' }]) as BodyInit,
    });
    expect(response.status).toBe(200);
    const told = await slack.waitFor(
      () => slack.delivered().find((post) => post.body?.text?.includes('cannot reach email')),
      15_000,
      'delivery_failed on Slack',
    );
    expect(told.body!.text).toMatch(
      /^🚨 CRITICAL: drop-alert-processor: alerts cannot reach email — Alerts have not been delivered to email since .* \(1 alert waiting in the outbox, retried\): SMTP /,
    );
    expect(logLines.filter((line) => line['event.name'] === 'alerts.delivery')).toEqual([
      expect.objectContaining({ level: 50, 'alert.type': 'delivery_failed', receiver: 'email' }),
    ]);
    // Once per outage, not once per failed retry.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(slack.delivered().filter((post) => post.body?.text?.includes('cannot reach email'))).toHaveLength(1);
    expect(slack.delivered().filter((post) => post.body?.text?.startsWith('ℹ️ INFO: drop started'))).toHaveLength(1);
  });
});
