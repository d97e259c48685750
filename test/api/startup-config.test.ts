import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntry } from '@audit';
import { TEST_AUDIT_KEYRING, TEST_AUDIT_MAC_KEYS, startApp } from '../helpers/app-server';
import { createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

/** A bad setting stops `next start` at boot with one line naming the variable, instead of a 500 per request. */
describe('configuration checked at start-up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => database?.drop());

  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ TRUSTED_PROXY_COUNT: 'two' }, /config: TRUSTED_PROXY_COUNT must be an integer between 0 and 10, got "two"/],
    [{ PG_POOL_MAX: 'abc' }, /config: PG_POOL_MAX must be an integer between 1 and 1000, got "abc"/],
    [{ SESSION_TTL_HOURS: '-1' }, /config: SESSION_TTL_HOURS must be an integer/],
    [{ COOKIE_SECURE: 'yes' }, /config: COOKIE_SECURE must be true or false, got "yes"/],
    [{ AUDIT_SIGNING_KEY: '' }, /config: AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE is required in production/],
    [{ AUDIT_WRITE_MODE: 'fast' }, /config: AUDIT_WRITE_MODE must be chained or sequenced, got "fast"/],
    [{ APP_ORIGIN: 'not a url' }, /config: APP_ORIGIN must be an origin/],
    [
      { AUDIT_SIGNING_KEY: '', AUDIT_SIGNING_KEY_FILE: '/nonexistent/audit-signing-key.pem' },
      /config: AUDIT_SIGNING_KEY_FILE \(\/nonexistent\/audit-signing-key\.pem\) cannot be read: ENOENT/,
    ],
    [{ AUDIT_SIGNING_KEY: 'not a pem' }, /config: the audit signing key in AUDIT_SIGNING_KEY is not usable/],
    [
      { TRACE_URL_TEMPLATE: 'http://jaeger/trace/' },
      /config: TRACE_URL_TEMPLATE must be an http\(s\) URL containing \{traceId\}, got "http:\/\/jaeger\/trace\/"/,
    ],
    [{ AUDIT_CHECKPOINT_EVERY: '0' }, /config: AUDIT_CHECKPOINT_EVERY must be an integer between 1 and/],
  ];

  /** The `config.invalid` log lines the server printed before it exited. */
  async function configProblems(env: Record<string, string>): Promise<string[]> {
    const error = await startApp({ databaseUrl: database.url, env, timeoutMs: 45_000 }).then(
      () => new Error('the server started'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/the server exited \(code 1/);
    const records = error.message
      .split('\n')
      .filter((line) => line.startsWith('[stdout] {'))
      .map((line) => JSON.parse(line.slice('[stdout] '.length)) as { 'event.name'?: string; level: string; msg: string });
    // A process that a bad setting stops never announces a start (the alert processor would report it).
    expect(records.map((record) => record['event.name'])).not.toContain('app.started');
    return records
      .filter((record) => record['event.name'] === 'config.invalid')
      .map((record) => {
        expect(record.level).toBe('fatal');
        return record.msg;
      });
  }

  // Each case runs `next start` until it exits: more than the default 30 s on a busy machine.
  it.each(cases)('%o stops the server with a message naming it', { timeout: 90_000 }, async (env, message) => {
    const problems = await configProblems(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('two problems are both named, one line each', { timeout: 90_000 }, async () => {
    const problems = await configProblems({ TRUSTED_PROXY_COUNT: 'two', PG_POOL_MAX: '0' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/TRUSTED_PROXY_COUNT/);
    expect(problems.join('\n')).toMatch(/PG_POOL_MAX/);
  });
});

/** A master key that does not open the stored audit user keys stops the boot, instead of a 503 per audited write. */
describe('audit master key checked at start-up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const handle = await openTestDatabase(database);
    try {
      // One user key, wrapped by the master key the test servers derive from their AUTH_SECRET.
      await handle.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_failure', resource: 'user:u1', userId: 'u1', ip: '198.51.100.7', userAgent: 'vitest' },
            () => undefined,
            { keyring: TEST_AUDIT_KEYRING, macKeys: TEST_AUDIT_MAC_KEYS },
          ),
        );
    } finally {
      await handle.close();
    }
  });
  afterAll(async () => database?.drop());

  it('a changed AUDIT_ENCRYPTION_KEY stops the server with one config.invalid line naming it', async () => {
    const error = await startApp({
      databaseUrl: database.url,
      env: { AUDIT_ENCRYPTION_KEY: 'a-different-audit-encryption-key-0123456789' },
      timeoutMs: 45_000,
    }).then(
      () => new Error('the server started'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/the server exited \(code 1/);
    const problems = error.message
      .split('\n')
      .filter((line) => line.startsWith('[stdout] {'))
      .map((line) => JSON.parse(line.slice('[stdout] '.length)) as { 'event.name'?: string; msg: string })
      .filter((record) => record['event.name'] === 'config.invalid')
      .map((record) => record.msg);
    expect(problems).toEqual([
      expect.stringMatching(/^config: AUDIT_ENCRYPTION_KEY does not open the audit user keys stored in the database/),
    ]);
  });

  it('the key the data was written with starts', async () => {
    const app = await startApp({ databaseUrl: database.url, seed: false, timeoutMs: 45_000 });
    await app.stop();
  });
});
