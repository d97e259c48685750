import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntry } from '@audit';
import { TEST_AUDIT_MAC_KEYS } from '../helpers/app-server';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { runAuditScript } from '../helpers/audit-cli';
import { asDatabaseOwner } from '../helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

const runVerify = (databaseUrl: string, args: string[] = []) => runAuditScript('audit-verify.ts', databaseUrl, args);

describe.each(DIALECTS)('npm run audit:verify on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
    for (let i = 1; i <= 30; i++) {
      await handle.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
            () => undefined,
            { macKeys: TEST_AUDIT_MAC_KEYS },
          ),
        );
    }
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('exits 0 with a summary on stdout and progress on stderr when the chain is intact', async () => {
    const { code, stdout, stderr } = await runVerify(database.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^audit chain intact: 30 entries, newest #30 [0-9a-f]{64}/);
    expect(stderr).toMatch(/30 \/ 30 entries \(100%\)/);
    const json = await runVerify(database.url, ['--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, entries: 30, lastId: 30, firstBroken: null });
  });

  it('exits 1 naming the first broken entry', async () => {
    await asDatabaseOwner(handle, async (db) => {
      await db.updateTable('audit_log').set({ user_id: 'someone-else' }).where('id', '=', 17).execute();
    });
    const { code, stdout } = await runVerify(database.url);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^audit chain BROKEN at entry 17: entry 17 was changed after it was written \(hash_mismatch\); the 16 entries before it are intact/,
    );
  });

  it('exits 2 when it cannot check at all (no audit table, no server)', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-no-audit-'));
    try {
      const unusable = dialect === 'sqlite' ? `file:${path.join(empty, 'drop.db')}` : 'postgres://drop@127.0.0.1:1/none';
      const { code, stderr } = await runVerify(unusable);
      expect(code).toBe(2);
      expect(stderr).toMatch(/could not check the chain/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
