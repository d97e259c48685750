// backup-scheduler.sh as compose runs it: the bundled helpers (npm run ops:build), an OTLP endpoint, a database that
// is not there yet. Each attempt's outcome must reach the endpoint as a backup.succeeded / backup.failed log record
// of service drop-backup (what the alert processor alerts on), failures must be retried with backoff, and the first
// backup must happen as soon as the database is there, not at the next retry.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpLogRecord } from '@alerts';
import { openTestDatabase } from '../helpers/databases';
import { buildOpsCommandsForTest, type OpsCommands } from '../helpers/ops-commands';
import { INTAKE_TOKEN, startAlertProcessor } from '../helpers/alert-processor-process';
import { startCollector } from '../helpers/collector-process';
import { startFakeSlack } from '../helpers/fake-slack';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { ROOT, scriptEnv, seedAppData, tempDir } from './helpers';

interface RunLine {
  time: string;
  status: 'ok' | 'failed';
  exitCode: number;
  attempt: number;
  errorType: string | null;
  nextRunInSeconds: number;
  backup: { file: string; integrity: string } | null;
  /** When the test read the line (ms). */
  seenAt: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let ops: OpsCommands;
let otlp: OtlpReceiver;
beforeAll(async () => {
  ops = await buildOpsCommandsForTest();
  otlp = await startOtlpReceiver();
}, 60_000);
afterAll(async () => {
  ops?.remove();
  await otlp?.close();
});

/**
 * The scheduler with the test's OTLP endpoint and bundles; `lines` fills as it logs, `records()` are its OTLP
 * records (told apart from the other test's by a service.instance.id of its own).
 */
function startScheduler(env: Record<string, string>, receiver: OtlpReceiver = otlp) {
  const instance = `scheduler-${crypto.randomUUID()}`;
  const child = spawn(path.join(ROOT, 'scripts/backup-scheduler.sh'), [], {
    cwd: ROOT,
    env: scriptEnv({
      DROP_OPS_DIR: ops.dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SDK_DISABLED: '',
      OTEL_SERVICE_NAME: '',
      OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
      BACKUP_INTERVAL: '1h',
      BACKUP_POLL: '1s',
      BACKUP_FIRST_WAIT: '0',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const lines: RunLine[] = [];
  let stderr = '';
  let buffer = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      lines.push({ ...(JSON.parse(buffer.slice(0, newline)) as RunLine), seenAt: Date.now() });
      buffer = buffer.slice(newline + 1);
    }
  });
  const waitForLines = (count: number, timeoutMs = 60_000) =>
    otlp.waitFor(() => lines.length >= count && lines, timeoutMs, `${count} scheduler lines (stderr: ${stderr})`);
  const records = (count: number) =>
    receiver.waitFor(
      () => {
        const found = receiver.logs.filter((r) => r.resource['service.instance.id'] === instance);
        return found.length >= count && found;
      },
      30_000,
      `${count} backup records`,
    );
  return { lines, waitForLines, records };
}

function expectRecord(record: OtlpLogRecord, expected: { event: string; attempt: number; next: number; errorType?: string }) {
  expect(record.eventName).toBe(expected.event);
  // The OTLP EventName field only: the deprecated `event.name` attribute is not sent (docs/OBSERVABILITY.md).
  expect(record.attributes['event.name']).toBeUndefined();
  // OTLP ints (intValue): the decoder keeps int64 as a decimal string (a double would be a number).
  expect(record.attributes['backup.interval_seconds']).toBe('3600');
  expect(record.attributes['backup.attempt']).toBe(String(expected.attempt));
  expect(record.attributes['backup.next_attempt_seconds']).toBe(String(expected.next));
  expect(record.attributes['error.type']).toBe(expected.errorType);
  expect(record.severityNumber).toBe(expected.errorType ? 17 : 9); // ERROR, INFO
  expect(String(record.body)).not.toContain('\n');
}

describe('backup-scheduler.sh: events, backoff and the first backup', () => {
  it(
    'a missing database: backup.failed records at 10 s then 20 s backoff; backed up as soon as it appears',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('drop-scheduler-events-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'drop.db');
      const scheduler = startScheduler({ DATABASE_URL: `file:${file}`, BACKUP_DIR: path.join(dir, 'backups'), BACKUP_RETRY_MIN: '10s' });

      const failures = await scheduler.waitForLines(2);
      expect(failures.map((l) => [l.status, l.attempt, l.errorType, l.nextRunInSeconds])).toEqual([
        ['failed', 1, 'database_not_ready', 10],
        ['failed', 2, 'database_not_ready', 20],
      ]);
      // The backoff, measured: the second attempt came 10 s after the first.
      expect(failures[1]!.seenAt - failures[0]!.seenAt).toBeGreaterThanOrEqual(9_000);

      const database = { url: `file:${file}`, dialect: 'sqlite' as const, drop: async () => undefined };
      await (await openTestDatabase(database)).close(); // the app's first start: creates and migrates it
      await seedAppData(database, 5);
      const appeared = Date.now();

      const [, , success] = await scheduler.waitForLines(3);
      expect([success!.status, success!.attempt, success!.errorType, success!.backup!.integrity]).toEqual(['ok', 3, null, 'ok']);
      expect(fs.existsSync(success!.backup!.file)).toBe(true);
      // As soon as it appeared (polled every second), not at the next retry 20 s later.
      expect(success!.seenAt - appeared).toBeLessThan(8_000);
      expect(success!.nextRunInSeconds).toBeGreaterThan(3590);

      const records = await scheduler.records(3);
      expect(records).toHaveLength(3);
      for (const record of records) expect(record.resource['service.name']).toBe('drop-backup');
      expectRecord(records[0]!, { event: 'backup.failed', attempt: 1, next: 10, errorType: 'database_not_ready' });
      expectRecord(records[1]!, { event: 'backup.failed', attempt: 2, next: 20, errorType: 'database_not_ready' });
      expectRecord(records[2]!, { event: 'backup.succeeded', attempt: 3, next: success!.nextRunInSeconds });
      expect(String(records[0]!.body)).toBe(`backup missed: database not found: ${file}`);
      expect(records[2]!.body).toMatch(/^backup written and verified in \d+ s \(attempt 3\)$/);
      expect(records[0]!.resource['service.version']).toBeDefined();
    },
  );

  it(
    'a failing backup (BACKUP_DIR is a file): backup.failed with its error.type and message, retried, then ok',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('drop-scheduler-events-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'drop.db');
      const database = { url: `file:${file}`, dialect: 'sqlite' as const, drop: async () => undefined };
      await (await openTestDatabase(database)).close();
      const backups = path.join(dir, 'not-a-directory');
      fs.writeFileSync(backups, 'x');
      const scheduler = startScheduler({ DATABASE_URL: `file:${file}`, BACKUP_DIR: backups, BACKUP_RETRY_MIN: '3s' });

      const [failure] = await scheduler.waitForLines(1);
      expect([failure!.status, failure!.exitCode, failure!.attempt, failure!.errorType, failure!.nextRunInSeconds]).toEqual([
        'failed',
        1,
        1,
        'config_invalid',
        3,
      ]);
      fs.rmSync(backups);
      const [, success] = await scheduler.waitForLines(2);
      expect([success!.status, success!.attempt]).toEqual(['ok', 2]);

      const records = await otlp.waitFor(
        () => {
          const found = otlp.logs.filter(
            (r) => r.resource['service.name'] === 'drop-backup' && /not-a-directory|attempt 2\)$/.test(String(r.body)),
          );
          return found.length >= 2 && found;
        },
        15_000,
        'two backup records',
      );
      expectRecord(records[0]!, { event: 'backup.failed', attempt: 1, next: 3, errorType: 'config_invalid' });
      expect(records[0]!.body).toBe(`backup failed (exit 1, attempt 1): BACKUP_DIR=${backups} cannot be created; retry in 3 s`);
      expect(records[1]!.eventName).toBe('backup.succeeded');
    },
  );

  it(
    'through the real collector (otel-collector.yaml): backup.failed and backup.succeeded reach the alert processor',
    { timeout: 20 * 60_000 },
    async () => {
      const alerts = await startOtlpReceiver();
      cleanups.push(() => alerts.close());
      const collector = await startCollector(['otel-collector.yaml', 'otel-collector.extras.yaml'], {
        ALERT_PROCESSOR_ENDPOINT: alerts.url,
      });
      cleanups.push(() => collector.stop());
      const dir = tempDir('drop-scheduler-events-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'drop.db');
      const receiver = { ...alerts, url: collector.otlpHttpUrl };
      const scheduler = startScheduler(
        { DATABASE_URL: `file:${file}`, BACKUP_DIR: path.join(dir, 'backups'), BACKUP_RETRY_MIN: '1m' },
        receiver,
      );

      await scheduler.waitForLines(1);
      await (await openTestDatabase({ url: `file:${file}` })).close();
      const [, success] = await scheduler.waitForLines(2);
      expect(success!.status).toBe('ok');

      // What the alert processor got, through the collector's alert-worthy filter.
      const records = await scheduler.records(2);
      expectRecord(records[0]!, { event: 'backup.failed', attempt: 1, next: 60, errorType: 'database_not_ready' });
      expectRecord(records[1]!, { event: 'backup.succeeded', attempt: 2, next: success!.nextRunInSeconds });
      for (const record of records) expect(record.resource['service.name']).toBe('drop-backup');
    },
  );

  it(
    'the whole chain: a missed backup posts "backup failed" to Slack through the collector and the alert processor; the backup that follows, its recovery',
    { timeout: 20 * 60_000 },
    async () => {
      const slack = await startFakeSlack();
      cleanups.push(() => slack.close());
      const stateDir = tempDir('drop-scheduler-alerts-');
      cleanups.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
      const processor = await startAlertProcessor({
        SLACK_WEBHOOK_URL: slack.url,
        ALERTS_STATE_FILE: path.join(stateDir, 'state.db'),
        ALERT_GROUP_SECONDS: '0',
      });
      cleanups.push(async () => void (await processor.stop()));
      const collector = await startCollector(['otel-collector.yaml', 'otel-collector.extras.yaml'], {
        ALERT_PROCESSOR_ENDPOINT: processor.url,
        ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
      });
      cleanups.push(() => collector.stop());
      const dir = tempDir('drop-scheduler-events-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, 'drop.db');
      const scheduler = startScheduler(
        { DATABASE_URL: `file:${file}`, BACKUP_DIR: path.join(dir, 'backups'), BACKUP_RETRY_MIN: '1m' },
        { ...otlp, url: collector.otlpHttpUrl },
      );

      await scheduler.waitForLines(1);
      const failed = await slack.waitFor(
        () => slack.delivered().find((p) => p.body?.text?.includes('backup failed')),
        60_000,
        'the backup_failed alert',
      );
      expect(failed.body!.text).toContain('drop-backup');
      await (await openTestDatabase({ url: `file:${file}` })).close();
      const [, success] = await scheduler.waitForLines(2);
      expect(success!.status).toBe('ok');
      const recovered = await slack.waitFor(
        () => slack.delivered().find((p) => /succeeded/.test(p.body?.text ?? '')),
        60_000,
        'the recovery message',
      );
      expect(recovered.receivedAt).toBeGreaterThan(failed.receivedAt);
    },
  );
});
