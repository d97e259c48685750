import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { auditMacKeys } from '@audit';
import { freePort } from '../../scripts/free-port.mjs';
import { seedDemoUsers } from '../../src/server/db/seed';
import { openTestDatabase } from './databases';

const root = path.resolve(import.meta.dirname, '../..');

/** Signs session JWTs and CSRF tokens of every test server; tests use it to mint tokens of their own. */
export const TEST_AUTH_SECRET = 'drop-test-auth-secret-0123456789-abcdefghijklmnop';
export const DEMO_PASSWORD = 'drop-demo-password';
/** Signs the audit checkpoints of every test server (an Ed25519 PKCS#8 PEM key made for the tests). */
export const TEST_AUDIT_SIGNING_KEY =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAOZ27mvAYPdwXflzzi6q7jBXBthiyAHGblkK8cR5qcC\n-----END PRIVATE KEY-----\n';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface AppServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Every line the server printed so far, in order. */
  logs: LogLine[];
  /** The JSON log records the server wrote to stdout so far, parsed. */
  logRecords(): Record<string, unknown>[];
  /** Resolves with the first line (already printed or still to come) that matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<LogLine>;
  /** Sends the signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and returns at once: SIGSTOP freezes the server (its timers too), SIGCONT thaws it. */
  signal(signal: NodeJS.Signals): void;
}

export interface StartAppOptions {
  databaseUrl: string;
  env?: Record<string, string | undefined>;
  /** Create the demo users before starting (default true). */
  seed?: boolean;
  /** 'healthy' waits for /api/health 200; 'listening' for any HTTP answer from it (for broken databases). */
  waitFor?: 'healthy' | 'listening';
  timeoutMs?: number;
}

export { freePort };

async function seed(databaseUrl: string): Promise<void> {
  const handle = await openTestDatabase({ url: databaseUrl });
  try {
    await seedDemoUsers(handle.db, DEMO_PASSWORD);
  } finally {
    await handle.close();
  }
}

/** The parent's environment without what belongs to the test runner (NODE_ENV=test, VITEST_*). */
function serverEnv(databaseUrl: string, extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'DATABASE_URL_TEST') continue;
    env[key] = value;
  }
  Object.assign(env, {
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: TEST_AUTH_SECRET,
    AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    COOKIE_SECURE: 'false',
    // The tests play the one trusted proxy: the X-Forwarded-For they send is the client address the app sees.
    // Without a trusted proxy the app uses the TCP peer's address and ignores the header (test/api/spraying.test.ts).
    TRUSTED_PROXY_COUNT: '1',
    // Suites sign in many times from 127.0.0.1; the per-address budgets are tested at their defaults on their own
    // (test/api/spraying.test.ts, which removes these two).
    LOGIN_FAILURES_PER_ADDRESS: '100000',
    PASSWORD_HASHES_PER_ADDRESS: '100000',
    NEXT_TELEMETRY_DISABLED: '1',
    // No exports unless a test points OTLP somewhere: an unreachable default endpoint would only add noise.
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    // The test runner on 127.0.0.1 is the trusted caller (a proxy, an internal service): the traceparent a test
    // sends is honoured. test/otel/trusted-traceparent.test.ts runs servers that trust nobody, or a secret.
    TRACE_CONTEXT_TRUSTED_ADDRESSES: '127.0.0.1',
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * Starts the built app (`next start`, from the `.next` build `npm test` makes) on a free port of 127.0.0.1,
 * against the given database, and resolves once /api/health answers.
 */
export async function startApp(options: StartAppOptions): Promise<AppServer> {
  const { databaseUrl, env = {}, waitFor = 'healthy', timeoutMs = 60_000 } = options;
  if (options.seed !== false) await seed(databaseUrl);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    // Next types NODE_ENV as always present; the server sets it itself (production), so it is left out here.
    env: serverEnv(databaseUrl, env) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const logs: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    readline.createInterface({ input: child[stream]! }).on('line', (line) => {
      const entry = { stream, line };
      logs.push(entry);
      for (const watcher of watchers) watcher(entry);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const output = () => logs.map((l) => `[${l.stream}] ${l.line}`).join('\n') || '(no output)';
  try {
    await waitUntilUp(url, child, () => hasExited, waitFor, timeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`next start on port ${port} did not come up: ${(error as Error).message}\n--- server output ---\n${output()}`);
  }

  return {
    url,
    port,
    logs,
    logRecords: () =>
      logs.flatMap(({ stream, line }) => {
        if (stream !== 'stdout' || !line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    waitForLog(pattern, waitMs = 10_000) {
      const seen = logs.find((l) => pattern.test(l.line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`no log line matched ${pattern} within ${waitMs} ms\n--- server output ---\n${output()}`));
        }, waitMs);
        const watcher = (line: LogLine) => {
          if (!pattern.test(line.line)) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(line);
        };
        watchers.add(watcher);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (!hasExited) child.kill('SIGCONT');
      if (!hasExited) child.kill(signal);
      return exited;
    },
    signal(signal) {
      if (!hasExited) child.kill(signal);
    },
  };
}

async function waitUntilUp(
  url: string,
  child: ChildProcess,
  hasExited: () => boolean,
  waitFor: 'healthy' | 'listening',
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`the server exited (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (waitFor === 'listening' || res.status === 200) return;
      last = `health answered ${res.status}: ${body}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms (last: ${last})`);
}

/** The keys that authenticate audit entries in the test servers: what the app derives from TEST_AUTH_SECRET (no AUDIT_MAC_KEY). */
export const TEST_AUDIT_MAC_KEYS = auditMacKeys(new TextEncoder().encode(TEST_AUTH_SECRET));

/** The master key of the test servers' audit keyring: what the app derives from TEST_AUTH_SECRET (no AUDIT_ENCRYPTION_KEY). */
export const TEST_AUDIT_KEYRING = {
  masterKey: Buffer.from(
    crypto.hkdfSync('sha256', new TextEncoder().encode(TEST_AUTH_SECRET), Buffer.alloc(0), 'drop:audit-master-key', 32),
  ),
};
