// A production deploy that is not a demo: /login names no demo account, the first admin comes from the operator
// command (the bundle the image runs), signs in and reads the audit trail. And the demo still names its accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET, type AppServer } from '../helpers/app-server';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { HttpClient } from '../helpers/http-client';
import { buildOpsCommandsForTest, type OpsCommands } from '../helpers/ops-commands';

const cleanups: (() => Promise<void> | void)[] = [];
let ops: OpsCommands;
beforeAll(async () => {
  ops = await buildOpsCommandsForTest();
}, 60_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  ops?.remove();
});

async function serve(options: {
  seed: boolean;
  env: Record<string, string | undefined>;
}): Promise<{ app: AppServer; database: TestDatabase }> {
  const database = await createTestDatabase('sqlite');
  cleanups.push(() => database.drop());
  const app = await startApp({ databaseUrl: database.url, seed: options.seed, env: options.env });
  cleanups.push(async () => void (await app.stop()));
  return { app, database };
}

/** The login page's text, React's text separators removed. */
async function loginPageText(app: AppServer): Promise<string> {
  const response = await fetch(`${app.url}/login`);
  expect(response.status).toBe(200);
  return (await response.text()).replaceAll('<!-- -->', '');
}

describe('/login and the demo accounts (next start, production)', () => {
  it('DROP_DEMO unset, the demo users seeded anyway: none named', { timeout: 120_000 }, async () => {
    const { app } = await serve({ seed: true, env: { DROP_DEMO: undefined } });
    const html = await loginPageText(app);
    expect(html).toContain('Sign in');
    expect(html).not.toMatch(/Demo:|drop\.test/);
  });

  it('DROP_DEMO=1 on a database without them: none named', { timeout: 120_000 }, async () => {
    const { app } = await serve({ seed: false, env: { DROP_DEMO: '1' } });
    expect(await loginPageText(app)).not.toMatch(/Demo:|drop\.test/);
  });

  it('DROP_DEMO=1 on a seeded database (npm run demo): all three named', { timeout: 120_000 }, async () => {
    const { app } = await serve({ seed: true, env: { DROP_DEMO: '1' } });
    expect(await loginPageText(app)).toContain('Demo: admin@drop.test, alice@drop.test or bob@drop.test with the demo password.');
  });
});

describe('the first admin of a production deploy', () => {
  it(
    'admin.mjs create (password on stdin) → the admin signs in and reads /api/admin/audit with its admin_created entry',
    { timeout: 120_000 },
    async () => {
      const { app, database } = await serve({ seed: false, env: { DROP_DEMO: undefined } });
      const password = 'first admin passphrase';
      const created = await ops.run('admin', ['create', '--email', 'ops@example.com', '--name', 'Ops'], {
        env: { DATABASE_URL: database.url, AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY },
        input: `${password}\n`,
      });
      expect(created.code, created.stderr).toBe(0);

      const admin = new HttpClient(app.url);
      expect((await admin.login('ops@example.com', password)).status).toBe(200);
      const audit = await admin.get('/api/admin/audit');
      expect(audit.status, audit.text).toBe(200);
      const actions = (audit.body.entries as { action: string; userId: string }[]).map((e) => e.action);
      expect(actions).toContain('admin_created');
      expect(actions).toContain('login_success');

      // A user who signs up is no admin until promoted.
      const bob = new HttpClient(app.url);
      expect((await bob.post('/api/auth/register', { email: 'bob@example.com', password: 'bob password 1', name: 'Bob' })).status).toBe(
        201,
      );
      expect((await bob.get('/api/admin/audit')).status).toBe(403);
      const promoted = await ops.run('admin', ['promote', '--email', 'bob@example.com'], {
        env: { DATABASE_URL: database.url, AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY },
      });
      expect(promoted.code, promoted.stderr).toBe(0);
      // The session issued before the role changed is revoked (sessions.ts): bob signs in again, as an admin.
      expect((await bob.get('/api/admin/audit')).status).toBe(401);
      expect((await bob.login('bob@example.com', 'bob password 1')).status).toBe(200);
      expect((await bob.get('/api/admin/audit')).status).toBe(200);
    },
  );
});
