// The replicas' sender (shared-sender.ts) on a real PostgreSQL database, posting to the fake Slack
// webhook with the real Slack client: what happens when the database fails right after Slack took a message.
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSlackMessage } from '../notify/slack-message';
import type { LifecycleAlert } from '../rules/rules';
import { openMigratedStore, type AlertStore, type AlertsDb } from '../store/database';
import { Outbox } from '../store/outbox';
import { SilenceStore } from '../store/silence-store';
import { Lease } from './lease';
import { SharedSender } from './shared-sender';
import { Silencer } from '../silence/silencer';
import { SlackClient } from '../notify/slack';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/databases';
import { startFakeSlack, type FakeSlack } from '../../../test/helpers/fake-slack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CLAIM_MS = 1_000;

describe('the shared sender when the database fails after a post', () => {
  let database: TestDatabase;
  let store: AlertStore;
  let db: AlertsDb;
  let slack: FakeSlack;
  let sender: SharedSender;
  const logLines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  );

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    store = await openMigratedStore({ url: database.url, queryTimeoutMs: 3_000 });
    db = store.db;
    slack = await startFakeSlack();
    const outbox = new Outbox(db, 'replica-a');
    sender = new SharedSender({
      outbox,
      lease: new Lease(db, 'replica-a', 3_000),
      receivers: { slack: new SlackClient({ webhookUrl: slack.url, logger, messagesPerSecond: 50, baseBackoffMs: 50 }) },
      silencer: new Silencer(new SilenceStore(db), []),
      logger,
      cooldownMs: 600_000,
      claimMs: CLAIM_MS,
      pollMs: 50,
    });
    sender.start();
  });

  afterAll(async () => {
    await sender?.stop();
    await store?.close();
    await slack?.close();
    await database?.drop();
  });

  it('posted, then recording it fails: it is recorded once the database is back, never posted a second time', async () => {
    const alert: LifecycleAlert = {
      type: 'app.started',
      service: 'drop-ledger',
      atMs: Date.now(),
      event: { kind: 'lifecycle', event: 'app.started', service: 'drop-ledger', timeMs: Date.now() },
    };
    // Slack takes its time to answer 200; meanwhile the table the sender records posts in goes away.
    slack.answerNext({ status: 200, body: 'ok', delayMs: 600 });
    await new Outbox(db, 'replica-b').enqueue([{ alert, message: buildSlackMessage(alert, {}), receiver: 'slack' }], Date.now());
    await slack.waitFor(() => slack.posts.length === 1, 10_000, 'the post');
    await sql`ALTER TABLE alert_posted RENAME TO alert_posted_away`.execute(db);
    await slack.waitFor(() => slack.delivered().length === 1, 10_000, 'the 200');
    // Longer than the claim: without the posted row remembered, it would be claimed and posted again.
    await sleep(CLAIM_MS * 2);
    await sql`ALTER TABLE alert_posted_away RENAME TO alert_posted`.execute(db);
    await sleep(CLAIM_MS * 2);

    expect(slack.posts).toHaveLength(1);
    const outboxRows = await db.selectFrom('alert_outbox').selectAll().execute();
    expect(outboxRows).toEqual([]);
    const posted = await db.selectFrom('alert_posted').selectAll().execute();
    expect(posted).toEqual([{ alert_type: 'app.started', service: 'drop-ledger', receiver: 'slack', posted_at_ms: expect.any(Number) }]);
    expect(logLines.filter((l) => l.msg?.toString().startsWith('alert sent to Slack'))).toHaveLength(1);
  });
});
