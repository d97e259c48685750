// The operations layer watching the audit trail and sign-ins, end to end with real pieces:
//
//   built app (next start, LOG_LEVEL=warn) ──OTLP──▶ real collector (otel-collector.yaml) ──▶ alert processor bundle
//        ──▶ fake Slack webhook, and mailpit (SMTP) for the criticals
//
// Refused sign-ins against the real app: at the per-account threshold → nothing; one more → one security alert
// naming the account by id only; a spray of unknown emails from one /24 → one alert naming the network; neither
// carries an email address of an account, a full IP address or a password. Then the audit trail: checkpoints every
// 2 s keep the watch quiet; the app frozen (SIGSTOP: its checkpoint timer stopped) → audit_checkpoint_stale, thawed →
// audit_checkpoint_recovered; an entry forged into the database → the checkpointer refuses → audit_chain_broken.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAuditEntry } from '@audit';
import { INTAKE_TOKEN, startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { startCollector, type RunningCollector } from '../helpers/collector-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { startFakeSlack, type FakeSlack, type SlackPost } from '../helpers/fake-slack';
import { HttpClient } from '../helpers/http-client';
import { alertEmailEnv, type Mailpit, startMailpit } from '../helpers/mailpit';

const RUNBOOKS = 'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md';
const PER_ACCOUNT = 5;
const PER_NETWORK = 8;
const CHECKPOINT_SECONDS = 2;
const GRACE_SECONDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the audit trail and refused sign-ins, watched through the real collector', () => {
  let database: TestDatabase;
  let stateDir: string;
  let slack: FakeSlack;
  let mailpit: Mailpit;
  let alerts: RunningAlertProcessor;
  let collector: RunningCollector;
  let app: AppServer;
  let admin: HttpClient;
  let bobId: string;

  const context = () =>
    `\n--- alert processor ---\n${alerts?.output().slice(-4_000)}\n--- collector ---\n${collector?.output().slice(-3_000)}`;
  const messages = (fragment: string) => slack.delivered().filter((post) => post.body?.text?.includes(fragment));
  async function waitForMessage(fragment: string, timeoutMs: number): Promise<SlackPost> {
    try {
      return await slack.waitFor(() => messages(fragment)[0], timeoutMs, `a Slack message with "${fragment}"`);
    } catch (error) {
      throw new Error(`${(error as Error).message}${context()}`);
    }
  }
  const refusedSignIn = async (email: string, address: string) => {
    const response = await new HttpClient(app.url).post(
      '/api/auth/login',
      { email, password: 'not-the-password-123' },
      { headers: { 'x-forwarded-for': address } },
    );
    expect([401, 429]).toContain(response.status);
  };
  /** Every text of every message and email so far. */
  async function everythingSent(): Promise<string> {
    const mails = await mailpit.messages();
    const bodies = await Promise.all(mails.map((mail) => mailpit.bodies(mail.ID)));
    return [
      ...slack.posts.map((post) => post.raw),
      ...mails.map((mail) => mail.Subject),
      ...bodies.flatMap((body) => [body.Text, body.HTML]),
    ].join('\n');
  }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-e2e-self-watch-'));
    [slack, mailpit] = [await startFakeSlack(), await startMailpit()];
    alerts = await startAlertProcessor({
      ALERTS_STATE_FILE: path.join(stateDir, 'state.db'),
      SLACK_WEBHOOK_URL: slack.url,
      ALERT_RUNBOOK_URL: RUNBOOKS,
      ALERT_LOGIN_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT),
      ALERT_LOGIN_FAILURES_PER_NETWORK: String(PER_NETWORK),
      ALERT_AUDIT_CHECKPOINT_GRACE_SECONDS: String(GRACE_SECONDS),
      ...alertEmailEnv(mailpit),
      LOG_LEVEL: 'info',
    });
    collector = await startCollector(['otel-collector.yaml'], { ALERT_PROCESSOR_ENDPOINT: alerts.url, ALERTS_INTAKE_TOKEN: INTAKE_TOKEN });
    app = await startApp({
      databaseUrl: database.url,
      env: {
        OTEL_SERVICE_NAME: 'drop',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        AUDIT_CHECKPOINT_SECONDS: String(CHECKPOINT_SECONDS),
        // The security and checkpoint records leave whatever the level: the operator's quiet setting must not blind them.
        LOG_LEVEL: 'warn',
      },
    });
    admin = new HttpClient(app.url);
    expect((await admin.login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const sqlite = new SQLite(database.url.slice('file:'.length), { readonly: true });
    bobId = (sqlite.prepare('SELECT id FROM users WHERE email = ?').get('bob@drop.test') as { id: string }).id;
    sqlite.close();
  }, 20 * 60_000);

  afterAll(async () => {
    await app?.stop();
    await collector?.stop();
    await alerts?.stop();
    await Promise.all([slack?.close(), mailpit?.close()]);
    await database?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it(`${PER_ACCOUNT} refused sign-ins on one account → nothing; one more → one security alert naming the account by its id`, async () => {
    for (let i = 0; i < PER_ACCOUNT; i++) await refusedSignIn('bob@drop.test', '203.0.113.7');
    await sleep(3_000);
    expect(messages('failed sign-ins')).toEqual([]);
    await refusedSignIn('bob@drop.test', '198.51.100.23');
    const alert = await waitForMessage(`failed sign-ins on account ${bobId}`, 20_000);
    // The count shows the first five arrived and were counted without an alert.
    expect(alert.body!.text).toMatch(
      new RegExp(
        `^🚨 CRITICAL: drop: failed sign-ins on account ${bobId} — ${PER_ACCOUNT + 1} refused sign-ins on account ${bobId} in the last 15m, from 2 networks \\(alert above ${PER_ACCOUNT}\\)`,
      ),
    );
    expect(alert.body!.text).toContain(`Runbook: ${RUNBOOKS}#login-failure-spike`);
    const [mail] = await mailpit.waitFor(1, 20_000);
    expect(mail!.Subject).toBe(`🚨 [CRITICAL] drop: failed sign-ins on account ${bobId}`);
    // 6 from two networks: below the per-network threshold, so no network alert.
    expect(messages('failed sign-ins from')).toEqual([]);
  }, 60_000);

  it(`a spray of unknown emails from one /24 → one alert naming the network, emails masked; no address, email or password in any message`, async () => {
    for (let i = 0; i <= PER_NETWORK; i++) await refusedSignIn(`victim${i}@spray.test`, `192.0.2.${10 + i}`);
    const alert = await waitForMessage('failed sign-ins from 192.0.2.0/24', 20_000);
    expect(alert.body!.text).toContain(
      `${PER_NETWORK + 1} refused sign-ins from network 192.0.2.0/24 in the last 15m (alert above ${PER_NETWORK}): ${PER_NETWORK + 1} on emails that belong to no account`,
    );
    expect(alert.body!.text).toMatch(/Unknown emails tried: v\*\*\*@spray\[\.\]test/);
    await mailpit.waitFor(2, 20_000);
    const sent = await everythingSent();
    for (const secret of [
      'bob@drop.test',
      'victim0@spray.test',
      'victim3',
      '203.0.113.7',
      '198.51.100.23',
      '192.0.2.10',
      '192.0.2.18',
      'not-the-password',
    ]) {
      expect(sent).not.toContain(secret);
    }
  }, 60_000);

  it('checkpoints every 2 s keep the audit watch quiet', async () => {
    await sleep((CHECKPOINT_SECONDS + GRACE_SECONDS + 3) * 1000);
    expect(messages('audit')).toEqual([]);
  }, 30_000);

  it('the checkpoint timer stopped (the app frozen) → audit_checkpoint_stale; running again → audit_checkpoint_recovered', async () => {
    app.signal('SIGSTOP');
    try {
      const stale = await waitForMessage('no signed audit checkpoint', (CHECKPOINT_SECONDS + GRACE_SECONDS + 15) * 1000);
      expect(stale.body!.text).toMatch(/^🚨 CRITICAL: drop: no signed audit checkpoint — No signed checkpoint of the audit chain/);
      expect(stale.body!.text).toContain(`Runbook: ${RUNBOOKS}#audit-checkpoint-stale`);
    } finally {
      app.signal('SIGCONT');
    }
    const recovered = await waitForMessage('audit checkpoints again', 20_000);
    expect(recovered.body!.text).toMatch(/^✅ RESOLVED: drop: audit checkpoints again/);
  }, 60_000);

  it('an entry forged into the audit table → the checkpointer refuses → audit_chain_broken, by email too; verification logs audit.verify_failed', async () => {
    const sqlite = new SQLite(database.url.slice('file:'.length));
    try {
      sqlite.pragma('busy_timeout = 5000');
      const head = sqlite.prepare('SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1').get() as {
        last_id: number;
        last_hash: string;
      };
      const newest = sqlite.prepare('SELECT "timestamp", mac FROM audit_log WHERE id = ?').get(head.last_id) as {
        timestamp: number;
        mac: string;
      };
      const fields = {
        id: Number(head.last_id) + 1,
        timestamp: Number(newest.timestamp) + 1,
        user_id: 'mallory',
        action: 'transfer_completed' as const,
        resource: 'transfer:forged',
        outcome: 'success' as const,
        details: '{"amountCents":99999999}',
        ip_address: null,
        user_agent: null,
        request_id: null,
        span_id: null,
        prev_hash: head.last_hash,
      };
      const row = { ...fields, hash: hashAuditEntry(fields), mac: newest.mac };
      sqlite
        .prepare(
          'INSERT INTO audit_log (id, "timestamp", user_id, action, resource, outcome, details, ip_address, user_agent, request_id, span_id, prev_hash, hash, mac) VALUES (@id, @timestamp, @user_id, @action, @resource, @outcome, @details, @ip_address, @user_agent, @request_id, @span_id, @prev_hash, @hash, @mac)',
        )
        .run(row);
      sqlite.prepare('UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1').run(row.id, row.hash);
    } finally {
      sqlite.close();
    }
    const broken = await waitForMessage('audit chain broken', 20_000);
    expect(broken.body!.text).toMatch(
      /^🚨 CRITICAL: drop: audit chain broken — The audit checkpointer found an entry the app did not write or one changed since at entry \d+ \(unauthenticated\)/,
    );
    expect(broken.body!.text).toContain(`Runbook: ${RUNBOOKS}#audit-chain-broken`);
    await mailpit
      .waitFor(5, 20_000)
      .then((mails) => expect(mails.map((mail) => mail.Subject)).toContain('🚨 [CRITICAL] drop: audit chain broken'));

    const verify = await admin.get('/api/admin/audit/verify');
    expect(verify.body).toMatchObject({ ok: false, firstBroken: { reason: 'unauthenticated' } });
    await app.waitForLog(/"event\.name":"audit\.verify_failed"/, 10_000);
    // Alerted once: the verification's record finds the alert already raised.
    await sleep(2_000);
    expect(messages('audit chain broken')).toHaveLength(1);
  }, 60_000);
});
