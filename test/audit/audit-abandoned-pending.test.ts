import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSequencer, verifyAuditChain } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_MAC_KEYS, startApp } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the abandoning writer against the database and SIGKILLs it once its entry has committed. */
async function killedAfterCommit(databaseUrl: string): Promise<void> {
  // tsx as a loader of this node process, not its CLI: the CLI runs the script in a child that a SIGKILL of the CLI
  // would leave running.
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/audit-abandoning-writer.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('COMMITTED') && resolve());
    child.on('exit', (code) => reject(new Error(`the writer exited (${code}) before committing: ${stderr}`)));
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

const pendingCount = async (handle: DatabaseHandle) =>
  Number(
    (
      await handle.db
        .selectFrom('audit_pending')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.each(DIALECTS)('an entry left unsealed by a writer killed after its commit, on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('is reported by verify, then sealed by another process’s sweep without any new write', { timeout: 120_000 }, async () => {
    await killedAfterCommit(database.url);
    expect(await pendingCount(handle)).toBe(1);
    const before = await verifyAuditChain(handle);
    expect(before).toMatchObject({ ok: true, entries: 0, pending: { count: 1, oldestAgeMs: expect.any(Number) } });
    const cli = await runAuditScript('audit-verify.ts', database.url);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/audit entries pending: 1 committed but not yet sealed into the chain .*, the oldest \d+\.\d s old/);

    // This process never wrote: only its sweep can seal the dead writer's entry.
    const errors: unknown[] = [];
    const stop = auditSequencer(handle.db, {
      macKeys: TEST_AUDIT_MAC_KEYS,
      takeOverAfterMs: 500,
      onSweepError: (e) => errors.push(e),
    }).sweep(100);
    try {
      await expect.poll(() => pendingCount(handle), { timeout: 15_000 }).toBe(0);
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
    const sealed = await handle.db.selectFrom('audit_log').selectAll().execute();
    expect(sealed).toMatchObject([{ id: 1, resource: 'transfer:abandoned' }]);
    expect(await verifyAuditChain(handle)).toMatchObject({ ok: true, entries: 1, pending: { count: 0, oldestAgeMs: null } });
  });
});

describe('an app process in the default (chained) mode', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => database?.drop());

  it('seals entries a dead process left pending when it starts, before any audited write', { timeout: 120_000 }, async () => {
    const handle = await openTestDatabase(database); // migrated, as the dead app process had it
    try {
      // Its entry is not backdated here to hurry the take-over: the MAC covers the timestamp, and the sealer would
      // rightly refuse the changed row. The app's sweep takes it once it is 10 s old.
      await killedAfterCommit(database.url);
      expect(await pendingCount(handle)).toBe(1);
    } finally {
      await handle.close();
    }
    const app = await startApp({ databaseUrl: database.url, seed: false });
    try {
      const reopened = await openTestDatabase(database);
      try {
        await expect.poll(() => pendingCount(reopened), { timeout: 40_000 }).toBe(0);
        expect(await reopened.db.selectFrom('audit_pending_refused').select('seq').execute()).toEqual([]);
        expect(await reopened.db.selectFrom('audit_log').select(['id', 'resource']).execute()).toEqual([
          { id: 1, resource: 'transfer:abandoned' },
        ]);
      } finally {
        await reopened.close();
      }
    } finally {
      await app.stop();
    }
  });
});
