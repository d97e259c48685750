import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { INTAKE_TOKEN, startAlertProcessor, type RunningAlertProcessor } from './alert-processor-process';
import { DEMO_PASSWORD, startApp, type AppServer, type StartAppOptions } from './app-server';
import { createTestDatabase, openTestDatabase, type DialectName, type TestDatabase } from './databases';
import { startFakeSlack, type FakeSlack } from './fake-slack';
import { createLeastPrivilegeDatabase } from './least-privilege';
import { HttpClient } from './http-client';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';
import { startSentryIngest, type SentryIngest } from './sentry-ingest';

export interface SignedUpUser {
  client: HttpClient;
  id: string;
  email: string;
  password: string;
  name: string;
  /** The client address the registration came from (its X-Forwarded-For); later requests come from 127.0.0.1. */
  address: string;
}

export interface StackOptions {
  dialect?: DialectName;
  /**
   * An OTLP receiver the app exports to: `true` for traces and logs, or the signals to export. Batches are flushed
   * every 200 ms (the env can override it).
   */
  otlp?: boolean | { traces?: boolean; logs?: boolean; metrics?: boolean };
  /** A local Sentry ingest and the app's SENTRY_DSN pointing at it; `{ browser: true }`: NEXT_PUBLIC_SENTRY_DSN too. */
  sentry?: boolean | { browser?: boolean };
  /** A Slack-like webhook and the alert processor posting to it, with the app exporting its telemetry there. */
  slack?: boolean;
  /**
   * The app's environment on top of the stack's (a value `undefined` removes a variable); a function is called
   * when the stack starts, for values known only then (a server an earlier beforeAll started).
   */
  env?: Record<string, string | undefined> | (() => Record<string, string | undefined>);
  seed?: boolean;
  waitFor?: StartAppOptions['waitFor'];
  /**
   * PostgreSQL only: the app runs as the least-privilege role of docs/AUDIT.md (no DDL), and the test's own `db`
   * as the owner.
   */
  leastPrivilege?: boolean;
}

export interface Stack {
  app: AppServer;
  database: TestDatabase;
  /** The test's own connection to the server's database, for arranging and checking state. */
  db: DatabaseHandle;
  /** The parts asked for in the options; reading one that was not throws, naming the option. */
  readonly otlp: OtlpReceiver;
  readonly sentry: SentryIngest;
  readonly slack: FakeSlack;
  readonly alertProcessor: RunningAlertProcessor;
  /** A fresh client with an empty cookie jar. */
  client(): HttpClient;
  /** A client signed in as a seeded demo user (alice@drop.test, admin@drop.test, …). */
  signIn(email: string): Promise<{ client: HttpClient; userId: string }>;
  /** Registers a new user through the API; the returned client is signed in as them. */
  signUp(options?: { balanceCents?: number; name?: string }): Promise<SignedUpUser>;
  /** Sets a user's balance directly in the database (registration starts everyone at 0). */
  setBalance(userId: string, cents: number): Promise<void>;
  balanceOf(userId: string): Promise<number>;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${crypto.randomBytes(5).toString('hex')}@example.test`;
/**
 * A client address of its own (198.18.0.0/15, set aside for tests), sent as X-Forwarded-For: the test servers trust
 * one proxy (the test), so it is the address the app sees, and sign-ups do not share the per-address limits.
 */
export const uniqueAddress = () => `198.18.${crypto.randomInt(256)}.${crypto.randomInt(256)}`;

const FAST_BATCHES = { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200' };

function otlpEnv(signals: StackOptions['otlp'], endpoint: string): Record<string, string> {
  const wanted = signals === true ? { traces: true, logs: true } : signals || {};
  return {
    ...FAST_BATCHES,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_TRACES_EXPORTER: wanted.traces ? 'otlp' : 'none',
    OTEL_LOGS_EXPORTER: wanted.logs ? 'otlp' : 'none',
    ...(wanted.metrics ? { OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '500' } : { OTEL_METRICS_EXPORTER: 'none' }),
  };
}

/**
 * The whole stack a test needs, for the enclosing describe block: a fresh database of the dialect, the app on it,
 * and on demand an OTLP receiver, a Sentry ingest, a Slack webhook with the alert processor in front of it — all
 * started before the block's tests and stopped (the database dropped) after them. Use the returned getter in tests.
 */
export function useStack(options: StackOptions = {}): () => Stack {
  const { dialect = 'sqlite' } = options;
  let stack: Stack | undefined;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    if (options.leastPrivilege && dialect !== 'postgres') throw new Error('useStack(): leastPrivilege needs dialect postgres');
    const leastPrivilege = options.leastPrivilege ? await createLeastPrivilegeDatabase() : undefined;
    const database = leastPrivilege ?? (await createTestDatabase(dialect));
    stops.unshift(() => database.drop());
    const db = await openTestDatabase({ url: leastPrivilege?.ownerUrl ?? database.url });
    stops.unshift(() => db.close());
    const env: Record<string, string | undefined> = {};

    const otlp = options.otlp ? await startOtlpReceiver() : undefined;
    if (otlp) {
      stops.unshift(() => otlp.close());
      Object.assign(env, otlpEnv(options.otlp, otlp.url));
    }
    const sentry = options.sentry ? await startSentryIngest() : undefined;
    if (sentry) {
      stops.unshift(() => sentry.close());
      env.SENTRY_DSN = sentry.dsn;
      if (typeof options.sentry === 'object' && options.sentry.browser) env.NEXT_PUBLIC_SENTRY_DSN = sentry.dsn;
    }
    let slack: FakeSlack | undefined;
    let alertProcessor: RunningAlertProcessor | undefined;
    if (options.slack) {
      if (otlp) throw new Error('useStack(): with slack the app exports to the alert processor, not to an OTLP receiver');
      const fakeSlack = await startFakeSlack();
      slack = fakeSlack;
      stops.unshift(() => fakeSlack.close());
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-stack-alerts-'));
      stops.unshift(async () => fs.rmSync(stateDir, { recursive: true, force: true }));
      const processor = await startAlertProcessor({ SLACK_WEBHOOK_URL: fakeSlack.url, ALERTS_STATE_FILE: path.join(stateDir, 'state.db') });
      alertProcessor = processor;
      stops.unshift(() => processor.stop());
      // The app exports straight to the processor here (no collector): it sends the intake's token as the collector would.
      Object.assign(env, otlpEnv(true, processor.url), { OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${INTAKE_TOKEN}` });
    }

    const app = await startApp({
      databaseUrl: database.url,
      seed: options.seed,
      waitFor: options.waitFor,
      env: { ...env, ...(typeof options.env === 'function' ? options.env() : options.env) },
    });
    stops.unshift(() => app.stop());

    const client = () => new HttpClient(app.url);
    const setBalance = async (userId: string, cents: number) => {
      await db.db.updateTable('users').set({ balance_cents: cents }).where('id', '=', userId).execute();
    };
    const part = <T>(value: T | undefined, option: string): T => {
      if (value === undefined) throw new Error(`useStack(): this stack has no ${option} (pass { ${option}: true })`);
      return value;
    };
    stack = {
      app,
      database,
      db,
      get otlp() {
        return part(otlp, 'otlp');
      },
      get sentry() {
        return part(sentry, 'sentry');
      },
      get slack() {
        return part(slack, 'slack');
      },
      get alertProcessor() {
        return part(alertProcessor, 'slack');
      },
      client,
      setBalance,
      async signIn(email) {
        const c = client();
        const res = await c.login(email, DEMO_PASSWORD);
        if (res.status !== 200) throw new Error(`login as ${email} answered ${res.status}: ${res.text}`);
        return { client: c, userId: res.body.user.id as string };
      },
      async balanceOf(userId) {
        const row = await db.db.selectFrom('users').select('balance_cents').where('id', '=', userId).executeTakeFirstOrThrow();
        return row.balance_cents;
      },
      async signUp({ balanceCents = 0, name = 'Test User' } = {}) {
        const c = client();
        const email = uniqueEmail();
        const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
        const address = uniqueAddress();
        const res = await c.post('/api/auth/register', { email, password, name }, { headers: { 'x-forwarded-for': address } });
        if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.text}`);
        const id = res.body.user.id as string;
        if (balanceCents) await setBalance(id, balanceCents);
        return { client: c, id, email, password, name, address };
      },
    };
  });

  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  });

  return () => {
    if (!stack) throw new Error('useStack(): the stack is not started (is the test inside the describe block?)');
    return stack;
  };
}
