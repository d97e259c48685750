// bench:backup --database postgres://…: the PostgreSQL side of the backups. On a scratch database created on that
// server (the app's schema, N transfers and an audit chain; dropped afterwards), in rounds:
//   backup.sh   pg_dump -Fc, pg_restore --list, checksum, .sha256, retention
//   restore.sh  checksum, pg_restore --list, pg_restore --single-transaction into a fresh database (then dropped)
//   drill       restore.sh --drill: checksum, pg_restore into a scratch database, audit:verify, dropped
// and the compression levers of pg_dump -Fc (levels 0, 1 and the default), each timed once per round with its size.
// Prints the figures, then one JSON line.
import { logToStderr } from '@otel';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { appendAuditEntry } from '@audit';
import { openDatabase } from '../src/server/db/connect';
import { migrateToLatest } from '../src/server/db/migrate';

// Its stdout is the result: logs (slow queries on a loaded machine) go to stderr.
logToStderr();

const ROOT = path.resolve(__dirname, '..');
const say = (line: string) => process.stderr.write(`[bench:backup] ${line}\n`);
const AUDIT_ENTRIES = 1000;

interface Run {
  seconds: number;
  stdout: string;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolve({ seconds, stdout });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stdout}`));
    });
  });
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropDatabases(adminUrl: string, prefix: string): Promise<void> {
  await admin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

async function fill(url: string, transfers: number): Promise<void> {
  const handle = openDatabase({ dialect: 'postgres', connectionString: url });
  try {
    await migrateToLatest(handle.db, handle.dialect);
    for (let i = 0; i < AUDIT_ENTRIES; i++) {
      await handle.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:u${i % 1000}`, userId: `u${i % 1000}`, ip: '127.0.0.1', userAgent: 'bench' },
            () => undefined,
          ),
        );
    }
  } finally {
    await handle.close();
  }
  await admin(url, async (client) => {
    await client.query(`INSERT INTO users (id, email, name, password_hash, role, balance_cents, created_at)
      SELECT 'u' || i, 'user' || i || '@bench.test', 'User ' || i, 'x', 'user', 0, 1700000000000 FROM generate_series(0, 999) AS i`);
    await client.query(
      `INSERT INTO transfers (id, kind, from_user_id, to_user_id, amount_cents, note, status, idempotency_key, request_hash,
         created_at, completed_at)
       SELECT gen_random_uuid()::text, 'transfer', 'u' || (i % 1000), 'u' || ((i % 1000) + 1 + i % 997) % 1000,
         100 + i % 10000, 'bench transfer ' || i || ' ' || md5(i::text), 'completed', gen_random_uuid()::text, md5(random()::text) || md5(random()::text),
         1700000000000 - i, 1700000000001 - i
       FROM generate_series(1, $1) AS i`,
      [transfers],
    );
    await client.query('VACUUM ANALYZE');
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round3 = (x: number) => Number(x.toFixed(3));

export async function benchPostgres(serverUrl: string, options: { transfers: number; rounds: number }): Promise<void> {
  const prefix = `drop_bench_backup_${process.pid}`;
  const source = withDatabase(serverUrl, prefix);
  const adminUrl = withDatabase(serverUrl, 'postgres');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-bench-pg-'));
  const cleanup = async () => {
    fs.rmSync(out, { recursive: true, force: true });
    await dropDatabases(adminUrl, prefix).catch((error: Error) => say(`cannot drop ${prefix}*: ${error.message}; drop them by hand`));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      say(`${signal}: dropping the scratch databases ${prefix}*`);
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  const loadBefore = os.loadavg();
  const figures: Record<string, number[]> = { backupSh: [], restoreSh: [], drill: [] };
  const phases: Record<string, number[]> = {};
  const levers: Record<string, { seconds: number[]; bytes: number }> = {};
  let databaseBytes = 0;
  try {
    await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${prefix}" TEMPLATE template0`));
    say(`filling ${prefix}: the app's schema, ${options.transfers} transfers, ${AUDIT_ENTRIES} audit entries`);
    await fill(source, options.transfers);
    databaseBytes = await admin(source, async (client) =>
      Number((await client.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n),
    );
    const scripts = (script: string) => path.join(ROOT, 'scripts', script);
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
      const e: NodeJS.ProcessEnv = { ...process.env, BACKUP_RETENTION_DAYS: '30', ...extra };
      delete e.BACKUP_COMPRESS;
      delete e.BACKUP_VERIFY;
      return e;
    };
    const pgDump = (await timed('bash', ['-c', `source '${ROOT}/scripts/backup-lib/common.sh' && find_pg_tool pg_dump`])).stdout.trim();
    for (let round = 0; round < options.rounds; round++) {
      const backup = await timed('bash', [scripts('backup.sh')], env({ DATABASE_URL: source, BACKUP_DIR: out }));
      figures.backupSh!.push(backup.seconds);
      const summary = JSON.parse(backup.stdout) as { file: string; bytes: number; phasesMs: Record<string, number> };
      for (const [phase, ms] of Object.entries(summary.phasesMs)) (phases[phase] ??= []).push(ms / 1000);
      const target = withDatabase(serverUrl, `${prefix}_restored`);
      figures.restoreSh!.push((await timed('bash', [scripts('restore.sh'), summary.file], env({ DATABASE_URL: target }))).seconds);
      await dropDatabases(adminUrl, `${prefix}_restored`);
      figures.drill!.push(
        (await timed('bash', [scripts('restore.sh'), '--drill', summary.file], env({ DATABASE_URL: source, TMPDIR: out }))).seconds,
      );
      for (const name of fs.readdirSync(out)) fs.rmSync(path.join(out, name), { recursive: true, force: true });
      for (const level of ['0', '1', '6']) {
        const file = path.join(out, `z${level}.dump`);
        const run = await timed(pgDump, ['--format=custom', `--compress=${level}`, `--file=${file}`, `--dbname=${source}`]);
        (levers[`Z${level}`] ??= { seconds: [], bytes: 0 }).seconds.push(run.seconds);
        levers[`Z${level}`]!.bytes = fs.statSync(file).size;
        fs.rmSync(file);
      }
      say(
        `round ${round + 1}/${options.rounds}: backup.sh ${figures.backupSh!.at(-1)!.toFixed(2)} s (${summary.bytes} bytes), restore.sh ${figures.restoreSh!.at(-1)!.toFixed(2)} s, drill ${figures.drill!.at(-1)!.toFixed(2)} s`,
      );
    }
  } finally {
    await cleanup();
  }
  const seconds = Object.fromEntries(Object.entries(figures).map(([k, xs]) => [k, round3(median(xs))]));
  const phaseMedians = Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, round3(median(xs))]));
  const compression = Object.fromEntries(
    Object.entries(levers).map(([k, v]) => [k, { seconds: round3(median(v.seconds)), bytes: v.bytes }]),
  );
  const spread = (xs: number[]) => `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  process.stdout.write(
    `PostgreSQL backup of a ${Math.round(databaseBytes / 1048576)} MB database (${options.transfers} transfers, ${AUDIT_ENTRIES} audit entries), ${options.rounds} rounds; median (min–max):\n` +
      `  backup.sh (pg_dump -Fc, pg_restore --list, sha256)  ${spread(figures.backupSh!)}   phases ${JSON.stringify(phaseMedians)}\n` +
      `  restore.sh (into a new database)                    ${spread(figures.restoreSh!)}\n` +
      `  restore.sh --drill (pg_restore + audit:verify)      ${spread(figures.drill!)}\n` +
      `  pg_dump -Fc by compression level: ${Object.entries(compression)
        .map(([k, v]) => `-${k} ${v.seconds.toFixed(2)} s ${(v.bytes / 1048576).toFixed(1)} MB`)
        .join(', ')}\n` +
      `  load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} (${os.cpus().length} cores)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ dialect: 'postgres', databaseBytes, transfers: options.transfers, auditEntries: AUDIT_ENTRIES, rounds: options.rounds, seconds, perRound: figures, phasesSeconds: phaseMedians, compression, loadAverage: { before: loadBefore, after: os.loadavg() } })}\n`,
  );
}
