import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type AppServer } from '../helpers/app-server';
import { DIALECTS, createTestDatabase, postgresAdminUrl, type TestDatabase } from '../helpers/databases';
import { useStack } from '../helpers/stack';
import { HttpClient } from '../helpers/http-client';
import packageJson from '../../package.json' with { type: 'json' };

async function pollHealth(client: HttpClient, status: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get('/api/health');
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.each(DIALECTS)('GET /api/health on %s', (dialect) => {
  const fixture = useStack({ dialect });

  it('answers 200 with the database check, uptime and version', async () => {
    const res = await fixture().client().get('/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      status: 'ok',
      db: { ok: true, latencyMs: expect.any(Number) },
      uptimeSeconds: expect.any(Number),
      version: packageJson.version,
    });
    expect(res.body.db.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});

/** A database URL the server cannot use yet, and how to make it usable. */
async function unusableDatabase(
  dialect: (typeof DIALECTS)[number],
): Promise<{ url: string; repair(): Promise<void>; cleanup(): Promise<void> }> {
  if (dialect === 'sqlite') {
    // A file that is not an SQLite database: opening it fails with SQLITE_NOTADB.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-health-'));
    const file = path.join(dir, 'drop.db');
    fs.writeFileSync(file, 'this is not a database file, it is plain text '.repeat(200));
    return {
      url: `file:${file}`,
      repair: async () => fs.rmSync(file),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  // A database that does not exist (yet) on the test server.
  const name = `drop_test_missing_${process.pid}_${Date.now()}`;
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: postgresAdminUrl() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    url: url.toString(),
    repair: () => admin(`CREATE DATABASE ${name}`),
    cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

describe.each(DIALECTS)('GET /api/health with an unusable database on %s', (dialect) => {
  let server: AppServer | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await server?.stop();
    await cleanup?.();
  });

  it('answers 503 "degraded" while the database cannot be opened, API routes fail without detail, and it recovers', async () => {
    const broken = await unusableDatabase(dialect);
    cleanup = broken.cleanup;
    server = await startApp({ databaseUrl: broken.url, seed: false, waitFor: 'listening' });
    const client = new HttpClient(server.url);

    const degraded = await client.get('/api/health');
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', db: { ok: false }, version: packageJson.version });

    const account = await client.get('/api/account');
    expect(account.status).toBe(500);
    expect(account.body).toEqual({
      error: { code: 'internal', message: expect.any(String), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    expect(account.text).not.toMatch(/SQLITE|does not exist|at .*\.js/);

    await broken.repair();
    const healthy = await pollHealth(client, 200);
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ status: 'ok', db: { ok: true } });
  });
});

describe('GET /api/health when PostgreSQL goes away under a running server', () => {
  let server: AppServer | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('turns 503 "degraded" and the server keeps running', async () => {
    database = await createTestDatabase('postgres');
    server = await startApp({ databaseUrl: database.url });
    const client = new HttpClient(server.url);
    // Sign in first, so the server's pool holds open connections when the database disappears.
    expect((await client.login('alice@drop.test', 'drop-demo-password')).status).toBe(200);
    expect((await client.get('/api/account')).status).toBe(200);

    await database.drop(); // DROP DATABASE … WITH (FORCE) terminates the server's connections

    const degraded = await pollHealth(client, 503);
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', db: { ok: false } });
    // Still serving: the terminated connections did not take the process down.
    const again = await client.get('/api/health');
    // …and did not surface as an uncaught exception either (pg's pool emits 'error' for each of them): the operator
    // gets one db.unavailable record for the outage, with the error's code and message, not one per connection.
    const mentions = server.logs.filter((l) => /terminating connection/.test(l.line));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]!.stream).toBe('stdout');
    expect(JSON.parse(mentions[0]!.line)).toMatchObject({
      level: 'error',
      'event.name': 'db.unavailable',
      'error.type': '57P01',
      'exception.message': expect.stringMatching(/^terminating connection/),
    });
    // The captured output is complete from the first line, and stop() returns once the process is gone.
    await expect(server.waitForLog(/Ready in/)).resolves.toMatchObject({ stream: 'stdout' });
    const exit = await server.stop();
    expect([0, 143]).toContain(exit.code); // next start exits 128 + SIGTERM today; a graceful shutdown may make it 0
    await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
    expect(again.status).toBe(503);
  });
});
