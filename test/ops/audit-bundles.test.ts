import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntry, auditSigner } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_MAC_KEYS, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET } from '../helpers/app-server';
import { asDatabaseOwner } from '../helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';
import { buildOpsCommandsForTest, type OpsCommands } from '../helpers/ops-commands';

// The audit CLIs and db:migrate as the image runs them: the bundles of `npm run ops:build`, plain node, NODE_ENV=production.
const KEYS = { AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY };
/** SQLite: more than one verification range (10,000 ids each), checked on worker threads (verify-worker.mjs). */
const ENTRIES = { sqlite: 10_050, postgres: 50 };

let ops: OpsCommands;
beforeAll(async () => {
  ops = await buildOpsCommandsForTest();
}, 60_000);
afterAll(() => ops?.remove());

describe.each(DIALECTS)('the ops bundles on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const run = (name: string, args: string[] = []) => ops.run(name, args, { env: { ...KEYS, DATABASE_URL: database.url } });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('db-migrate.mjs migrates a new database, then has nothing to do', async () => {
    const first = await run('db-migrate');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/: applied 0001_initial, 0002_audit_log, 0003_audit_trust/);
    const second = await run('db-migrate');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/: already up to date\n$/);
    handle = await openTestDatabase(database);
  });

  const entries = ENTRIES[dialect];
  const changed = entries - 30;
  it(
    `audit-verify.mjs: ${entries} entries intact (exit 0), then entry ${changed} changed: found (exit 1)`,
    { timeout: 120_000 },
    async () => {
      await handle.db.transaction().execute(async (tx) => {
        for (let i = 1; i <= entries; i++) {
          await appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
            () => undefined,
            { macKeys: TEST_AUDIT_MAC_KEYS },
          );
        }
      });
      const intact = await run('audit-verify', ['--json']);
      expect(intact.code, intact.stderr).toBe(0);
      expect(JSON.parse(intact.stdout)).toMatchObject({ ok: true, entries, lastId: entries });

      await asDatabaseOwner(handle, (db) =>
        db
          .updateTable('audit_log')
          .set({ resource: 'user:mallory' })
          .where('id', '=', changed)
          .execute()
          .then(() => undefined),
      );
      const broken = await run('audit-verify');
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(new RegExp(`^audit chain BROKEN at entry ${changed}: `));
    },
  );

  it('audit-erase.mjs: legal hold refuses (exit 1), erasure is audited (exit 0)', async () => {
    expect((await run('audit-erase', ['--legal-hold', 'case 7', 'u-1'])).code).toBe(0);
    const refused = await run('audit-erase', ['u-1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/audit:erase refused: user u-1 is under legal hold \(case 7\)/);
    expect((await run('audit-erase', ['--release-hold', 'u-1'])).code).toBe(0);
    const erased = await run('audit-erase', ['u-1']);
    expect(erased.code, erased.stderr).toBe(0);
    const actions = await handle.db.selectFrom('audit_log').select('action').where('user_id', '=', 'u-1').orderBy('id').execute();
    expect(actions.map((r) => r.action)).toEqual(['login_success', 'legal_hold_set', 'legal_hold_released', 'personal_data_erased']);
    const usage = await run('audit-erase', []);
    expect(usage.code).toBe(2);
  });
});

describe('audit-public-key.mjs', () => {
  it('prints the key id and public key of AUDIT_SIGNING_KEY (exit 0); none in production: exit 2', async () => {
    const printed = await ops.run('audit-public-key', ['--json'], { env: KEYS });
    expect(printed.code, printed.stderr).toBe(0);
    const expected = auditSigner(TEST_AUDIT_SIGNING_KEY);
    expect(JSON.parse(printed.stdout)).toEqual({ keyId: expected.keyId, publicKeyPem: expected.publicPem, publicKey: expected.publicJwk });
    const missing = await ops.run('audit-public-key', [], {
      env: { AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: '', AUDIT_SIGNING_KEY_FILE: '' },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /audit:public-key could not read the signing key: AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE is required in production/,
    );
  });
});
