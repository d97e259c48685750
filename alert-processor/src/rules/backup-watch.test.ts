import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../test/helpers/fake-slack';
import { encodeLogs, type LogInput } from '../../../test/helpers/otlp-encode';
import { createAlertProcessor, type AlertProcessor } from '../alert-processor';
import { parseAlertsConfig, type AlertsConfig } from '../config';

// The backup watch through the whole service: the backup scheduler's OTLP records (service drop-backup, event name
// in the EventName field or the event.name attribute) over real HTTP, Slack a local stand-in.
const TOKEN = 'backup-watch-intake-token-0123456789';
let slack: FakeSlack;
let dir: string;
const running: AlertProcessor[] = [];

async function start(overrides: Partial<AlertsConfig> = {}): Promise<AlertProcessor> {
  const config = parseAlertsConfig({
    ALERTS_PORT: '0',
    ALERTS_STATE_FILE: path.join(dir, 'state.db'),
    ALERTS_INTAKE_TOKEN: TOKEN,
    ALERT_WINDOW_SECONDS: '1',
    SLACK_WEBHOOK_URL: slack.url,
    ALERT_RUNBOOK_URL: 'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md',
  });
  const processor = createAlertProcessor(
    { ...config, ...overrides },
    pino({ level: 'silent' }, new Writable({ write: (_c, _e, callback) => callback() })),
  );
  await processor.start();
  running.push(processor);
  return processor;
}

async function backup(processor: AlertProcessor, outcome: 'succeeded' | 'failed', viaAttribute = false) {
  const record: LogInput = {
    service: 'drop-backup',
    body: `backup ${outcome}`,
    severityNumber: outcome === 'failed' ? 17 : 9,
    severityText: outcome === 'failed' ? 'ERROR' : 'INFO',
    ...(viaAttribute ? {} : { eventName: `backup.${outcome}` }),
    attributes: {
      ...(viaAttribute ? { 'event.name': `backup.${outcome}` } : {}),
      'backup.interval_seconds': 1,
      'backup.attempt': 1,
      ...(outcome === 'failed' ? { 'error.type': 'pg_dump_failed', 'backup.next_attempt_seconds': 300 } : {}),
    },
  };
  const response = await fetch(`${processor.url}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
    body: encodeLogs([record]) as BodyInit,
  });
  expect(response.status).toBe(200);
}

const firstLines = () => slack.delivered().map((post) => post.body?.text?.split(' — ')[0]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack?.close();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-backup-watch-'));
  slack.posts.length = 0;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('backup watch', () => {
  it('a failure alerts once (not per retry), with its error type and runbook; the next success resolves it', async () => {
    const processor = await start({ backupGraceMs: 60_000, heartbeatMs: 1_000 });
    await backup(processor, 'succeeded');
    await backup(processor, 'failed');
    await backup(processor, 'failed', true);
    const failed = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.includes('backup failed')),
      5_000,
      'backup_failed',
    );
    expect(failed.body!.text).toMatch(
      /^🚨 CRITICAL: drop-backup: backup failed — The backup failed \(pg_dump_failed\), attempt 1; the scheduler tries again in 5m\./,
    );
    expect(failed.body!.text).toContain('Runbook: https://git.example.com/drop/blob/main/docs/RUNBOOKS.md#backup-failed');
    await backup(processor, 'succeeded', true);
    await slack.waitFor(() => slack.delivered().length === 2, 5_000, 'backup_recovered');
    await sleep(2_000);
    // Once each; no heartbeat alarm for a scheduler that speaks once per interval, no error spike from its failures.
    expect(firstLines()).toEqual(['🚨 CRITICAL: drop-backup: backup failed', '✅ RESOLVED: drop-backup: backup succeeded again']);
    expect(slack.delivered()[1]!.body!.text).toContain('A backup succeeded after 2 failures.');
  });

  it('no success for longer than the interval plus the grace: backup_stale, once, kept across a restart; a success resolves it', async () => {
    const first = await start({ backupGraceMs: 1_000 });
    await backup(first, 'succeeded');
    const stale = await slack.waitFor(
      () => slack.delivered().find((p) => p.body?.text?.includes('no recent backup')),
      6_000,
      'backup_stale',
    );
    expect(stale.body!.text).toMatch(
      /^🚨 CRITICAL: drop-backup: no recent backup — The last successful backup was \d+s ago; one is due every 1s \(alert after 1s of grace\)\./,
    );
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const second = await start({ backupGraceMs: 1_000 });
    await sleep(3_000);
    expect(slack.delivered()).toHaveLength(1);
    await backup(second, 'succeeded');
    await slack.waitFor(() => slack.delivered().length === 2, 5_000, 'backup_recovered');
    expect(firstLines()[1]).toBe('✅ RESOLVED: drop-backup: backup succeeded again');
  });
});
