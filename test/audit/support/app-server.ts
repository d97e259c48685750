import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { seedDemoUsers } from '../../../src/server/db/seed';
import { openTestDatabase, type TestDatabase } from '../../helpers/databases';

const root = path.resolve(__dirname, '../../..');

/** Signs the test server's session JWTs and CSRF tokens; tests use it to mint tokens of their own. */
export const TEST_AUTH_SECRET = 'drop-audit-test-secret-0123456789-abcdefghijklmnop';
export const DEMO_PASSWORD = 'drop-demo-password';

export interface AppServer {
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Seeds the demo users into `database` and starts the built app (`next start`, from the build `npm test` makes)
 * on a free port of 127.0.0.1; resolves once /api/health answers 200.
 */
export async function startAppServer(database: TestDatabase, env: Record<string, string> = {}): Promise<AppServer> {
  const handle = await openTestDatabase(database);
  try {
    await seedDemoUsers(handle.db, DEMO_PASSWORD);
  } finally {
    await handle.close();
  }
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'DATABASE_URL_TEST') delete childEnv[key];
  Object.assign(childEnv, { DATABASE_URL: database.url, AUTH_SECRET: TEST_AUTH_SECRET, COOKIE_SECURE: 'false', NEXT_TELEMETRY_DISABLED: '1', ...env });
  const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  for (const stream of [child.stdout, child.stderr]) readline.createInterface({ input: stream }).on('line', (line) => logs.push(line));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${logs.join('\n')}`);
    const status = await fetch(`${url}/api/health`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`next start did not become healthy:\n${logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    url,
    logs,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
