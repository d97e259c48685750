// `npm run bench:audit [-- --json] [-- --runs N]`: the audit log at 1,000,000 entries on SQLite and PostgreSQL.
// `npm run bench:audit -- --writers 1,2,4`: many writer processes instead (bench/audit-writers.ts).
// Pages (first, deep by cursor, one user's) through the same listAuditEntries the API uses: p50/p95 over many runs.
// Verification throughput: verifyAuditChain over the whole chain.
// The entries (a valid chain, each with its MAC under a bench key, as the app writes them) are generated once and
// cached in .cache/bench/audit-1000000-mac.sqlite; PostgreSQL is loaded
// from that file, on DATABASE_URL_TEST when set, otherwise on a throwaway cluster (scripts/throwaway-postgres.mjs).
import { logToStderr } from '@otel';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  AUDIT_ACTIONS,
  auditMacKeys,
  GENESIS_HASH,
  hashAuditEntry,
  listAuditEntries,
  macAuditEntry,
  type AuditCursor,
  type AuditFilters,
  type AuditRow,
  defaultVerifyParallelism,
  verifyAuditChain,
} from '@audit';
import { openDatabase, type DatabaseHandle } from '../src/server/db/connect';
import { migrateToLatest } from '../src/server/db/migrate';
import { findPgBin, startThrowawayPostgres } from '../scripts/throwaway-postgres.mjs';
import { benchArgs, hasOption } from './args';

// Its stdout is the result: logs (slow queries on a loaded machine) go to stderr.
logToStderr();

// Slow-query warnings would be noise here: the verifier reads large batches on purpose.
process.env.DB_SLOW_QUERY_MS ??= '60000';

const ROWS = 1_000_000;
const USERS = 2_000;
const PAGE = 50;
const CACHE_DIR = path.resolve(import.meta.dirname, '..', '.cache', 'bench');
const CACHE_FILE = path.join(CACHE_DIR, `audit-${ROWS}-mac.sqlite`);
/** The app's audit MAC key stands outside the database; verification checks every entry's MAC with it, as in production. */
const MAC_KEYS = auditMacKeys('bench-audit-mac-key-0123456789abcdef0123456789abcdef');
const writersMode = hasOption('writers');
const args = writersMode
  ? undefined
  : benchArgs('bench:audit', {
      runs: { type: 'number', default: 300, min: 1, description: 'page reads per kind and database' },
      json: { type: 'boolean', description: 'print the figures as one JSON line too' },
      writers: {
        type: 'string',
        default: '',
        description: 'K app processes on PostgreSQL doing audited transfers, e.g. 1,2,4 (see bench/audit-writers.ts)',
      },
    });
const json = args?.json ?? false;
const RUNS = args?.runs ?? 300;

const say = (line: string): void => {
  process.stderr.write(`[bench:audit] ${line}\n`);
};

/** A small deterministic PRNG, so the cached data set is the same on every machine. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function* generateChain(): Generator<AuditRow> {
  const random = prng(42);
  let prevHash = GENESIS_HASH;
  let timestamp = Date.UTC(2025, 0, 1);
  for (let id = 1; id <= ROWS; id++) {
    // About a year of entries; some share a millisecond, so the (timestamp, id) order matters.
    if (random() > 0.1) timestamp += 1 + Math.floor(random() * 60_000);
    const action = AUDIT_ACTIONS[Math.floor(random() * AUDIT_ACTIONS.length)]!;
    const failure = action === 'login_failure';
    const user = failure && random() < 0.3 ? null : userId(Math.floor(random() * USERS));
    const fields = {
      id,
      timestamp,
      user_id: user,
      action,
      resource: `${action.startsWith('transfer') || action === 'qr_payment' ? 'transfer' : 'user'}:${crypto.randomUUID()}`,
      outcome: failure ? ('failure' as const) : ('success' as const),
      details: JSON.stringify({ amountCents: Math.floor(random() * 100_000) }),
      ip_address: `198.51.100.${Math.floor(random() * 254) + 1}`,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36',
      request_id: crypto.randomBytes(16).toString('hex'),
      span_id: crypto.randomBytes(8).toString('hex'),
      prev_hash: prevHash,
    };
    const hash = hashAuditEntry(fields);
    const row = { ...fields, hash, mac: macAuditEntry(MAC_KEYS, id, hash) };
    prevHash = row.hash;
    yield row;
  }
}

const COLUMNS = [
  'id',
  'timestamp',
  'user_id',
  'action',
  'resource',
  'outcome',
  'details',
  'ip_address',
  'user_agent',
  'request_id',
  'span_id',
  'prev_hash',
  'hash',
  'mac',
] as const;

async function ensureCachedSqlite(): Promise<void> {
  if (fs.existsSync(CACHE_FILE)) {
    const db = new SQLite(CACHE_FILE, { readonly: true });
    const head = db.prepare('SELECT last_id FROM audit_chain_head').get() as { last_id: number } | undefined;
    const newest = db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT 1').get() as AuditRow | undefined;
    db.close();
    // Reused only when complete and hashed the way the code hashes today.
    if (head?.last_id === ROWS && newest && hashAuditEntry(newest) === newest.hash) {
      return say(`using the cached data set ${path.relative(process.cwd(), CACHE_FILE)}`);
    }
    fs.rmSync(CACHE_FILE, { force: true });
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  say(`generating ${ROWS.toLocaleString('en')} chained entries into ${path.relative(process.cwd(), CACHE_FILE)} (once)…`);
  const partial = `${CACHE_FILE}.partial`;
  fs.rmSync(partial, { force: true });
  const handle = openDatabase({ dialect: 'sqlite', file: partial });
  await migrateToLatest(handle.db, 'sqlite');
  await handle.close();
  const db = new SQLite(partial);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(`INSERT INTO audit_log (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
  let last: AuditRow | undefined;
  db.transaction(() => {
    for (const row of generateChain()) {
      insert.run(row);
      last = row;
    }
    db.prepare('UPDATE audit_chain_head SET last_id = ?, last_hash = ?').run(last!.id, last!.hash);
  })();
  db.exec('ANALYZE');
  db.close();
  fs.renameSync(partial, CACHE_FILE);
}

async function loadPostgres(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ last_id: string }>('SELECT last_id FROM audit_chain_head');
    if (Number(rows[0]?.last_id) === ROWS) return say('PostgreSQL already holds the data set');
    say(`loading ${ROWS.toLocaleString('en')} entries into PostgreSQL…`);
    const source = new SQLite(CACHE_FILE, { readonly: true });
    const types = ['bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];
    const statement = `INSERT INTO audit_log (${COLUMNS.map((c) => `"${c}"`).join(', ')})
      SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
    let batch: AuditRow[] = [];
    const flush = async () => {
      await pool.query(
        statement,
        COLUMNS.map((c) => batch.map((r) => r[c])),
      );
      batch = [];
    };
    for (const row of source.prepare('SELECT * FROM audit_log ORDER BY id').iterate() as IterableIterator<AuditRow>) {
      batch.push(row);
      if (batch.length === 5_000) await flush();
    }
    if (batch.length) await flush();
    const head = source.prepare('SELECT last_id, last_hash FROM audit_chain_head').get() as { last_id: number; last_hash: string };
    source.close();
    await pool.query('UPDATE audit_chain_head SET last_id = $1, last_hash = $2', [head.last_id, head.last_hash]);
    await pool.query('VACUUM ANALYZE audit_log');
  } finally {
    await pool.end();
  }
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Figures {
  firstPageP50Ms: number;
  firstPageP95Ms: number;
  deepPageP50Ms: number;
  deepPageP95Ms: number;
  userPageP50Ms: number;
  userPageP95Ms: number;
}

async function measure(name: string, work: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 20; i++) await work(i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  const result = { p50: round(percentile(samples, 50)), p95: round(percentile(samples, 95)) };
  say(`  ${name}: p50 ${result.p50} ms, p95 ${result.p95} ms (${RUNS} runs)`);
  return result;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function benchPages(handle: DatabaseHandle): Promise<Figures> {
  const random = prng(7);
  // Deep positions: anywhere in the chain, mostly far from the newest entries.
  const cursors: AuditCursor[] = [];
  for (let i = 0; i < 64; i++) {
    const id = 1 + Math.floor(random() * (ROWS - PAGE));
    const row = await handle.db.selectFrom('audit_log').select(['timestamp', 'id']).where('id', '=', id).executeTakeFirstOrThrow();
    cursors.push({ timestamp: row.timestamp, id: row.id, direction: 'older' });
  }
  const users: AuditFilters[] = Array.from({ length: 64 }, () => ({ userId: userId(Math.floor(random() * USERS)) }));
  const page = (filters: AuditFilters, cursor?: AuditCursor) => listAuditEntries(handle.db, filters, { limit: PAGE, cursor });
  const first = await measure('first page', () => page({}));
  const deep = await measure('deep page by cursor', (i) => page({}, cursors[i % cursors.length]));
  const user = await measure('one user, first page', (i) => page(users[i % users.length]!));
  const probe = await page({}, cursors[0]);
  if (probe.entries.length !== PAGE) throw new Error('deep page returned a short page');
  return {
    firstPageP50Ms: first.p50,
    firstPageP95Ms: first.p95,
    deepPageP50Ms: deep.p50,
    deepPageP95Ms: deep.p95,
    userPageP50Ms: user.p50,
    userPageP95Ms: user.p95,
  };
}

async function benchVerify(handle: DatabaseHandle): Promise<number> {
  const cpuBefore = process.cpuUsage();
  const status = await verifyAuditChain(handle, { macKeys: MAC_KEYS });
  const cpu = process.cpuUsage(cpuBefore);
  if (!status.ok || status.entries !== ROWS) throw new Error(`verification failed: ${JSON.stringify(status.firstBroken)}`);
  const rate = Math.round(status.entries / (status.durationMs / 1000));
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // On PostgreSQL the server does the hashing: this process's CPU is then only the driver's.
  say(
    `  verify: ${status.entries.toLocaleString('en')} entries in ${(status.durationMs / 1000).toFixed(2)} s → ${rate.toLocaleString('en')} entries/s` +
      ` (${defaultVerifyParallelism()} ranges at once; this process: ${cpuSeconds.toFixed(2)} CPU s, worker threads included)`,
  );
  return rate;
}

async function postgresUrl(): Promise<{ url: string; cleanup(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL_TEST;
  let stopCluster: (() => void) | undefined;
  if (!adminUrl) {
    const bin = findPgBin();
    if (!bin) throw new Error('PostgreSQL is needed: set DATABASE_URL_TEST or install the server (apt-get install postgresql)');
    const cluster = await startThrowawayPostgres(bin, say);
    adminUrl = cluster.url;
    stopCluster = () => cluster.stop();
  }
  const name = `drop_bench_audit_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async cleanup() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      stopCluster?.();
    },
  };
}

async function main() {
  await ensureCachedSqlite();

  say('SQLite');
  const sqliteHandle = openDatabase({ dialect: 'sqlite', file: CACHE_FILE });
  let sqlite: Figures;
  let sqliteVerify: number;
  try {
    sqlite = await benchPages(sqliteHandle);
    sqliteVerify = await benchVerify(sqliteHandle);
  } finally {
    await sqliteHandle.close();
  }

  say('PostgreSQL');
  const target = await postgresUrl();
  let postgres: Figures;
  let postgresVerify: number;
  try {
    const handle = openDatabase({ dialect: 'postgres', connectionString: target.url });
    try {
      await migrateToLatest(handle.db, 'postgres');
      await loadPostgres(target.url);
      postgres = await benchPages(handle);
      postgresVerify = await benchVerify(handle);
    } finally {
      await handle.close();
    }
  } finally {
    await target.cleanup();
  }

  const verifyRowsPerSec = Math.min(sqliteVerify, postgresVerify);
  const pick = (f: Figures) => ({ firstPageP95Ms: f.firstPageP95Ms, deepPageP95Ms: f.deepPageP95Ms, userPageP95Ms: f.userPageP95Ms });
  const lines = [
    `audit log, ${ROWS.toLocaleString('en')} entries, pages of ${PAGE}, ${RUNS} runs each (p50 / p95 ms):`,
    `  sqlite    first ${sqlite.firstPageP50Ms} / ${sqlite.firstPageP95Ms}   deep ${sqlite.deepPageP50Ms} / ${sqlite.deepPageP95Ms}   user ${sqlite.userPageP50Ms} / ${sqlite.userPageP95Ms}`,
    `  postgres  first ${postgres.firstPageP50Ms} / ${postgres.firstPageP95Ms}   deep ${postgres.deepPageP50Ms} / ${postgres.deepPageP95Ms}   user ${postgres.userPageP50Ms} / ${postgres.userPageP95Ms}`,
    `  verify    sqlite ${sqliteVerify.toLocaleString('en')} entries/s, postgres ${postgresVerify.toLocaleString('en')} entries/s`,
    `targets: page p95 <= 10 ms (SQLite), <= 15 ms (PostgreSQL); verify >= 200,000 entries/s`,
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ sqlite: pick(sqlite), postgres: pick(postgres), verifyRowsPerSec })}\n`);
}

const run = writersMode ? import('./audit-writers').then((m) => m.benchWriters(process.argv.slice(2))) : main();
run.catch((error: unknown) => {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
