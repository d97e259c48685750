import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPgBin, startThrowawayPostgres } from '../../scripts/throwaway-postgres.mjs';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../src/server/http/errors';
import { DEMO_PASSWORD, startApp, type AppServer } from '../helpers/app-server';
import { launchChromium } from '../helpers/browser';
import { HttpClient, type ApiResponse } from '../helpers/http-client';
import { uniqueEmail } from '../helpers/stack';

type Cluster = Awaited<ReturnType<typeof startThrowawayPostgres>>;

/** A throwaway cluster of its own (this file stops and starts it), with a database `drop`. */
async function startCluster(): Promise<{ cluster: Cluster; databaseUrl: string }> {
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL server binaries are needed (apt-get install postgresql)');
  const cluster = await startThrowawayPostgres(bin);
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE drop');
  await admin.end();
  return { cluster, databaseUrl: new URL('/drop', cluster.url).toString() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForHealth(app: AppServer, status: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await fetch(`${app.url}/api/health`)).status;
    if (last === status) return;
    await sleep(200);
  }
  throw new Error(`health answered ${last}, not ${status}, for ${timeoutMs} ms`);
}

/** The answer every API request gets while the database is away. */
function expectUnavailable(res: ApiResponse, what: string): void {
  expect(res.status, `${what}: ${res.text}`).toBe(503);
  expect(res.body, what).toEqual({ error: { code: 'database_unavailable', message: expect.any(String) } });
  expect(res.headers.get('retry-after'), what).toBe(String(UNAVAILABLE_RETRY_AFTER_SECONDS));
}

/** What the operator reads: the outage lines, and nothing that shows a crash or an object graph. */
function outageLog(app: AppServer) {
  const records = app.logRecords();
  const unavailable = records.filter((r) => r['event.name'] === 'db.unavailable');
  const recovered = records.filter((r) => r['event.name'] === 'db.recovered');
  const crashes = app.logs.filter((l) => /uncaught|unhandled/i.test(l.line));
  // A pg client or pool in a log line shows up as its internals.
  const objectGraphs = app.logs.filter((l) => /"_connecting"|"_queryable"|connectionParameters|"_events"/.test(l.line));
  const errorsWithStacks = records.filter((r) => r.err !== undefined);
  return { unavailable, recovered, crashes, objectGraphs, errorsWithStacks };
}

/**
 * PostgreSQL stopped under traffic and started again: every API request meanwhile is a 503 database_unavailable
 * with Retry-After (never a 500), the process survives connections that break while checked out, the operator
 * gets one line for the outage (code and message) and one when it ends, and the app recovers without a restart.
 */
describe('PostgreSQL stopped mid-traffic and started again', () => {
  let cluster: Cluster;
  let app: AppServer;

  beforeAll(async () => {
    const started = await startCluster();
    cluster = started.cluster;
    app = await startApp({ databaseUrl: started.databaseUrl });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    cluster?.stop();
  });

  it('answers 503 database_unavailable with Retry-After on every API route, then recovers', { timeout: 120_000 }, async () => {
    const alice = new HttpClient(app.url);
    expect((await alice.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const stranger = new HttpClient(app.url);
    await stranger.fetchCsrfToken();

    const requests: Array<[string, () => Promise<ApiResponse>]> = [
      ['GET /api/account', () => alice.get('/api/account')],
      ['GET /api/transfers', () => alice.get('/api/transfers')],
      [
        'POST /api/transfers',
        () =>
          alice.post(
            '/api/transfers',
            { toEmail: 'bob@drop.test', amountCents: 1 },
            { headers: { 'idempotency-key': crypto.randomUUID() } },
          ),
      ],
      ['POST /api/auth/login', () => stranger.login('bob@drop.test', 'wrong password')],
      [
        'POST /api/auth/register',
        () => stranger.post('/api/auth/register', { email: uniqueEmail(), password: 'a long password', name: 'N' }),
      ],
      ['GET /api/sessions', () => alice.get('/api/sessions')],
    ];
    const seen: Array<{ what: string; res: ApiResponse; phase: 'before' | 'away' }> = [];
    let phase: 'before' | 'away' | 'done' = 'before';
    // Six clients in a loop, so statements and transactions are in flight when the server goes.
    const traffic = Promise.all(
      requests.map(async ([what, send]) => {
        while (phase !== 'done') {
          const at = phase;
          const res = await send();
          seen.push({ what, res, phase: at });
        }
      }),
    );
    await sleep(1_000);
    cluster.pause();
    try {
      phase = 'away';
      await sleep(4_000);
      phase = 'done';
      await traffic;

      const away = seen.filter((s) => s.phase === 'away');
      expect(away.length).toBeGreaterThan(20);
      // Requests sent just before the stop may still have completed; none may be a 500.
      expect(seen.filter((s) => s.res.status >= 500 && s.res.status !== 503)).toEqual([]);
      for (const { what, res } of away.slice(-12)) expectUnavailable(res, what);
      for (const [what, send] of requests) expectUnavailable(await send(), `${what} while away`);
      expect((await fetch(`${app.url}/api/health`)).status).toBe(503);

      // A signed-in visitor's page says what is going on, in words, without a detail of the failure (the top bar's
      // session lookup fails first, so it is the root layout's boundary, app/global-error.tsx, that shows it).
      const browser = await launchChromium();
      try {
        const context = await browser.newContext();
        await context.addCookies([{ name: 'drop_session', value: alice.cookie('drop_session')!, url: app.url }]);
        const page = await context.newPage();
        const res = await page.goto(`${app.url}/`);
        expect(res?.status()).toBe(500);
        expect(await res?.text()).toContain('DATABASE_UNAVAILABLE');
        await expect.poll(() => page.locator('h1').textContent(), { timeout: 15_000 }).toBe('Drop is temporarily unavailable');
        expect(await page.content()).not.toMatch(/ECONNREFUSED|57P01|at .*\.js:\d+/);
      } finally {
        await browser.close();
      }
    } finally {
      // Started again even when a check above failed, so that the next test finds the cluster running.
      cluster.resume();
    }
    await waitForHealth(app, 200);
    expect((await alice.get('/api/account')).status).toBe(200);
    const sent = await requests[2]![1]();
    expect(sent.status, sent.text).toBe(201);
    // Not bob: the wrong-password loop above may have used up his per-email login budget (a 429 that is right).
    expect((await new HttpClient(app.url).login('admin@drop.test', DEMO_PASSWORD)).status).toBe(200);

    const log = outageLog(app);
    expect(log.crashes).toEqual([]);
    expect(log.objectGraphs).toEqual([]);
    expect(log.errorsWithStacks).toEqual([]);
    expect(log.unavailable).toHaveLength(1);
    expect(log.unavailable[0]).toMatchObject({ level: 'error', 'error.type': expect.stringMatching(/^(57P01|ECONNREFUSED|08\w+|Error)$/) });
    expect(typeof log.unavailable[0]!['exception.message']).toBe('string');
    expect(log.recovered).toHaveLength(1);
    expect(log.recovered[0]!.msg).toMatch(/database available again after \d+\.\d s/);
  });

  it('the same again: a second outage is a second pair of lines', { timeout: 60_000 }, async () => {
    cluster.pause();
    const alice = new HttpClient(app.url);
    expectUnavailable(await alice.login('alice@drop.test', DEMO_PASSWORD), 'login while away');
    cluster.resume();
    await waitForHealth(app, 200);
    expect((await alice.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    const log = outageLog(app);
    expect(log.unavailable).toHaveLength(2);
    expect(log.recovered).toHaveLength(2);
  });
});

/** DATABASE_URL unreachable when the app starts: it starts anyway, answers 503s, and serves once the database comes. */
describe('PostgreSQL away when the app starts', () => {
  let cluster: Cluster;
  let app: AppServer;

  beforeAll(async () => {
    const started = await startCluster();
    cluster = started.cluster;
    const seeding = await startApp({ databaseUrl: started.databaseUrl });
    await seeding.stop();
    cluster.pause();
    app = await startApp({ databaseUrl: started.databaseUrl, seed: false, waitFor: 'listening' });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    cluster?.stop();
  });

  it('answers 503s (health too), then serves without a restart once PostgreSQL is up', { timeout: 90_000 }, async () => {
    expect((await fetch(`${app.url}/api/health`)).status).toBe(503);
    const client = new HttpClient(app.url);
    // The CSRF token needs no database: a client gets one, and a clear 503 for what it does with it.
    await client.fetchCsrfToken();
    expectUnavailable(await client.login('alice@drop.test', DEMO_PASSWORD), 'login');
    expectUnavailable(await client.get('/api/account'), 'account');
    expectUnavailable(
      await client.post('/api/auth/register', { email: uniqueEmail(), password: 'a long password', name: 'N' }),
      'register',
    );

    cluster.resume();
    await waitForHealth(app, 200);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    expect((await client.get('/api/account')).status).toBe(200);

    const log = outageLog(app);
    expect(log.crashes).toEqual([]);
    expect(log.unavailable).toHaveLength(1);
    expect(log.unavailable[0]!['error.type']).toBe('ECONNREFUSED');
    expect(log.recovered).toHaveLength(1);
  });
});

/** A SQLite file that cannot be opened (its directory missing: a volume not mounted) is the same 503, and recovers. */
describe('SQLite file that cannot be opened', () => {
  let dir: string;
  let app: AppServer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-away-'));
    // A file where the database's directory should be: nothing can be created there, not even as root.
    fs.writeFileSync(path.join(dir, 'volume'), 'not a directory');
    app = await startApp({ databaseUrl: `file:${path.join(dir, 'volume', 'drop.db')}`, seed: false, waitFor: 'listening' });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 database_unavailable, then serves once the directory is there', { timeout: 60_000 }, async () => {
    expect((await fetch(`${app.url}/api/health`)).status).toBe(503);
    const client = new HttpClient(app.url);
    const email = uniqueEmail();
    client.setCookie('drop_session', 'a-session-cookie');
    expectUnavailable(await client.get('/api/account'), 'account');
    expectUnavailable(await client.get('/api/transfers'), 'transfers');
    client.cookies.clear();
    expect((await client.get('/api/auth/csrf')).status).toBe(200);

    fs.rmSync(path.join(dir, 'volume'));
    fs.mkdirSync(path.join(dir, 'volume'));
    await waitForHealth(app, 200);
    const registered = await client.post('/api/auth/register', { email, password: 'a long password', name: 'N' });
    expect(registered.status, registered.text).toBe(201);

    const log = outageLog(app);
    expect(log.crashes).toEqual([]);
    expect(log.unavailable).toHaveLength(1);
    expect(log.unavailable[0]).toMatchObject({ 'error.type': expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
    expect(log.recovered).toHaveLength(1);
  });
});
