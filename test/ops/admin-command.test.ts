import { spawn } from 'node:child_process';
import path from 'node:path';
import { verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { inTransaction } from '../../src/server/db/transaction';
import { createUser } from '../../src/server/domain/users';
import { TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET } from '../helpers/app-server';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';
import { buildOpsCommandsForTest, type OpsCommands } from '../helpers/ops-commands';

/** The app container's keys: `docker compose exec app` runs the command with the app's environment. */
const KEYS = { AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY };
const PASSWORD = 'correct horse battery staple';

let ops: OpsCommands;
beforeAll(async () => {
  ops = await buildOpsCommandsForTest();
}, 60_000);
afterAll(() => ops?.remove());

describe.each(DIALECTS)('scripts/dist/admin.mjs on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  const admin = (args: string[], input?: string) => ops.run('admin', args, { env: { ...KEYS, DATABASE_URL: database.url }, input });
  const auditRows = () => handle.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  const user = (email: string) => handle.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('create on an empty database: migrates it, creates the admin with the password from stdin, audits it', async () => {
    const { code, stdout, stderr } = await admin(['create', '--email', ' Ada@Example.COM ', '--name', 'Ada Lovelace'], `${PASSWORD}\n`);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^admin created: ada@example\.com \(user [0-9a-f-]{36}\)\n$/);
    expect(stdout + stderr).not.toContain(PASSWORD);
    handle = await openTestDatabase(database);
    const ada = await user('ada@example.com');
    expect(ada).toMatchObject({ name: 'Ada Lovelace', role: 'admin', balance_cents: 0 });
    expect(await verify(ada!.password_hash, PASSWORD)).toBe(true);
    const rows = await auditRows();
    expect(rows.map((r) => [r.action, r.outcome, r.resource, r.user_id, r.ip_address, r.user_agent, JSON.parse(r.details)])).toEqual([
      ['admin_created', 'success', `user:${ada!.id}`, ada!.id, null, null, { command: 'admin' }],
    ]);
    // audit:verify checks each entry's MAC: it needs the app's key (AUTH_SECRET here), as the app container has it.
    const verified = await ops.run('audit-verify', [], { env: { ...KEYS, DATABASE_URL: database.url } });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^audit chain intact: 1 entries/);
  });

  it('create with an email already taken: exit 1, nothing changed', async () => {
    const before = await auditRows();
    const { code, stdout, stderr } = await admin(['create', '--email', 'ada@example.com', '--name', 'Other'], `${PASSWORD}\r\n`);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/admin refused: An account with this email already exists \(to make that user an admin: admin promote/);
    expect(await auditRows()).toEqual(before);
    expect((await user('ada@example.com'))!.name).toBe('Ada Lovelace');
  });

  it('promote: an existing user becomes admin (audited with the previous role); a second promote changes nothing', async () => {
    const bob = await inTransaction(handle.db, (tx) => createUser(tx, { email: 'bob@example.com', name: 'Bob', passwordHash: 'x' }));
    const first = await admin(['promote', '--email', 'BOB@example.com']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`promoted to admin: bob@example.com (user ${bob.id})\n`);
    expect((await user('bob@example.com'))!.role).toBe('admin');
    const promoted = (await auditRows()).at(-1)!;
    expect([promoted.action, promoted.user_id, JSON.parse(promoted.details)]).toEqual([
      'admin_promoted',
      bob.id,
      { command: 'admin', previousRole: 'user' },
    ]);

    const count = (await auditRows()).length;
    const again = await admin(['promote', '--email', 'bob@example.com']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`already an admin: bob@example.com (user ${bob.id})\n`);
    expect(await auditRows()).toHaveLength(count);
  });

  it('promote of an unknown email: exit 1', async () => {
    const { code, stderr } = await admin(['promote', '--email', 'nobody@example.com']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/admin refused: No account has this email/);
  });

  it.each([
    [['create', '--email', 'eve@example.com', '--name', 'Eve', '--password', PASSWORD], PASSWORD, /never taken from the command line/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve', `--password=${PASSWORD}`], '', /never taken from the command line/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve', '-p', PASSWORD], '', /never taken from the command line/],
    [['create', '--email', 'not-an-email', '--name', 'Eve'], PASSWORD, /--email: Invalid email address/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve'], 'short\n', /password: Use at least 10 characters/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve'], '', /no password on stdin/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve'], `${PASSWORD}\nsecond line\n`, /more than one line/],
    [['create', '--email', 'eve@example.com', '--name', 'Eve\u202E'], PASSWORD, /--name: Must not contain control characters/],
    [['create', '--email', 'eve@example.com'], PASSWORD, /--name is required/],
    [['promote', '--email', 'eve@example.com', '--name', 'Eve'], '', /promote takes no --name/],
    [['delete', '--email', 'eve@example.com'], '', /usage: admin create/],
    [[], '', /usage: admin create/],
  ])('%j → exit 2 with a message, no user, no entry', async (args, input, message) => {
    const before = await auditRows();
    const { code, stdout, stderr } = await admin(args, input);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await user('eve@example.com')).toBeUndefined();
    expect(await auditRows()).toEqual(before);
  });
});

describe('scripts/dist/admin.mjs, faults and the terminal', () => {
  it('a database it cannot reach: exit 2, "could not run"', async () => {
    const { code, stderr } = await ops.run('admin', ['promote', '--email', 'a@example.com'], {
      env: { ...KEYS, DATABASE_URL: 'postgres://drop@127.0.0.1:1/drop' },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/admin could not run: .*ECONNREFUSED/);
  });

  it('on a terminal: prompts twice without echo; two different passwords are refused', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const typed = await runOnTerminal(
        ['create', '--email', 'tty@example.com', '--name', 'Tty'],
        { ...KEYS, DATABASE_URL: database.url },
        [PASSWORD, PASSWORD],
      );
      expect(typed.code, typed.output).toBe(0);
      expect(typed.output).toMatch(/Password for tty@example\.com: [\s\S]*Password for tty@example\.com \(again\): /);
      expect(typed.output).toMatch(/admin created: tty@example\.com/);
      expect(typed.output).not.toContain(PASSWORD);

      const differ = await runOnTerminal(
        ['create', '--email', 'tty2@example.com', '--name', 'Tty'],
        { ...KEYS, DATABASE_URL: database.url },
        [PASSWORD, `${PASSWORD}!`],
      );
      expect(differ.code).toBe(2);
      expect(differ.output).toMatch(/admin: the two passwords differ/);
      const handle = await openTestDatabase(database);
      try {
        const rows = await handle.db.selectFrom('users').select(['email', 'role', 'password_hash']).execute();
        expect(rows.map((r) => [r.email, r.role])).toEqual([['tty@example.com', 'admin']]);
        expect(await verify(rows[0]!.password_hash, PASSWORD)).toBe(true);
      } finally {
        await handle.close();
      }
    } finally {
      await database.drop();
    }
  });
});

/**
 * Runs admin.mjs on a pseudo-terminal (util-linux `script`), typing each answer once its prompt has appeared; the
 * terminal's whole output (echo included, if any) is returned.
 */
function runOnTerminal(args: string[], env: Record<string, string>, answers: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, path.join(ops.dir, 'admin.mjs'), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    env: { ...process.env, NODE_ENV: 'production', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let answered = 0;
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    const prompts = output.match(/Password for [^\n]*: /g)?.length ?? 0;
    while (answered < Math.min(prompts, answers.length)) child.stdin.write(`${answers[answered++]}\r`);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}
