// Email once across replicas: two alert processors as production runs them (the bundle, each in its own process with
// its own state file) on one real PostgreSQL database, both sent the same telemetry (the collector fanning out), each
// configured with the same real SMTP server (mailpit, STARTTLS + AUTH) and the stand-in Slack webhook. Every alert
// both raise reaches each receiver once: the replica holding the lease delivers the shared outbox to Slack and email.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTAKE_AUTHORIZATION, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { startFakeSlack, type FakeSlack } from '../helpers/fake-slack';
import { alertEmailEnv, type Mailpit, startMailpit } from '../helpers/mailpit';
import { encodeLogs, randomHexId } from '../helpers/otlp-encode';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('alert emails with replicas on PostgreSQL', () => {
  let database: TestDatabase;
  let mailpit: Mailpit;
  let slack: FakeSlack;
  let dir: string;
  const replicas: RunningAlertProcessor[] = [];

  const start = (name: string) =>
    startAlertProcessor({
      ALERTS_DATABASE_URL: database.url,
      ALERTS_REPLICA_ID: `replica-${name}`,
      ALERTS_LEASE_SECONDS: '2',
      ALERTS_STATE_FILE: path.join(dir, `${name}.db`),
      ALERT_WINDOW_SECONDS: '1',
      ALERT_ROUTES: 'slack=*;email=*',
      SLACK_WEBHOOK_URL: slack.url,
      ...alertEmailEnv(mailpit),
      LOG_LEVEL: 'info',
    });
  /** The collector fanning out: the same export request to every replica. */
  const fanOut = async (body: Uint8Array) => {
    for (const replica of replicas) {
      const response = await fetch(`${replica.url}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...INTAKE_AUTHORIZATION },
        body: zlib.gzipSync(body),
      });
      expect(response.status).toBe(200);
    }
  };

  beforeAll(async () => {
    [database, mailpit, slack] = [await createTestDatabase('postgres'), await startMailpit(), await startFakeSlack()];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-email-replicas-'));
    replicas.push(...(await Promise.all([start('a'), start('b')])));
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await mailpit?.close();
    await slack?.close();
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an alert both replicas raise is one email and one Slack message; so are a critical and its resolution', async () => {
    await fanOut(encodeLogs([{ service: 'drop', body: 'app.started', severityNumber: 9, eventName: 'app.started' }]));
    const traceIds = Array.from({ length: 6 }, () => randomHexId(16));
    await fanOut(
      encodeLogs(traceIds.map((traceId) => ({ service: 'drop', body: 'POST /api/transfers 500', severityNumber: 17, traceId }))),
    );
    await mailpit.waitFor(3, 40_000);
    await slack.waitFor(() => slack.delivered().length >= 3, 40_000, 'the three Slack messages');
    // Longer than a lease and several sender rounds: a second copy would have arrived by now.
    await sleep(4_000);
    expect((await mailpit.messages()).map((message) => message.Subject).sort()).toEqual(
      ['ℹ️ [INFO] drop started', '✅ [RESOLVED] drop: error spike over', '🚨 [CRITICAL] drop: error spike'].sort(),
    );
    expect(slack.delivered()).toHaveLength(3);
    const sent = replicas.flatMap((replica) => replica.logRecords()).filter((line) => String(line.msg).startsWith('alert sent to email'));
    expect(sent).toHaveLength(3);
    // Both raised each alert; the copies were dropped by the sender, not sent by the replica that raised them.
    expect(
      replicas.flatMap((replica) => replica.logRecords()).filter((line) => line['event.name'] === 'alerts.duplicate').length,
    ).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
