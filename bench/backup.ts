// npm run bench:backup [-- --size-mb N] [--rounds N] [--json]
// Times scripts/backup.sh against a plain `cp` of the same SQLite file, both while a concurrent writer commits, in
// interleaved rounds. Target: backup <= 2x the copy. From the same runs it reports
//   - the backup proper: backup.sh's copy phase (consistent snapshot written and flushed to disk) + its checksum
//     phase (phasesMs.copy + phasesMs.checksum), the figure compared with `cp`;
//   - backup.sh complete, wall clock: the above + PRAGMA integrity_check on the copy (the checksum runs at the same
//     time as the check) + renames, syncs and retention;
//   - `cp` alone, and `cp` followed by `sync` of the copy (what a durable plain copy costs).
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
  const propers: number[] = [];
  const copies: number[] = [];
  const copySyncs: number[] = [];
  const phases: Record<string, number[]> = {};
  try {
    // Warm-up: both read the database into the page cache once.
    timed('cp', [file, path.join(out, 'warmup.db')]);
    fs.rmSync(path.join(out, 'warmup.db'));
    for (let round = 1; round <= rounds; round++) {
      const runBackup = () => {
        const run = timed(path.join(ROOT, 'scripts/backup.sh'), [], env);
        backups.push(run.seconds);
        const { phasesMs } = JSON.parse(run.stdout) as { phasesMs: Record<string, number> };
        for (const [phase, ms] of Object.entries(phasesMs)) (phases[phase] ??= []).push(ms / 1000);
        propers.push((phasesMs.copy! + phasesMs.checksum!) / 1000);
        for (const name of fs.readdirSync(out)) fs.rmSync(path.join(out, name));
      };
      const runCopy = () => {
        const copy = path.join(out, 'copy.db');
        const seconds = timed('cp', [file, copy]).seconds;
        copies.push(seconds);
        copySyncs.push(seconds + timed('sync', [copy]).seconds);
        fs.rmSync(copy);
      };
      if (round % 2) { runBackup(); runCopy(); } else { runCopy(); runBackup(); }
      say(`round ${round}: backup proper ${fmt(propers.at(-1)!)} s, backup.sh ${fmt(backups.at(-1)!)} s, cp ${fmt(copies.at(-1)!)} s (+ sync ${fmt(copySyncs.at(-1)!)} s)`);
    }
  } finally {
    const commits = await stopWriter();
    say(`the writer committed ${commits} transfers during the benchmark`);
  }
  const ratios = backups.map((b, i) => b / copies[i]!);
  const properRatios = propers.map((b, i) => b / copies[i]!);
  const phaseMedians = Object.fromEntries(Object.entries(phases).map(([phase, xs]) => [phase, Number(median(xs).toFixed(3))]));
  const result = {
    backupSeconds: median(backups),
    copySeconds: median(copies),
    ratioToCopy: median(ratios),
    backupProperSeconds: median(propers),
    backupProperRatioToCopy: median(properRatios),
    copyAndSyncSeconds: median(copySyncs),
    phasesSeconds: phaseMedians,
    verify: process.env.BACKUP_VERIFY || 'integrity',
  };
  const bytes = fs.statSync(file).size;
  const spread = (xs: number[]) => `median ${fmt(median(xs))} s (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`;
  const ratio = (xs: number[]) => `${fmt(median(xs))}x (min ${fmt(Math.min(...xs))}x, max ${fmt(Math.max(...xs))}x)`;
  process.stdout.write(
    `SQLite backup of ${Math.round(bytes / 1048576)} MB, ${rounds} rounds with a concurrent writer (BACKUP_VERIFY=${result.verify}):\n` +
      `  backup proper  ${spread(propers)}  = phases copy + checksum\n` +
      `  backup.sh      ${spread(backups)}  = complete run, wall clock, with the ${result.verify}_check\n` +
      `  cp             ${spread(copies)}\n` +
      `  cp + sync      ${spread(copySyncs)}  (reference: a plain copy made durable)\n` +
      `  backup.sh phases (median s): ${Object.entries(phaseMedians)
        .map(([phase, x]) => `${phase} ${fmt(x)}`)
        .join(', ')} (checksum runs at the same time as verify)\n` +
      `  ratio to cp    backup proper ${ratio(properRatios)}: target <= 2x ${result.backupProperRatioToCopy <= 2 ? 'met' : 'MISSED'}\n` +
      `                 backup.sh     ${ratio(ratios)}: target <= 2x ${result.ratioToCopy <= 2 ? 'met' : 'MISSED'}\n`,
  );
  if (asJson) process.stdout.write(`${JSON.stringify(result)}\n`);
  fs.rmSync(out, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
