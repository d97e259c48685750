// Failing open covers the alerts the database already took: a replica (the bundle, in its own process) hands an
// alert to the shared outbox on a real PostgreSQL database, the database goes away before the sender posts it,
// and the replica posts it itself a few seconds later (keeping its own copy until the database has posted it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_AUTHORIZATION, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { encodeLogs } from '../helpers/otlp-encode';

describe('alert processor replica: the database gone between relay and post', () => {
  let database: TestDatabase;
  let slack: FakeSlack;
  let dir: string;
  let replica: RunningAlertProcessor;

  const started = async (service: string) => {
    const response = await fetch(`${replica.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...INTAKE_AUTHORIZATION },
      body: zlib.gzipSync(encodeLogs([{ service, body: 'app.started', severityNumber: 9, eventName: 'app.started' }])),
    });
    expect(response.status).toBe(200);
  };
  const sharedRows = async (): Promise<string[]> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<{ service: string }>('SELECT service FROM alert_outbox ORDER BY id')).rows.map((row) => row.service);
    } finally {
      await client.end();
    }
  };
  /** The messages naming the service (alone, or in a grouped message: `started × 2 — drop-a, drop-b`). */
  const postsOf = (service: string) =>
    slack.delivered().filter((p) => new RegExp(`(^| )${service}( started|,|$)`, 'm').test(p.body?.text?.split('\n')[0] ?? ''));

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    slack = await startFakeSlack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-fail-open-'));
    replica = await startAlertProcessor({
      ALERTS_DATABASE_URL: database.url,
      ALERTS_REPLICA_ID: 'replica-a',
      ALERT_SERVICES: 'drop-a,drop-b',
      ALERTS_LEASE_SECONDS: '2',
      ALERTS_DATABASE_TIMEOUT_MS: '1000',
      ALERTS_STATE_FILE: path.join(dir, 'a.db'),
      SLACK_WEBHOOK_URL: slack.url,
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    await replica?.stop();
    await slack?.close();
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an alert the database took but nobody posted is posted by the replica itself', async () => {
    await slack.waitFor(
      () => replica.logRecords().some((l) => l['event.name'] === 'alerts.lease' && l.held === true),
      10_000,
      'the replica to take the lease',
    );
    // The sender busy with a slow post: what comes next waits in the shared outbox.
    slack.answerNext({ status: 200, body: 'ok', delayMs: 2_000 });
    await started('drop-a');
    await slack.waitFor(() => slack.posts.length === 1, 10_000, 'the first post to arrive');
    await started('drop-b');
    const deadline = Date.now() + 5_000;
    while (!(await sharedRows()).includes('drop-b') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await sharedRows()).toContain('drop-b');
    expect(postsOf('drop-b')).toEqual([]);
    await database.drop();

    await slack.waitFor(() => postsOf('drop-b').length > 0, 20_000, 'drop-b posted by the replica itself');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(postsOf('drop-b')).toHaveLength(1);
    // drop-a's post finished, but the database could not record it: the replica cannot know, and may post it again.
    expect(postsOf('drop-a').length).toBeGreaterThanOrEqual(1);
    const logs = replica.logRecords();
    expect(logs.some((l) => l['event.name'] === 'alerts.fail_open' && l.count !== undefined)).toBe(true);
    expect((await fetch(`${replica.url}/healthz`)).status).toBe(200);
  });
});
