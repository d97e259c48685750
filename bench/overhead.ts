/**
 * npm run bench:overhead [-- --rounds N --warmup S --duration S --slices K --json] [-- --sentry | --aa] [-- --lever K=V,…]
 *
 * What the operations layer costs: the same build served (1) uninstrumented — OTEL_SDK_DISABLED=true, logs to
 * a sink — and (2) with the full layer exporting traces and logs over OTLP to a local sink. Per round a fresh
 * server of each variant, both pinned to core 0 while the load generator and the OTLP sink run on core 1; each
 * server is warmed up, then GET /api/health and an authenticated POST /api/transfers are loaded with autocannon,
 * each endpoint's time cut into K slices per server taken A B B A A B B A … (the first variant alternating from
 * round to round). The figures that matter are within-round ratios (instrumented / uninstrumented), reported as
 * their median and min–max: this machine's speed drifts by tens of percent within minutes, so absolute numbers
 * across rounds are not comparable, and slices close in time keep the drift out of the ratio.
 *
 * --aa serves the uninstrumented build as both variants (an A/A run): the ratios it reports are this machine's noise
 * floor, what any real difference has to stand out from.
 *
 * --sentry compares the full layer without (baseline) and with SENTRY_DSN (pointing at the same local sink), to
 * show what error tracking costs on requests that raise no error, and at start-up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../test/helpers/app-server';
import { openDatabase } from '../src/server/db/connect';
import { parseDatabaseUrl } from '../src/server/db/database-url';
import { migrateToLatest } from '../src/server/db/migrate';
import { seedDemoUsers } from '../src/server/db/seed';

const ROOT = path.resolve(import.meta.dirname, '..');
const PASSWORD = 'bench-password-123';
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = arg('rounds', 5);
const WARMUP_S = arg('warmup', 15);
const DURATION_S = arg('duration', 10);
const CONNECTIONS = arg('connections', 8);
const SLICES = arg('slices', 4);
const JSON_OUTPUT = process.argv.includes('--json');
const SENTRY = process.argv.includes('--sentry');
const AA = process.argv.includes('--aa');
/** `--lever KEY=VALUE[,KEY=VALUE]`: extra environment for the instrumented variant, to measure one lever. */
const LEVER: Record<string, string> = Object.fromEntries(
  (process.argv[process.argv.indexOf('--lever') + 1] && process.argv.includes('--lever')
    ? process.argv[process.argv.indexOf('--lever') + 1]!.split(',')
    : []
  ).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const log = (line: string) => process.stderr.write(`${line}\n`);

type Variant = 'uninstrumented' | 'instrumented';
/** What each variant is in this run: the layer off and on, (--sentry) the layer without and with Sentry, or (--aa) off twice. */
const LABEL: Record<Variant, string> = AA
  ? { uninstrumented: 'A', instrumented: "A'" }
  : SENTRY
    ? { uninstrumented: 'otel', instrumented: 'otel+sentry' }
    : { uninstrumented: 'uninstrumented', instrumented: 'instrumented' };
interface EndpointResult {
  rps: number;
  p50: number;
  p99: number;
}
interface RunResult {
  health: EndpointResult;
  transfer: EndpointResult;
  coldStartMs: number;
  rssMb: number;
}

const cpus = os.availableParallelism();
const SERVER_CORE = '0';
const LOAD_CORE = cpus > 1 ? '1' : '0';

/** A local OTLP endpoint that accepts and drops everything: the cost measured is the app's, not a backend's. */
async function startOtlpSink(): Promise<{ url: string; received: () => number; close(): void }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      received += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, received: () => received, close: () => server.close() };
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
}

async function startServer(variant: Variant, databaseUrl: string, otlpUrl: string): Promise<Server> {
  const port = await freePort();
  // NODE_ENV is left for `next start` to set (production).
  const { NODE_ENV: _nodeEnv, ...parentEnv } = process.env;
  const env: Record<string, string | undefined> = {
    ...parentEnv,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: SECRET,
    COOKIE_SECURE: 'false',
    NEXT_TELEMETRY_DISABLED: '1',
    LOG_LEVEL: 'info',
    ...((variant === 'uninstrumented' && !SENTRY) || AA
      ? { OTEL_SDK_DISABLED: 'true' }
      : { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_TRACES_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp' }),
  };
  if (variant === 'instrumented' && !AA) Object.assign(env, LEVER);
  // The sink answers Sentry's envelope endpoint too: any path, 200.
  if (SENTRY && variant === 'instrumented') env.SENTRY_DSN = `${otlpUrl.replace('http://', 'http://benchkey@')}/1`;
  const started = performance.now();
  const child = spawn(
    'taskset',
    ['-c', SERVER_CORE, process.execPath, 'node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'],
    { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Both variants write their logs to a pipe that is drained and dropped: the sink.
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${variant} server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (performance.now() - started > 60_000) throw new Error(`${variant} server did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url, child, coldStartMs: performance.now() - started };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((r) => server.child.on('exit', r));
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
function load(url: string, target: 'health' | 'transfer', auth: { cookie: string; csrf: string }, seconds: number) {
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
async function slice(url: string, target: 'health' | 'transfer', auth: { cookie: string; csrf: string }, seconds: number): Promise<Sample> {
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
 * Both servers of a round are up at once (pinned to the same core, the idle one idle); each endpoint's measured
 * time is cut into SLICES slices per server, taken in the order A B B A A B B A …, so a change in the machine's
 * speed during the round falls on both variants alike.
 */
async function measureRound(servers: Record<Variant, Server>, order: Variant[]): Promise<Record<Variant, Omit<RunResult, 'coldStartMs'>>> {
  const auth = { uninstrumented: await sessionCookie(servers.uninstrumented.url), instrumented: await sessionCookie(servers.instrumented.url) };
  // Warm-up: both endpoints on each server, so JIT and caches are hot for what is measured.
  for (const variant of order) {
    await load(servers[variant].url, 'health', auth[variant], Math.ceil(WARMUP_S / 2));
    await load(servers[variant].url, 'transfer', auth[variant], Math.ceil(WARMUP_S / 2));
  }
  const samples: Record<Variant, Record<'health' | 'transfer', Sample[]>> = {
    uninstrumented: { health: [], transfer: [] },
    instrumented: { health: [], transfer: [] },
  };
  const sliceSeconds = DURATION_S / SLICES;
  for (const target of ['health', 'transfer'] as const) {
    for (let i = 0; i < SLICES; i++) {
      for (const variant of i % 2 === 0 ? order : [...order].reverse()) {
        samples[variant][target].push(await slice(servers[variant].url, target, auth[variant], sliceSeconds));
      }
    }
  }
  const result = (variant: Variant) => ({
    health: endpointResult(samples[variant].health),
    transfer: endpointResult(samples[variant].transfer),
    rssMb: rssMb(servers[variant].child.pid),
  });
  return { uninstrumented: result('uninstrumented'), instrumented: result('instrumented') };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, digits = 2) => x.toFixed(digits);
const summary = (xs: number[]) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

async function main() {
  if (!fs.existsSync(path.join(ROOT, '.next', 'BUILD_ID'))) throw new Error('build first: npx next build');
  spawnSync('taskset', ['-cp', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  log(`bench:overhead — ${ROUNDS} rounds, warm-up ${WARMUP_S}s, ${DURATION_S}s per endpoint in ${SLICES} slices, ${CONNECTIONS} connections; server on core ${SERVER_CORE}, load on core ${LOAD_CORE}`);
  const sink = await startOtlpSink();
  // One database per variant: the two servers of a round are up at once, and SQLite is one writer's file.
  const databaseUrls: Record<Variant, string> = { uninstrumented: await prepareDatabase(), instrumented: await prepareDatabase() };
  const rounds: Record<Variant, RunResult>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: Variant[] = round % 2 === 0 ? ['uninstrumented', 'instrumented'] : ['instrumented', 'uninstrumented'];
    const servers: Partial<Record<Variant, Server>> = {};
    try {
      // Started one after the other, so each cold start has the core to itself.
      for (const variant of order) servers[variant] = await startServer(variant, databaseUrls[variant], sink.url);
      const measured = await measureRound(servers as Record<Variant, Server>, order);
      const results = {} as Record<Variant, RunResult>;
      for (const variant of order) {
        const r = (results[variant] = { ...measured[variant], coldStartMs: servers[variant]!.coldStartMs });
        log(
          `round ${round + 1} ${LABEL[variant].padEnd(14)} health ${fmt(r.health.rps, 0)} req/s p50 ${fmt(r.health.p50, 1)} ms p99 ${fmt(r.health.p99, 1)} ms | ` +
            `transfer ${fmt(r.transfer.rps, 0)} req/s p50 ${fmt(r.transfer.p50, 1)} ms p99 ${fmt(r.transfer.p99, 1)} ms | RSS ${r.rssMb} MB | cold start ${fmt(r.coldStartMs, 0)} ms`,
        );
      }
      rounds.push(results);
    } finally {
      for (const server of Object.values(servers)) await stopServer(server);
    }
  }
  sink.close();
  if (sink.received() === 0 && Object.keys(LEVER).length === 0 && !AA) throw new Error('the instrumented servers exported nothing: the measurement is not of the layer');

  const ratio = (pick: (r: RunResult) => number) => summary(rounds.map((r) => pick(r.instrumented) / pick(r.uninstrumented)));
  const report = {
    health: { rpsRatio: ratio((r) => r.health.rps), p99Ratio: ratio((r) => r.health.p99) },
    transfer: { rpsRatio: ratio((r) => r.transfer.rps), p99Ratio: ratio((r) => r.transfer.p99) },
    coldStartRatio: ratio((r) => r.coldStartMs),
    rssRatio: ratio((r) => r.rssMb),
  };
  const line = (name: string, s: { median: number; min: number; max: number }, target: string) =>
    log(`${name.padEnd(22)} median ${fmt(s.median)}  (min ${fmt(s.min)} – max ${fmt(s.max)})  target ${target}`);
  log(`\nwithin-round ratios, ${LABEL.instrumented} / ${LABEL.uninstrumented}:`);
  line('health req/s', report.health.rpsRatio, '>= 0.90');
  line('health p99', report.health.p99Ratio, '<= 1.15');
  line('transfer req/s', report.transfer.rpsRatio, '>= 0.90');
  line('transfer p99', report.transfer.p99Ratio, '<= 1.15');
  line('cold start', report.coldStartRatio, '<= 1.20');
  line('RSS', report.rssRatio, '(report)');
  log(`OTLP export requests received by the sink: ${sink.received()}`);
  if (JSON_OUTPUT) {
    process.stdout.write(
      `${JSON.stringify({
        health: { rpsRatio: report.health.rpsRatio.median, p99Ratio: report.health.p99Ratio.median },
        transfer: { rpsRatio: report.transfer.rpsRatio.median, p99Ratio: report.transfer.p99Ratio.median },
        coldStartRatio: report.coldStartRatio.median,
      })}\n`,
    );
  }
}

main().catch((error: unknown) => {
  log(`bench:overhead failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
