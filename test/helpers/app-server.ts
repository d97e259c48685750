import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { openTestDatabase, type TestDatabase } from './databases';
import { seedDemoUsers } from '../../src/server/db/seed';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const TEST_AUTH_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
export const DEMO_PASSWORD = 'drop-demo-password';

export interface AppServer {
  baseUrl: string;
  process: ChildProcess;
  /** Every stdout line so far. */
  stdout: string[];
  stderr: string[];
  /** Parsed JSON log lines from stdout. */
  logLines(): Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Migrates and seeds the demo users into a test database, so a server can sign them in. */
export async function seedTestDatabase(db: TestDatabase): Promise<void> {
  const handle = await openTestDatabase(db);
  try {
    await seedDemoUsers(handle.db, DEMO_PASSWORD);
  } finally {
    await handle.close();
  }
}

/** Starts the built app (`next start`) on a free port and waits until /api/health answers 200. */
export async function startApp(options: { databaseUrl: string; env?: Record<string, string | undefined> }): Promise<AppServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    AUTH_SECRET: TEST_AUTH_SECRET,
    COOKIE_SECURE: 'false',
    NEXT_TELEMETRY_DISABLED: '1',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    ...options.env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (sink: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      sink.push(...lines.filter((l) => l.length > 0));
    };
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`app exited with ${child.exitCode}\n${stdout.join('\n')}\n${stderr.join('\n')}`);
    }
    const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`app did not become healthy in 60 s\n${stdout.join('\n')}\n${stderr.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    baseUrl,
    process: child,
    stdout,
    stderr,
    logLines: () =>
      stdout.flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as unknown;
          return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
