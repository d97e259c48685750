/**
 * npm run bench:overhead [-- --rounds N --warmup S --duration S --slices K --connections C --json]
 *                        [-- --variants a,b,… | --sentry | --aa | --lever K=V,…] [-- --beside LABEL=DIR[:NODE]]
 *
 * What the operations layer costs, against what a user would pick instead, all in the same interleaved rounds and
 * the same `next build`: uninstrumented (OTEL_SDK_DISABLED=true), Drop's full layer, the floor (Drop's SDK started,
 * nothing recorded, logs not exported), the peers @vercel/otel and NodeSDK + auto-instrumentations-node (their
 * set-ups in bench/peers/, started with `node --import`), and a second uninstrumented server whose ratio to the first
 * is the A/A noise floor, printed beside. All export OTLP/HTTP protobuf to one local sink that accepts everything.
 *
 * Per round a fresh server of each variant, all pinned to core 0 while the load generator and the sink run on
 * core 1; each server is warmed up, then GET /api/health and an authenticated POST /api/transfers are loaded with
 * autocannon, each endpoint's time cut into K slices per server taken A B C … C B A A B C … (the first variant
 * rotating from round to round). The figures that matter are within-round ratios (variant / uninstrumented, and
 * full / floor, full / each peer), reported as their median and min–max: this machine's speed drifts by tens of
 * percent within minutes, so absolute numbers across rounds are not comparable, and slices close in time keep the
 * drift out of the ratio.
 *
 * --beside serves every variant a second time from another checkout DIR (its own `npm ci` and `next build`: another
 * commit, or the same commit under another Node, NODE), named `<variant>@LABEL`, in the same interleaved rounds; the
 * report adds each such server against the same variant of this checkout (`full@node24/full`).
 *
 * --aa serves only the A/A pair; --sentry compares the full layer without and with SENTRY_DSN (at the same sink);
 * --lever adds environment to a copy of the full layer ("lever"), served beside the full layer;
 * --variants picks any list of uninstrumented, uninstrumented-aa, full, floor, vercel-otel, node-sdk-auto,
 * lever, sentry (the first is the baseline).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { benchArgs } from './args';
import autocannon from 'autocannon';
import { freePort } from '../scripts/free-port.mjs';
import { TEST_AUDIT_SIGNING_KEY } from '../test/helpers/app-server';
import { openDatabase } from '../src/server/db/connect';
import { parseDatabaseUrl } from '../src/server/db/database-url';
import { migrateToLatest } from '../src/server/db/migrate';
import { seedDemoUsers } from '../src/server/db/seed';
import {
  comparedPairs,
  formatSummary,
  formatTarget,
  ratios,
  targets,
  type EndpointResult,
  type Ratios,
  type Round,
  type RunResult,
} from './overhead-report';
import { freezeTree, thawTree } from './process-freeze';
import { chooseVariants, parseBeside, parseLever, parseServed, UsageError, variants } from './overhead-variants';

const ROOT = path.resolve(import.meta.dirname, '..');
const PASSWORD = 'bench-password-123';
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

const flags = benchArgs('bench:overhead', {
  rounds: { type: 'number', default: 7, min: 1, description: 'interleaved rounds (servers restarted each round)' },
  warmup: { type: 'number', default: 10, min: 0, description: 'seconds of warm-up per server' },
  duration: { type: 'number', default: 8, min: 1, description: 'seconds of load per endpoint' },
  connections: { type: 'number', default: 8, min: 1, description: 'concurrent connections' },
  slices: { type: 'number', default: 4, min: 1, description: 'slices each measurement is split into' },
  json: { type: 'boolean', description: 'print every figure and ratio as one JSON line too' },
  sentry: { type: 'boolean', description: 'serve only full and sentry (the full layer with SENTRY_DSN), instead of the default set' },
  aa: { type: 'boolean', description: 'serve only the A/A pair (uninstrumented twice), instead of the default set' },
  lever: {
    type: 'string',
    default: '',
    description:
      'KEY=VALUE[,KEY=VALUE]: serve uninstrumented, full, lever (full + that environment) and the A/A server, instead of the default set',
  },
  variants: {
    type: 'string',
    default: '',
    description:
      'comma-separated variants to serve, the first the baseline (default: uninstrumented, full, floor, vercel-otel, node-sdk-auto, uninstrumented-aa)',
  },
  beside: {
    type: 'string',
    default: '',
    description:
      'LABEL=DIR[:NODE]: serve every variant also from the checkout DIR (npm ci and next build done there, under NODE: default this node), as <variant>@LABEL',
  },
});
const ROUNDS = flags.rounds;
const WARMUP_S = flags.warmup;
const DURATION_S = flags.duration;
const CONNECTIONS = flags.connections;
const SLICES = flags.slices;
/** A bad --lever or --variants value: refused like the argument parser refuses a bad flag (exit 2, no stack). */
function usage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench:overhead: ${error.message} (--help lists the options)\n`);
    process.exit(2);
  }
}
/** `--lever KEY=VALUE[,KEY=VALUE]`: extra environment for the "lever" variant, to measure one lever. */
const LEVER = usage(() => parseLever(flags.lever));
const VARIANTS = variants(LEVER);
const VARIANTS_SERVED = usage(() =>
  chooseVariants({ sentry: flags.sentry, aa: flags.aa, lever: flags.lever !== '', only: flags.variants || undefined }),
);
const BESIDE = usage(() => parseBeside(flags.beside, process.execPath));
/** Every server of a round, by served name: this checkout's variants, then the --beside checkout's. */
const SERVED: string[] = [...VARIANTS_SERVED, ...(BESIDE ? VARIANTS_SERVED.map((v) => `${v}@${BESIDE.label}`) : [])];
/** A pause after each slice, warm-up and login, the server running without load, before it is stopped. */
const SETTLE_MS = 250;
const log = (line: string) => process.stderr.write(`${line}\n`);

type Target = 'health' | 'transfer';

const cpus = os.availableParallelism();
const SERVER_CORE = '0';
const LOAD_CORE = cpus > 1 ? '1' : '0';

interface Sink {
  url: string;
  /** Export requests and bytes received, by `<variant> <signal>` (the path the exporter posted to). */
  received: Map<string, { requests: number; bytes: number }>;
  close(): void;
}

/** A local OTLP endpoint that accepts and drops everything: the cost measured is the app's, not a backend's. */
async function startOtlpSink(): Promise<Sink> {
  const received = new Map<string, { requests: number; bytes: number }>();
  const server = http.createServer((req, res) => {
    // /<served>/v1/<signal>, or Sentry's /api/1/envelope/
    const [, served = '?', , signal = 'other'] = (req.url ?? '').split('?')[0]!.split('/');
    const key = `${decodeURIComponent(served)} ${signal}`;
    const entry = received.get(key) ?? { requests: 0, bytes: 0 };
    received.set(key, entry);
    req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
    req.on('end', () => {
      entry.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, received, close: () => server.close() };
}

async function prepareDatabase(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-bench-'));
  const url = `file:${path.join(dir, 'bench.db')}`;
  const handle = openDatabase(parseDatabaseUrl(url));
  await migrateToLatest(handle.db, handle.dialect);
  await seedDemoUsers(handle.db, PASSWORD);
  await handle.close();
  return url;
}

interface Server {
  url: string;
  child: ChildProcess;
  coldStartMs: number;
  /** The end of what the server wrote to stderr: why it would not start, or why it went away. */
  lastError: () => string;
}

async function startServer(served: string, databaseUrl: string, sinkUrl: string): Promise<Server> {
  const { variant, label } = parseServed(served);
  const root = label ? BESIDE!.root : ROOT;
  const node = label ? BESIDE!.node : process.execPath;
  const port = await freePort();
  // NODE_ENV is left for `next start` to set (production).
  const { NODE_ENV: _nodeEnv, ...parentEnv } = process.env;
  const env: Record<string, string | undefined> = {
    ...parentEnv,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: SECRET,
    AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    COOKIE_SECURE: 'false',
    NEXT_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: 'info',
    ...VARIANTS[variant].env({ sinkUrl, served, root }),
  };
  const started = performance.now();
  const child = spawn(
    'taskset',
    ['-c', SERVER_CORE, node, 'node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'],
    { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Every variant writes its log lines to a pipe that is drained and dropped: the sink. The last stderr is kept
  // to say why a server would not start.
  child.stdout?.resume();
  let lastError = '';
  child.stderr?.on('data', (chunk: Buffer) => (lastError = (lastError + chunk.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${served} server exited with ${child.exitCode}: ${lastError}`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() - started > 60_000) throw new Error(`${served} server did not start: ${lastError}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url, child, coldStartMs: performance.now() - started, lastError: () => lastError };
}

const freeze = (server: Server) => freezeTree(server.child.pid);
const thaw = (server: Server) => thawTree(server.child.pid);

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.on('exit', r));
  // A stopped process would keep SIGTERM pending: continue it first.
  thaw(server);
  server.child.kill('SIGTERM');
  await exited;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  // taskset execs node in place, so the pid is the server's.
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function sessionCookie(url: string): Promise<{ cookie: string; csrf: string }> {
  const csrfRes = await fetch(`${url}/api/auth/csrf`);
  const csrfCookie = csrfRes.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken, cookie: csrfCookie },
    body: JSON.stringify({ email: 'alice@drop.test', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const session = login.headers.getSetCookie()[0]!.split(';')[0]!;
  return { cookie: `${csrfCookie}; ${session}`, csrf: csrfToken };
}

let keyCounter = 0;
function load(url: string, target: Target, auth: { cookie: string; csrf: string }, seconds: number) {
  const options: autocannon.Options =
    target === 'health'
      ? { url: `${url}/api/health`, connections: CONNECTIONS, duration: seconds }
      : {
          url,
          connections: CONNECTIONS,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              path: '/api/transfers',
              headers: { 'content-type': 'application/json', cookie: auth.cookie, 'x-csrf-token': auth.csrf },
              body: JSON.stringify({ toEmail: 'bob@drop.test', amountCents: 1 }),
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, 'idempotency-key': `bench-${process.pid}-${++keyCounter}` },
              }),
            },
          ],
        };
  return autocannon(options);
}

interface Sample {
  requests: number;
  seconds: number;
  latenciesMs: number[];
}

/** One slice of load on one server: completed requests, elapsed time, and every response's latency. */
async function slice(url: string, target: Target, auth: { cookie: string; csrf: string }, seconds: number): Promise<Sample> {
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  // Without a callback autocannon returns its event emitter, made thenable (its types only declare the promise).
  const run = load(url, target, auth, seconds) as Promise<autocannon.Result> & EventEmitter;
  run.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    latenciesMs.push(responseTime);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  const r = await run;
  if (r.non2xx > 0 || r.errors > 0) {
    throw new Error(`${target}: ${r.non2xx} non-2xx (${JSON.stringify(Object.fromEntries(statuses))}), ${r.errors} errors`);
  }
  return { requests: r.requests.total, seconds: r.duration, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function endpointResult(samples: Sample[]): EndpointResult {
  const latencies = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const seconds = samples.reduce((n, s) => n + s.seconds, 0);
  return { rps: requests / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Runs `work` with only this server running: every other server of the round is stopped (SIGSTOP), so none of
 * them spends the slice flushing its leftover batches (span delay 5 s, logs 1 s) on the shared core; their
 * exports run in their own time once continued.
 */
async function alone<T>(servers: Map<string, Server>, variant: string, work: (server: Server) => Promise<T>): Promise<T> {
  const server = servers.get(variant)!;
  for (const other of servers.values()) if (other !== server) freeze(other);
  thaw(server);
  try {
    return await work(server);
  } catch (error) {
    const state =
      server.child.exitCode !== null || server.child.signalCode !== null
        ? `exited (${server.child.exitCode ?? server.child.signalCode})`
        : 'running';
    throw new Error(`${variant} (server ${state}): ${error instanceof Error ? error.message : String(error)}\n${server.lastError()}`);
  } finally {
    // A stopped server's timers keep counting wall time: an export stopped mid-way would time out the moment the
    // server is continued, and its batch would be lost. The settle pause lets what is in flight finish first.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    freeze(server);
  }
}

/**
 * All servers of a round are up at once (pinned to the same core), only the one measured running, the others
 * stopped; each endpoint's measured time is cut into SLICES slices per server, taken in the order A B C … C B A
 * A B C …, so a change in the machine's speed during the round falls on every variant alike.
 */
async function measureRound(servers: Map<string, Server>, order: string[]): Promise<Map<string, Omit<RunResult, 'coldStartMs'>>> {
  const auth = new Map<string, { cookie: string; csrf: string }>();
  for (const variant of order) auth.set(variant, await alone(servers, variant, (server) => sessionCookie(server.url)));
  // Warm-up: both endpoints on each server, so JIT and caches are hot for what is measured.
  for (const variant of order) {
    await alone(servers, variant, async (server) => {
      await load(server.url, 'health', auth.get(variant)!, Math.ceil(WARMUP_S / 2));
      await load(server.url, 'transfer', auth.get(variant)!, Math.ceil(WARMUP_S / 2));
    });
  }
  const samples = new Map(order.map((variant) => [variant, { health: [] as Sample[], transfer: [] as Sample[] }]));
  const sliceSeconds = DURATION_S / SLICES;
  for (const target of ['health', 'transfer'] as const) {
    for (let i = 0; i < SLICES; i++) {
      for (const variant of i % 2 === 0 ? order : [...order].reverse()) {
        const sample = await alone(servers, variant, (server) => slice(server.url, target, auth.get(variant)!, sliceSeconds));
        samples.get(variant)![target].push(sample);
      }
    }
  }
  // The round's servers run again until they are shut down, so their last exports reach the sink.
  for (const server of servers.values()) thaw(server);
  return new Map(
    order.map((variant) => [
      variant,
      {
        health: endpointResult(samples.get(variant)!.health),
        transfer: endpointResult(samples.get(variant)!.transfer),
        rssMb: rssMb(servers.get(variant)!.child.pid),
      },
    ]),
  );
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

async function main() {
  for (const root of [ROOT, ...(BESIDE ? [BESIDE.root] : [])]) {
    if (!fs.existsSync(path.join(root, '.next', 'BUILD_ID'))) throw new Error(`build first: npx next build (in ${root})`);
  }
  if (BESIDE && !fs.existsSync(BESIDE.node)) throw new Error(`--beside: no node at ${BESIDE.node}`);
  spawnSync('taskset', ['-cp', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  log(
    `bench:overhead — ${ROUNDS} rounds of ${SERVED.join(', ')}; warm-up ${WARMUP_S}s, ${DURATION_S}s per endpoint in ${SLICES} slices, ` +
      `${CONNECTIONS} connections; servers on core ${SERVER_CORE}, load on core ${LOAD_CORE}; load average ${os
        .loadavg()
        .map((l) => fmt(l, 1))
        .join(' ')}`,
  );
  for (const name of VARIANTS_SERVED) log(`  ${name.padEnd(18)} ${VARIANTS[name].records}`);
  if (BESIDE) {
    const version = spawnSync(BESIDE.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    log(`  <variant>@${BESIDE.label}: the same, served from ${BESIDE.root} on node ${version} (this checkout: ${process.version})`);
  }
  const sink = await startOtlpSink();
  // One database per variant: the servers of a round are up at once, and SQLite is one writer's file.
  const databaseUrls = new Map<string, string>();
  for (const name of SERVED) databaseUrls.set(name, await prepareDatabase());
  const rounds: Round[] = [];
  const roundLoad: number[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    roundLoad.push(os.loadavg());
    const order = SERVED.map((_, i) => SERVED[(i + round) % SERVED.length]!);
    const servers = new Map<string, Server>();
    try {
      // Started one after the other, so each cold start has the core to itself.
      for (const variant of order) {
        const server = await startServer(variant, databaseUrls.get(variant)!, sink.url);
        servers.set(variant, server);
        freeze(server);
      }
      log(`round ${round + 1}: load average ${roundLoad[round]!.map((l) => fmt(l, 1)).join(' ')} at the start`);
      const measured = await measureRound(servers, order);
      const results = new Map<string, RunResult>();
      for (const variant of SERVED) {
        const r = { ...measured.get(variant)!, coldStartMs: servers.get(variant)!.coldStartMs };
        results.set(variant, r);
        log(
          `round ${round + 1} ${variant.padEnd(24)} health ${fmt(r.health.rps, 0)} req/s p50 ${fmt(r.health.p50, 1)} ms p99 ${fmt(r.health.p99, 1)} ms | ` +
            `transfer ${fmt(r.transfer.rps, 0)} req/s p50 ${fmt(r.transfer.p50, 1)} ms p99 ${fmt(r.transfer.p99, 1)} ms | RSS ${r.rssMb} MB | cold start ${fmt(r.coldStartMs, 0)} ms`,
        );
      }
      rounds.push(results);
    } finally {
      for (const server of servers.values()) await stopServer(server);
    }
  }
  sink.close();
  for (const name of SERVED) {
    const { variant } = parseServed(name);
    if (variant.startsWith('uninstrumented') || variant === 'floor') continue;
    if (![...sink.received.keys()].some((key) => key.startsWith(`${name} `)))
      throw new Error(`${name} exported nothing: the measurement is not of its telemetry`);
  }

  const report = new Map<string, Ratios>();
  for (const [of, to] of comparedPairs(SERVED)) report.set(`${of}/${to}`, ratios(rounds, of, to));
  const line = (name: string, s: Parameters<typeof formatSummary>[0]) => `${name} ${formatSummary(s)}`;
  log(`\nwithin-round ratios, median (min–max) of ${ROUNDS} rounds:`);
  for (const [pair, r] of report) {
    log(
      `${pair.padEnd(44)} ${line('health req/s', r.health.rps)}  ${line('p99', r.health.p99)} | ${line('transfer req/s', r.transfer.rps)}  ` +
        `${line('p99', r.transfer.p99)} | ${line('cold start', r.coldStart)}  ${line('RSS', r.rss)}`,
    );
  }
  const checked = targets(report);
  if (checked.length) {
    log('\ntargets, on the direct within-round ratio: median (min–max), rounds on the right side, the A/A ratio beside, verdict');
    log(
      "(met/missed: the median beyond the threshold by more than the A/A noise — the larger of half its spread and its median's " +
        'distance from 1 — and enough rounds on that side for a sign test at 5 %; else inconclusive)',
    );
  }
  for (const t of checked) log(`  ${formatTarget(t)}`);
  log('\nOTLP export requests (bytes) received by the sink:');
  for (const [key, { requests, bytes }] of [...sink.received].sort())
    log(`  ${key.padEnd(26)} ${requests} (${Math.round(bytes / 1024)} KiB)`);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          rounds: ROUNDS,
          variants: SERVED,
          beside: BESIDE && { ...BESIDE, version: spawnSync(BESIDE.node, ['--version'], { encoding: 'utf8' }).stdout.trim() },
          node: process.version,
          loadAverage: os.loadavg(),
          perRound: rounds.map((round, i) => ({ loadAverage: roundLoad[i], variants: Object.fromEntries(round) })),
          ratios: Object.fromEntries(report),
          targets: checked,
          exports: Object.fromEntries(sink.received),
        },
        (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value),
      )}\n`,
    );
  }
}

main().catch((error: unknown) => {
  log(`bench:overhead failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
