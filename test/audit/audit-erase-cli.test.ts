import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERASED, appendAuditEntry, revealAuditRows } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_KEYRING, TEST_AUDIT_MAC_KEYS, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

/** The app's keys, as a server started by the tests has them. */
const ENV = { AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY };

describe.each(DIALECTS)('npm run audit:erase on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const erase = (args: string[]) => runAuditScript('audit-erase.ts', database.url, args, ENV);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
    for (const user of ['alice', 'bob', 'alice', 'bob']) {
      await handle.db.transaction().execute((tx) =>
        appendAuditEntry(
          tx,
          {
            action: 'login_failure',
            outcome: 'failure',
            resource: `user:${user}`,
            userId: user,
            details: { email: `${user}@example.test` },
            ip: '203.0.113.5',
            userAgent: 'Safari/18',
          },
          () => undefined,
          { keyring: TEST_AUDIT_KEYRING, macKeys: TEST_AUDIT_MAC_KEYS },
        ),
      );
    }
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  const revealed = async (userId: string) =>
    revealAuditRows(
      handle.db,
      TEST_AUDIT_KEYRING,
      await handle.db.selectFrom('audit_log').selectAll().where('user_id', '=', userId).orderBy('id').execute(),
    );

  it('destroys the user’s key: their personal data reads "erased", the others’ not, the erasure is audited and the chain verifies', async () => {
    const { code, stdout, stderr } = await erase(['alice']);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/erased: the audit key of user alice is destroyed/);
    const alice = await revealed('alice');
    expect(alice.map((r) => [r.action, r.ip_address, r.user_agent, JSON.parse(r.details)])).toEqual([
      ['login_failure', ERASED, ERASED, { email: ERASED }],
      ['login_failure', ERASED, ERASED, { email: ERASED }],
      ['personal_data_erased', null, null, { keyDestroyed: true, userCleared: false, sessionsDeleted: 0 }],
    ]);
    expect((await revealed('bob')).map((r) => [r.ip_address, JSON.parse(r.details)])).toEqual([
      ['203.0.113.5', { email: 'bob@example.test' }],
      ['203.0.113.5', { email: 'bob@example.test' }],
    ]);
    const verified = await runAuditScript('audit-verify.ts', database.url, []);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^audit chain intact: 5 entries/);
  });

  // Several tsx processes in a row: on a loaded CI machine that can take more than the default 30 s.
  it('refuses under legal hold (exit 1) until the hold is released; each step is audited', { timeout: 120_000 }, async () => {
    const held = await erase(['--legal-hold', 'case 2026-17', 'bob']);
    expect(held.code, held.stderr).toBe(0);
    const refused = await erase(['bob']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/audit:erase refused: user bob is under legal hold \(case 2026-17\)/);
    expect((await revealed('bob'))[0]!.ip_address).toBe('203.0.113.5');
    expect((await erase(['--release-hold', 'bob'])).code).toBe(0);
    expect((await erase(['bob'])).code).toBe(0);
    const bob = await revealed('bob');
    expect(bob.map((r) => r.action)).toEqual([
      'login_failure',
      'login_failure',
      'legal_hold_set',
      'legal_hold_released',
      'personal_data_erased',
    ]);
    expect(bob[0]!.ip_address).toBe(ERASED);
    expect(JSON.parse(bob[2]!.details)).toEqual({ reason: 'case 2026-17' });
  });

  it('clears the user’s personal data outside the trail, and leaves no copy of it or of the key in the database files', async () => {
    const now = Date.now();
    const carol = {
      id: `carol-${crypto.randomBytes(4).toString('hex')}`,
      email: 'carol.unique-9f31@example.test',
      name: 'Carol Erasable-Surname',
    };
    await handle.db
      .insertInto('users')
      .values({ ...carol, password_hash: 'x', role: 'user', balance_cents: 500, created_at: now })
      .execute();
    const ip = '198.51.100.77';
    const userAgent = 'CarolBrowser/7.3-unique';
    for (const id of ['s1', 's2']) {
      await handle.db
        .insertInto('sessions')
        .values({
          id: `${carol.id}-${id}`,
          user_id: carol.id,
          created_at: now,
          last_seen_at: now,
          expires_at: now + 3_600_000,
          revoked_at: null,
          ip,
          user_agent: userAgent,
        })
        .execute();
    }
    await handle.db.transaction().execute((tx) =>
      appendAuditEntry(tx, { action: 'login_success', resource: `user:${carol.id}`, userId: carol.id, ip, userAgent }, () => undefined, {
        keyring: TEST_AUDIT_KEYRING,
        macKeys: TEST_AUDIT_MAC_KEYS,
      }),
    );
    const { wrapped_key: wrappedKey } = await handle.db
      .selectFrom('audit_user_keys')
      .select('wrapped_key')
      .where('user_id', '=', carol.id)
      .executeTakeFirstOrThrow();
    const secrets = [wrappedKey!, carol.email, carol.name, ip, userAgent];
    const files = () => {
      const file = database.url.slice('file:'.length);
      return [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
    };
    const found = () => secrets.filter((secret) => files().some((bytes) => bytes.includes(Buffer.from(secret))));
    // The search finds what is there: before the erasure, every one of them.
    if (dialect === 'sqlite') expect(found()).toEqual(secrets);

    const { code, stdout, stderr } = await erase([carol.id]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/name, email and password of user .* replaced; 2 session\(s\) deleted/);
    const user = await handle.db.selectFrom('users').selectAll().where('id', '=', carol.id).executeTakeFirstOrThrow();
    expect(user).toMatchObject({ name: 'Erased user', email: `erased-${carol.id}@erased.invalid`, balance_cents: 500 });
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(await handle.db.selectFrom('sessions').selectAll().where('user_id', '=', carol.id).execute()).toEqual([]);
    const [entry] = await revealed(carol.id);
    expect([entry!.ip_address, entry!.user_agent]).toEqual([ERASED, ERASED]);
    // Byte for byte: neither the database file nor its WAL holds the destroyed key or the cleared fields.
    if (dialect === 'sqlite') expect(found()).toEqual([]);
  });

  it('exits 2 on bad arguments', async () => {
    const none = await erase([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: npm run audit:erase/);
    expect((await erase(['a', 'b'])).code).toBe(2);
  });
});
