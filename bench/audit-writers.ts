// `npm run bench:audit -- --writers 1,2,4 [--duration 10] [--rounds 2] [--concurrency 4]`: K writer processes
// (bench/audit-writer.ts, the app's domain functions and database code) doing audited transfers on one PostgreSQL
// database at once; audited transactions per second and p50/p99 latency for each K. Rounds run the Ks in
// alternating order (1 2 4, 4 2 1, …) so a noisy neighbour does not favour one K; the median round is reported.
// --modes chained,sequenced: each K with both ways of writing the chain (AUDIT_WRITE_MODE, docs/AUDIT.md).
import { logToStderr } from '@otel';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { benchArgs } from './args';
import pg from 'pg';
import { generateAuditSigningKeyPem, verifyAuditChain } from '@audit';
import { openDatabase } from '../src/server/db/connect';
import { migrateToLatest } from '../src/server/db/migrate';

// Its stdout is the result: logs (slow queries on a loaded machine) go to stderr.
logToStderr();

const ROOT = path.resolve(import.meta.dirname, '..');

const say = (line: string): void => {
  process.stderr.write(`[bench:audit --writers] ${line}\n`);
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

interface WriterResult {
  latencies: number[];
  errors: number;
}

type WriteMode = 'chained' | 'sequenced';

interface RunFigures {
  mode: WriteMode;
  writers: number;
  txPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Mean number of the database's backends waiting on a lock (the chain head row, mostly), sampled every 50 ms. */
  lockWaiters: number;
  /** Mean number of the database's backends running a statement or waiting on a lock. */
  active: number;
}

/** Samples pg_stat_activity while a run goes on: how many backends wait on a lock, how many are busy. */
function sampleLockWaits(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  let waiting = 0;
  let active = 0;
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<{ waiting: string; active: string }>(
        `select count(*) filter (where wait_event_type = 'Lock') as waiting, count(*) filter (where state = 'active') as active
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      );
      waiting += Number(rows[0]!.waiting);
      active += Number(rows[0]!.active);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.end();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const round = (n: number) => Math.round((n / Math.max(samples, 1)) * 100) / 100;
      return { lockWaiters: round(waiting), active: round(active) };
    },
  };
}

async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `drop_bench_writers_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function runOnce(
  databaseUrl: string,
  mode: WriteMode,
  writers: number,
  options: { durationMs: number; concurrency: number; env: Record<string, string> },
): Promise<RunFigures> {
  const children = Array.from({ length: writers }, (_, i) =>
    spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bench/audit-writer.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...options.env,
        DATABASE_URL: databaseUrl,
        AUDIT_WRITE_MODE: mode,
        WRITER: String(i),
        CONCURRENCY: String(options.concurrency),
        DURATION_MS: String(options.durationMs),
        PG_POOL_MAX: String(options.concurrency),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const ready: Promise<void>[] = [];
  const results: Promise<WriterResult>[] = [];
  for (const child of children) {
    const lines = readline.createInterface({ input: child.stdout! });
    let onReady: () => void;
    ready.push(new Promise((resolve) => (onReady = resolve)));
    results.push(
      new Promise((resolve, reject) => {
        lines.on('line', (line) => {
          if (line === 'READY') onReady();
          else if (line.startsWith('RESULT ')) resolve(JSON.parse(line.slice(7)) as WriterResult);
        });
        child.on('exit', (code) => code !== 0 && reject(new Error(`a writer exited with code ${code}`)));
      }),
    );
  }
  await Promise.all(ready);
  const sampler = sampleLockWaits(databaseUrl);
  const started = performance.now();
  for (const child of children) child.stdin!.end('GO\n');
  const done = await Promise.all(results);
  const waits = await sampler.stop();
  const elapsedS = (performance.now() - started) / 1000;
  const latencies = done.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    mode,
    writers,
    // The writers stop at the same deadline; process start-up is before GO and not counted.
    txPerSec: Math.round(latencies.length / Math.min(elapsedS, options.durationMs / 1000 + 0.5)),
    p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    errors: done.reduce((n, r) => n + r.errors, 0),
    ...waits,
  };
}

export async function benchWriters(argv: string[]): Promise<void> {
  const values = benchArgs(
    'bench:audit',
    {
      writers: { type: 'string', default: '1,2,4', description: 'comma-separated numbers of app processes' },
      modes: { type: 'string', default: 'chained,sequenced', description: 'AUDIT_WRITE_MODE values to compare' },
      duration: { type: 'number', default: 10, min: 1, description: 'seconds of load per measurement' },
      rounds: { type: 'number', default: 2, min: 1, description: 'interleaved rounds' },
      concurrency: { type: 'number', default: 4, min: 1, description: 'requests in flight per process' },
      json: { type: 'boolean', description: 'print the figures as one JSON line too' },
    },
    argv,
  );
  const ks = values.writers.split(',').map(Number);
  if (ks.some((k) => !Number.isInteger(k) || k < 1))
    throw new Error('--writers takes a comma-separated list of positive integers, e.g. 1,2,4');
  const modes = values.modes.split(',') as WriteMode[];
  if (modes.some((m) => m !== 'chained' && m !== 'sequenced')) throw new Error('--modes takes chained, sequenced or both');
  const durationMs = Number(values.duration) * 1000;
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const adminUrl = process.env.DATABASE_URL_TEST;
  if (!adminUrl) throw new Error('set DATABASE_URL_TEST to a PostgreSQL server the benchmark may create a database on');

  const database = await createDatabase(adminUrl);
  const env = {
    AUTH_SECRET: crypto.randomBytes(32).toString('base64url'),
    AUDIT_SIGNING_KEY: generateAuditSigningKeyPem(),
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: 'true',
    DB_SLOW_QUERY_MS: '60000',
  };
  const byRun = new Map<string, RunFigures[]>();
  const key = (mode: WriteMode, k: number) => `${mode}:${k}`;
  try {
    const handle = openDatabase({ dialect: 'postgres', connectionString: database.url });
    await migrateToLatest(handle.db, 'postgres');
    await handle.close();
    for (let round = 0; round < rounds; round++) {
      const runs = ks.flatMap((k) => modes.map((mode) => [mode, k] as const));
      const order = round % 2 === 0 ? runs : [...runs].reverse();
      for (const [mode, k] of order) {
        const figures = await runOnce(database.url, mode, k, { durationMs, concurrency, env });
        say(
          `round ${round + 1}: ${mode}, ${k} writer(s) × ${concurrency} loops: ${figures.txPerSec} audited tx/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.errors} errors; backends busy ${figures.active}, of them waiting on a lock ${figures.lockWaiters}`,
        );
        byRun.set(key(mode, k), [...(byRun.get(key(mode, k)) ?? []), figures]);
      }
    }
    const check = openDatabase({ dialect: 'postgres', connectionString: database.url });
    const status = await verifyAuditChain(check);
    await check.close();
    if (!status.ok) throw new Error(`the chain is broken after the run: ${JSON.stringify(status.firstBroken)}`);
    say(`chain intact after the run: ${status.entries.toLocaleString('en')} entries`);
  } finally {
    await database.drop();
  }

  const median = (runs: RunFigures[]) => [...runs].sort((a, b) => a.txPerSec - b.txPerSec)[Math.floor((runs.length - 1) / 2)]!;
  const summary = modes.flatMap((mode) => ks.map((k) => median(byRun.get(key(mode, k))!)));
  const lines = [
    `audited transfers on PostgreSQL, K writer processes × ${concurrency} concurrent loops, ${durationMs / 1000} s per run, ${rounds} rounds (median round):`,
    ...summary.map(
      (f) =>
        `  ${f.mode.padEnd(9)} K=${f.writers}  ${f.txPerSec} tx/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  errors ${f.errors}  busy backends ${f.active}, waiting on a lock ${f.lockWaiters}`,
    ),
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}
