/**
 * npm run bench:alerts [-- --rounds N --warmup S --duration S --connections N --no-gzip --cpu-prof --json --compare
 *                         --database postgres://…]
 *
 * How many OTLP log records per second the alert processor ingests. The processor runs as in production —
 * the esbuild bundle (alert-processor/build.ts), one process, pinned to core 0 with taskset — while this
 * process, on core 1, posts OTLP/HTTP protobuf export requests of 512 records each, gzip-compressed like the
 * collector sends them, over keep-alive connections. The records are realistic app logs encoded with
 * protobufjs from alert-processor/src/intake/otlp/otlp.proto: access lines (info), slow-query warnings and ~2 % failing
 * requests (error access logs with their own trace ids), with the resource and attributes the app's SDK sends,
 * spread over eight services. Alerts churn all along: the failing requests belong to two of the services at a
 * time, the pair changing every PHASE_MS, so with a 2 s window and a 4 s cooldown spikes keep opening (critical)
 * and ending (resolution) across the services, and each phase's batches carry an app.started of one of them
 * (a lifecycle alert per cooldown). A local fake Slack webhook receives the alerts; the run fails unless
 * criticals and resolutions reached it, so what is measured is the whole path. Target: >= 20,000 records/s.
 * Every feature is on: the outbox, the token bucket, the heartbeat, grouping (ALERT_GROUP_SECONDS), the silences
 * API with one silence in place (drop-batch's spikes) and a mute window (the rest of drop-batch's alerts): one of
 * the churning services, so its alerts are muted at delivery. --compare also starts a processor
 * with grouping, silences and mute windows off and alternates the two round by round, printing the ratio per round.
 * --database URL runs the processor with features on as a replica on that PostgreSQL database (ALERTS_DATABASE_URL:
 * shared outbox, lease, shared silences).
 * Figures: docs/PERFORMANCE.md, "Alert processor". --cpu-prof writes the processor's V8 CPU profile into
 * bench-results/ (open it in Chrome DevTools or speedscope).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildAlertProcessor } from '@alerts';
import { benchArgs } from './args';
import { freePort } from '../scripts/free-port.mjs';
import { startFakeSlack } from '../test/helpers/fake-slack';
import { encodeLogs, randomHexId, type LogInput } from '../test/helpers/otlp-encode';

const args = benchArgs('bench:alerts', {
  rounds: { type: 'number', default: 3, min: 1, description: 'measured rounds' },
  warmup: { type: 'number', default: 5, description: 'warm-up seconds per processor' },
  duration: { type: 'number', default: 10, min: 1, description: 'seconds per round and processor' },
  connections: { type: 'number', default: 4, min: 1, description: 'keep-alive connections posting' },
  'no-gzip': { type: 'boolean', description: 'send uncompressed protobuf' },
  json: { type: 'boolean', description: 'print {"recordsPerSec":N} as the last line' },
  'cpu-prof': { type: 'boolean', description: "write the processor's V8 CPU profile into bench-results/" },
  compare: { type: 'boolean', description: 'alternate with a processor without grouping, silences and mute windows' },
  database: { type: 'string', default: '', description: 'postgres:// URL: run the processor with the features as a replica on it' },
});
const ROUNDS = args.rounds;
const WARMUP_S = args.warmup;
const DURATION_S = args.duration;
const CONNECTIONS = args.connections;
const GZIP = !args['no-gzip'];
const JSON_OUTPUT = args.json;
const CPU_PROFILE = args['cpu-prof'];
const COMPARE = args.compare;
const DATABASE_URL = args.database || undefined;
const API_TOKEN = 'bench-alerts-api-token-0123456789';
const BATCH = 512;
const DISTINCT_BATCHES = 32;
/** The intake's shared secret (ALERTS_INTAKE_TOKEN), sent as the collector sends it: every request is checked. */
const INTAKE_TOKEN = 'bench-intake-token-0123456789abcdef';
const SERVICES = ['drop', 'drop-worker', 'drop-cron', 'drop-mailer', 'drop-batch', 'drop-ledger', 'drop-payments', 'drop-notify'];
/** How long one pair of services fails: longer than the window, so each spike is seen and then ends. */
const PHASE_MS = 4_000;
const PHASES = SERVICES.length / 2;
const benchStart = performance.now();
const phaseNow = () => Math.floor((performance.now() - benchStart) / PHASE_MS) % PHASES;
const TARGET = 20_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

const cpus = os.availableParallelism();
const PROCESSOR_CORE = '0';
const LOAD_CORE = cpus > 1 ? '1' : '0';

const ROUTES = [
  ['GET', '/api/account', '/api/account'],
  ['GET', '/api/transfers', '/api/transfers'],
  ['POST', '/api/transfers', '/api/transfers'],
  ['POST', '/api/transfers/5f0c4a2e-1b7d-4c39-9e61-0d3a8b2f7c10/confirm', '/api/transfers/[id]/confirm'],
  ['GET', '/api/health', '/api/health'],
  ['POST', '/api/qr', '/api/qr'],
] as const;

/**
 * One batch of realistic records: ~95 % access lines, ~3 % slow-query warnings, ~2 % failing requests (of the
 * phase's two services), and one app.started (of the phase's first service).
 */
function batch(phase: number): LogInput[] {
  const failing = SERVICES.slice(phase * 2, phase * 2 + 2);
  const records: LogInput[] = [{ service: failing[0]!, severityNumber: 9, body: 'app.started', eventName: 'app.started' }];
  for (let i = 1; i < BATCH; i++) {
    const [method, urlPath, route] = ROUTES[Math.floor(Math.random() * ROUTES.length)]!;
    const traceId = randomHexId(16);
    const spanId = randomHexId(8);
    const roll = Math.random();
    if (roll < 0.02) {
      records.push({
        service: failing[i % 2]!,
        severityNumber: 17,
        severityText: 'error',
        body: `${method} ${route} 500`,
        traceId,
        spanId,
        attributes: {
          'event.name': 'http.access',
          'http.request.method': method,
          'url.path': urlPath,
          'http.route': route,
          'http.response.status_code': 500,
          duration_ms: 12.4,
          'enduser.id': '7d1c3b0e-9f5a-4a8e-b2c4-6e0f1a9d3b27',
          'err.type': 'DatabaseError',
          'err.message': 'connect ECONNREFUSED 10.0.3.7:5432',
        },
      });
    } else if (roll < 0.05) {
      records.push({
        service: SERVICES[i % SERVICES.length]!,
        severityNumber: 13,
        severityText: 'warn',
        body: 'db.slow_query: SELECT transfers 412 ms',
        traceId,
        spanId,
        attributes: {
          'event.name': 'db.slow_query',
          'db.system.name': 'postgresql',
          'db.operation.name': 'SELECT',
          'db.collection.name': 'transfers',
          duration_ms: 412,
        },
      });
    } else {
      records.push({
        service: SERVICES[i % SERVICES.length]!,
        severityNumber: 9,
        severityText: 'info',
        body: `${method} ${route} 200`,
        traceId,
        spanId,
        attributes: {
          'event.name': 'http.access',
          'http.request.method': method,
          'url.path': urlPath,
          'http.route': route,
          'http.response.status_code': 200,
          duration_ms: Math.round(Math.random() * 400) / 10,
          'enduser.id': '7d1c3b0e-9f5a-4a8e-b2c4-6e0f1a9d3b27',
        },
      });
    }
  }
  return records;
}

interface Processor {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** The variables of the features this issue added (grouping, silences, mute windows); --compare runs without them too. */
const FEATURES = {
  ALERT_GROUP_SECONDS: '2',
  ALERTS_API_TOKEN: API_TOKEN,
  ALERT_MUTE_WINDOWS: '* 00:00-24:00 UTC service.name=drop-batch',
};

async function startProcessor(entry: string, slackUrl: string, stateDir: string, features: boolean): Promise<Processor> {
  const port = await freePort();
  const profile = CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(import.meta.dirname, '..', 'bench-results')}`] : [];
  const child = spawn('taskset', ['-c', PROCESSOR_CORE, process.execPath, ...profile, entry], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ALERTS_HOST: '127.0.0.1',
      ALERTS_PORT: String(port),
      ALERTS_STATE_FILE: path.join(stateDir, 'state.db'),
      SLACK_WEBHOOK_URL: slackUrl,
      ALERTS_INTAKE_TOKEN: INTAKE_TOKEN,
      ALERT_SERVICES: SERVICES.join(','),
      // Always on: the outbox (in the state file), the webhook's token bucket, the heartbeat.
      ALERT_HEARTBEAT_MINUTES: '5',
      // Churn: short windows and cooldowns, so spikes open and end all along the run (see PHASE_MS).
      ALERT_WINDOW_SECONDS: '2',
      ALERT_COOLDOWN_SECONDS: '4',
      ...(features ? FEATURES : {}),
      ...(features && DATABASE_URL ? { ALERTS_DATABASE_URL: DATABASE_URL, ALERTS_REPLICA_ID: 'bench' } : {}),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the alert processor exited with ${child.exitCode}:\n${output}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() - started > 30_000) throw new Error(`the alert processor did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (features) {
    // A silence in place: every alert posted is checked against it (it mutes drop-batch's spikes).
    const response = await fetch(`${url}/api/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'service.name', value: 'drop-batch' },
          { name: 'alert.type', value: 'error_spike' },
        ],
        durationMinutes: 60,
        comment: 'bench:alerts',
      }),
    });
    if (response.status !== 201) throw new Error(`POST /api/silences answered ${response.status}: ${await response.text()}`);
  }
  return { url, child, output: () => output };
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Posts batches round-robin on `connections` keep-alive connections for `seconds`; counts acknowledged records. */
async function load(url: string, bodies: Buffer[][], seconds: number): Promise<{ records: number; latencies: number[]; elapsedS: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target = new URL('/v1/logs', url);
  const headers = {
    'content-type': 'application/x-protobuf',
    authorization: `Bearer ${INTAKE_TOKEN}`,
    ...(GZIP ? { 'content-encoding': 'gzip' } : {}),
  };
  const deadline = performance.now() + seconds * 1000;
  let records = 0;
  let next = 0;
  const latencies: number[] = [];
  const post = (body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const phase = bodies[phaseNow()]!;
        const body = phase[next++ % phase.length]!;
        const t0 = performance.now();
        const status = await post(body);
        if (status !== 200) throw new Error(`the alert processor answered ${status}`);
        latencies.push(performance.now() - t0);
        records += BATCH;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  return { records, latencies, elapsedS };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const median = (xs: number[]) => percentile(xs, 50);

async function main() {
  spawnSync('taskset', ['-cp', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  const entry = await buildAlertProcessor();
  log(
    `bench:alerts — ${ROUNDS} rounds of ${DURATION_S}s after ${WARMUP_S}s warm-up, batches of ${BATCH} records` +
      `${GZIP ? ' (protobuf + gzip)' : ' (protobuf)'}, ${CONNECTIONS} connections; processor on core ${PROCESSOR_CORE}, load on core ${LOAD_CORE}` +
      `${DATABASE_URL ? '; features on as a replica on PostgreSQL' : ''}`,
  );
  const bodies = Array.from({ length: PHASES }, (_, phase) =>
    Array.from({ length: DISTINCT_BATCHES }, () => {
      const encoded = Buffer.from(encodeLogs(batch(phase)));
      return GZIP ? zlib.gzipSync(encoded) : encoded;
    }),
  );
  const all = bodies.flat();
  log(`request body: ${Math.round(all.reduce((n, b) => n + b.length, 0) / all.length / 1024)} KiB on average`);

  const variants = COMPARE ? (['on', 'off'] as const) : (['on'] as const);
  const slacks = await Promise.all(variants.map(() => startFakeSlack()));
  const stateDirs = variants.map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'drop-bench-alerts-')));
  const processors: Processor[] = [];
  const rates: number[] = [];
  const ratios: number[] = [];
  try {
    for (const [i, variant] of variants.entries())
      processors.push(await startProcessor(entry, slacks[i]!.url, stateDirs[i]!, variant === 'on'));
    for (const processor of processors) await load(processor.url, bodies, WARMUP_S);
    for (let round = 0; round < ROUNDS; round++) {
      const roundRates: number[] = [];
      // Alternate which variant goes first, so neither always gets the quieter half of a round.
      const order = round % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => i).reverse();
      for (const i of order) {
        const processor = processors[i]!;
        const { records, latencies, elapsedS } = await load(processor.url, bodies, DURATION_S);
        const rate = records / elapsedS;
        roundRates[i] = rate;
        log(
          `round ${round + 1}${COMPARE ? ` (features ${variants[i]})` : ''}: ${Math.round(rate).toLocaleString('en')} records/s (${Math.round(rate / BATCH)} requests/s), ` +
            `latency p50 ${median(latencies).toFixed(1)} ms p99 ${percentile(latencies, 99).toFixed(1)} ms, RSS ${rssMb(processor.child.pid)} MB`,
        );
      }
      rates.push(roundRates[0]!);
      if (COMPARE) {
        ratios.push(roundRates[0]! / roundRates[1]!);
        log(`round ${round + 1}: on/off ${ratios.at(-1)!.toFixed(3)}`);
      }
    }
    for (const [i, slack] of slacks.entries()) {
      const texts = slack.delivered().map((p) => p.body?.text ?? '');
      const count = (prefix: string) => texts.filter((text) => text.startsWith(prefix)).length;
      const [critical, resolved, info] = [count('🚨 CRITICAL'), count('✅ RESOLVED'), count('ℹ️ INFO')];
      log(
        `Slack${COMPARE ? ` (features ${variants[i]})` : ''}: ${texts.length} messages — ${critical} critical, ${resolved} resolved, ${info} info` +
          ` (alerts in grouped messages count once)`,
      );
      if (critical < 2 || resolved < 1)
        throw new Error(
          `expected spikes opening and ending at the fake Slack, got ${critical} critical, ${resolved} resolved:\n${processors[i]?.output()}`,
        );
    }
  } finally {
    for (const processor of processors) {
      const exited = new Promise((resolve) => processor.child.once('exit', resolve));
      processor.child.kill('SIGTERM');
      await exited;
    }
    for (const slack of slacks) await slack.close();
    for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (COMPARE) log(`on/off ratio per round: ${ratios.map((r) => r.toFixed(3)).join(', ')} (median ${median(ratios).toFixed(3)})`);
  const result = median(rates);
  log(
    `\nmedian ${Math.round(result).toLocaleString('en')} records/s (min ${Math.round(Math.min(...rates))}, max ${Math.round(Math.max(...rates))}); target >= ${TARGET.toLocaleString('en')} → ${result >= TARGET ? 'met' : 'NOT met'}`,
  );
  if (JSON_OUTPUT) process.stdout.write(`${JSON.stringify({ recordsPerSec: Math.round(result) })}\n`);
}

main().catch((error: unknown) => {
  log(`bench:alerts failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
