import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET, freePort } from '../helpers/app-server';

const root = path.resolve(import.meta.dirname, '../..');

/** This machine's first non-loopback IPv4 address, if it has one (CI runners and containers do). */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** 'answers', or the connection error's code (ECONNREFUSED when nothing listens on that address). */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/api/health', timeout: 5_000 }, (res) => {
      res.resume();
      resolve('answers');
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const started: ChildProcess[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Its own process group: npm, the shell and next go together.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
});

/** Runs one of the README's start commands on a fresh SQLite database; resolves once 127.0.0.1 answers. */
async function startCommand(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ port: number; pgid: number; output: () => string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-listen-'));
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key === 'NODE_ENV' || key.startsWith('VITEST') || key === 'HOST') delete childEnv[key];
  Object.assign(childEnv, {
    DATABASE_URL: `file:${path.join(dir, 'drop.db')}`,
    AUTH_SECRET: TEST_AUTH_SECRET,
    AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    PORT: String(port),
    NEXT_TELEMETRY_DISABLED: '1',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    ...env,
  });
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  const child = spawn(args[0]!, args.slice(1), {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Next types NODE_ENV as always present; `next start` sets it itself (production), so it is left out here.
    env: childEnv as NodeJS.ProcessEnv,
  });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const deadline = Date.now() + 90_000;
  while ((await probe('127.0.0.1', port)) !== 'answers') {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not answer on 127.0.0.1:${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { port, pgid: child.pid!, output: () => output };
}

/** The environment of the process in the group whose command line matches (Linux /proc). */
function environmentOf(pgid: number, command: RegExp): Record<string, string> | undefined {
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (group !== pgid || !command.test(cmdline)) continue;
      const pairs = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
    } catch {
      // The process ended while being read.
    }
  }
  return undefined;
}

describe('where the start commands listen', () => {
  it('`npm start` listens on 127.0.0.1 only by default (not ::1, not the machine address)', async () => {
    const { port } = await startCommand(['npm', 'run', 'start']);
    expect(await probe('::1', port)).toBe('ECONNREFUSED');
    if (outsideAddress) expect(await probe(outsideAddress, port)).toBe('ECONNREFUSED');
  }, 120_000);

  it('`HOST=0.0.0.0 npm start` listens on every IPv4 address', async () => {
    const { port } = await startCommand(['npm', 'run', 'start'], { HOST: '0.0.0.0' });
    if (outsideAddress) expect(await probe(outsideAddress, port)).toBe('answers');
    expect(await probe('127.0.0.1', port)).toBe('answers');
  }, 120_000);

  it('`npm run demo` listens on 127.0.0.1 only, says so, and opts out of Next telemetry itself', async () => {
    // The demo rebuilds a stale build, which would pull .next from under the other tests: refuse instead.
    const built = fs.statSync(path.join(root, '.next', 'BUILD_ID')).mtimeMs;
    const newest = ['src', 'otel', 'next.config.ts', 'package.json'].reduce((max, entry) => {
      const full = path.join(root, entry);
      if (!fs.statSync(full).isDirectory()) return Math.max(max, fs.statSync(full).mtimeMs);
      const files = fs.readdirSync(full, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return Math.max(max, ...files.map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs));
    }, 0);
    expect(newest, 'the build is older than the sources: run `next build` first (npm test does)').toBeLessThanOrEqual(built);
    // Not set by this test: the demo must set it for the server it starts.
    const { port, pgid, output } = await startCommand(['npm', 'run', 'demo'], { NEXT_TELEMETRY_DISABLED: undefined });
    expect(environmentOf(pgid, /next\/dist\/bin\/next start|^next-server/)?.NEXT_TELEMETRY_DISABLED).toBe('1');
    expect(await probe('::1', port)).toBe('ECONNREFUSED');
    if (outsideAddress) expect(await probe(outsideAddress, port)).toBe('ECONNREFUSED');
    expect(output()).toContain(`Drop is starting on http://127.0.0.1:${port}`);
  }, 120_000);
});
