// npm run bench:backup [-- --size-mb N] [--rounds N] [--json]
// Times scripts/backup.sh (online backup + integrity check + checksum) against a plain `cp` of the same SQLite
// file, both while a concurrent writer commits, in interleaved rounds. Target: backup <= 2x the copy.
// The database (the app's schema, filled with transfers) is built once and cached in .cache/bench/.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../src/server/db/connect';
import { migrateToLatest } from '../src/server/db/migrate';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache/bench');

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive whole number`);
  return value;
}
const sizeMb = option('size-mb', 1024);
const rounds = option('rounds', 5);
const asJson = process.argv.includes('--json');
const say = (line: string) => process.stderr.write(`[bench:backup] ${line}\n`);

async function buildDatabase(file: string): Promise<void> {
  const temp = `${file}.building`;
  fs.rmSync(temp, { force: true });
  const handle = openDatabase({ dialect: 'sqlite', file: temp });
  await migrateToLatest(handle.db, handle.dialect);
  await handle.close();

  const db = new SQLite(temp);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000'); // random UUID keys: keep the indexes in memory while building
  const now = Date.now();
  const users = Array.from({ length: 1000 }, (_, i) => crypto.createHash('sha256').update(`user${i}`).digest('hex').slice(0, 32));
  const addUser = db.prepare(
    "INSERT INTO users (id, email, name, password_hash, role, balance_cents, created_at) VALUES (?, ?, ?, 'x', 'user', 0, ?)",
  );
  db.transaction(() => users.forEach((id, i) => addUser.run(id, `user${i}@bench.test`, `User ${i}`, now)))();
  const addTransfer = db.prepare(
    `INSERT INTO transfers (id, kind, from_user_id, to_user_id, amount_cents, note, status, idempotency_key, request_hash,
       created_at, completed_at) VALUES (?, 'transfer', ?, ?, ?, ?, 'completed', ?, ?, ?, ?)`,
  );
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const target = sizeMb * 1024 * 1024;
  let rows = 0;
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++, rows++) {
      const from = users[rows % users.length]!;
      const to = users[(rows * 7 + 1) % users.length]!;
      addTransfer.run(crypto.randomUUID(), from, from === to ? users[(rows + 1) % users.length] : to, 100 + (rows % 10_000),
        `bench transfer ${rows} ${crypto.randomBytes(24).toString('base64')}`, crypto.randomUUID(),
        crypto.randomBytes(32).toString('hex'), now - rows, now - rows + 1);
    }
  });
  for (;;) {
    batch(20_000);
    const bytes = (db.pragma('page_count', { simple: true }) as number) * pageSize;
    if (bytes >= target) break;
    if (rows % 200_000 === 0) say(`building: ${Math.round(bytes / 1048576)} / ${sizeMb} MB`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  fs.renameSync(temp, file);
  say(`built ${file}: ${rows} transfers`);
}

function startWriter(file: string): Promise<() => Promise<number>> {
  const child = spawn(process.execPath, [path.join(__dirname, 'backup-writer.mjs'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = () =>
    new Promise<number>((resolve) => {
      child.once('exit', () => resolve(Number(output.trim().split('\n').pop())));
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(stop));
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return { seconds, stdout: result.stdout };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (x: number) => x.toFixed(2);

async function main() {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `backup-${sizeMb}mb.db`);
  if (!fs.existsSync(file)) await buildDatabase(file);
  else say(`reusing ${file}`);
  const out = path.join(CACHE, 'out');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: `file:${file}`, BACKUP_DIR: out, BACKUP_RETENTION_DAYS: '0' };
  delete env.BACKUP_COMPRESS;

  const stopWriter = await startWriter(file);
  const backups: number[] = [];
  const copies: number[] = [];
  const phases: Record<string, number[]> = {};
  try {
    // Warm-up: both read the database into the page cache once.
    timed('cp', [file, path.join(out, 'warmup.db')]);
    fs.rmSync(path.join(out, 'warmup.db'));
    for (let round = 1; round <= rounds; round++) {
      const runBackup = () => {
        const run = timed(path.join(ROOT, 'scripts/backup.sh'), [], env);
        backups.push(run.seconds);
        const summary = JSON.parse(run.stdout) as { phasesMs: Record<string, number> };
        for (const [phase, ms] of Object.entries(summary.phasesMs)) (phases[phase] ??= []).push(ms / 1000);
        for (const name of fs.readdirSync(out)) fs.rmSync(path.join(out, name));
      };
      const runCopy = () => {
        copies.push(timed('cp', [file, path.join(out, 'copy.db')]).seconds);
        fs.rmSync(path.join(out, 'copy.db'));
      };
      if (round % 2) { runBackup(); runCopy(); } else { runCopy(); runBackup(); }
      say(`round ${round}: backup.sh ${fmt(backups.at(-1)!)} s, cp ${fmt(copies.at(-1)!)} s`);
    }
  } finally {
    const commits = await stopWriter();
    say(`the writer committed ${commits} transfers during the benchmark`);
  }
  const ratios = backups.map((b, i) => b / copies[i]!);
  const result = { backupSeconds: median(backups), copySeconds: median(copies), ratioToCopy: median(ratios) };
  const bytes = fs.statSync(file).size;
  process.stdout.write(
    `SQLite backup of ${Math.round(bytes / 1048576)} MB, ${rounds} rounds with a concurrent writer:\n` +
      `  backup.sh  median ${fmt(result.backupSeconds)} s (min ${fmt(Math.min(...backups))}, max ${fmt(Math.max(...backups))})\n` +
      `  cp         median ${fmt(result.copySeconds)} s (min ${fmt(Math.min(...copies))}, max ${fmt(Math.max(...copies))})\n` +
      `  backup.sh phases (median s): ${Object.entries(phases)
        .map(([phase, xs]) => `${phase} ${fmt(median(xs))}`)
        .join(', ')} (BACKUP_VERIFY=${process.env.BACKUP_VERIFY || 'integrity'})\n` +
      `  ratio      median ${fmt(result.ratioToCopy)}x (min ${fmt(Math.min(...ratios))}x, max ${fmt(Math.max(...ratios))}x); target <= 2x: ${result.ratioToCopy <= 2 ? 'met' : 'MISSED'}\n`,
  );
  if (asJson) process.stdout.write(`${JSON.stringify(result)}\n`);
  fs.rmSync(out, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
