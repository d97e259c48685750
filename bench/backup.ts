// npm run bench:backup [-- --size-mb N] [--rounds N] [--manual-timeout-s N]
// npm run bench:backup -- --database postgres://USER@HOST/DB [--transfers N] [--rounds N]: PostgreSQL instead
//   (bench/backup-postgres.ts: pg_dump -Fc backup, restore and drill on a scratch database on that server)
// Side by side, in interleaved rounds (the order rotates every round), on one SQLite database (1 GB by default)
// while a writer process commits a transfer every 2 ms:
//   (a) cp + sync          `cp` of the database file then `sync` of the copy: a durable plain copy (the reference)
//   (b) backup proper      scripts/backup-lib/sqlite-backup.mjs --checksum --verify none: the consistent online copy,
//                          on disk, with its SHA-256                                       target <= 1.5 x (a)
//   (c) backup.sh          complete (copy, check, checksum, .sha256, renames, retention), BACKUP_VERIFY=full and quick
//   (d) manual route       `sqlite3 DB ".backup OUT"` then `sqlite3 OUT "PRAGMA integrity_check"` (Debian's CLI),
//                          and with quick_check for (c) quick                              target (c) <= 1.0 x (d)
//   (e) VACUUM INTO        `sqlite3 DB "VACUUM INTO 'OUT'"` then integrity_check: the manual route that finishes
//                          under writes
// The CLI's .backup restarts from page 1 whenever another connection commits, so under the writer it does not
// finish: it is tried once under the writer (up to --manual-timeout-s), and timed in every round with the writer
// paused (SIGSTOP) for its duration, which favours it. Ratios are medians of per-round ratios.
// The database (the app's schema, filled with transfers) is built once and cached in .cache/bench/.
// Interrupted (SIGINT, SIGTERM, SIGHUP) or failing, it kills what it started — the writer too, paused or not — and
// removes its output directory; the sqlite3 CLI is checked for before anything is built.
// Output: the figures for people, then always one JSON line with every figure (--json is accepted, and changes
// nothing: the line used to need it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArgs } from './args';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../src/server/db/connect';
import { migrateToLatest } from '../src/server/db/migrate';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache/bench');
const SQLITE_BACKUP = path.join(ROOT, 'scripts/backup-lib/sqlite-backup.mjs');

const values = benchArgs('bench:backup', {
  'size-mb': { type: 'number', default: 1024, min: 1, description: 'size of the SQLite database to back up' },
  rounds: { type: 'number', default: 3, min: 1, description: 'interleaved rounds' },
  'manual-timeout-s': { type: 'number', default: 60, min: 1, description: 'give up on the manual sqlite3 route after this many seconds' },
  database: {
    type: 'string',
    default: '',
    description: 'postgres://… of a server: bench the PostgreSQL backup on a scratch database there',
  },
  transfers: { type: 'number', default: 200_000, min: 1, description: 'PostgreSQL only: transfers in the scratch database' },
  json: { type: 'boolean', description: 'accepted for older callers: the JSON line is always printed' },
});
const sizeMb = values['size-mb'];
const rounds = values.rounds;
const manualTimeoutS = values['manual-timeout-s'];
const say = (line: string) => process.stderr.write(`[bench:backup] ${line}\n`);
const OUT = path.join(CACHE, 'out');

// Everything this run started, for the cleanup on a signal or a failure.
const running = new Set<ChildProcess>();
let writerChild: ChildProcess | undefined;
function stopEverything(): void {
  for (const child of running) child.kill('SIGKILL');
  // SIGKILL ends a writer paused (SIGSTOP) for the manual route too.
  if (writerChild && writerChild.exitCode === null && writerChild.signalCode === null) writerChild.kill('SIGKILL');
  fs.rmSync(OUT, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping the writer and the running variant, removing ${OUT}`);
    stopEverything();
    process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129);
  });
}

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
      addTransfer.run(
        crypto.randomUUID(),
        from,
        from === to ? users[(rows + 1) % users.length] : to,
        100 + (rows % 10_000),
        `bench transfer ${rows} ${crypto.randomBytes(24).toString('base64')}`,
        crypto.randomUUID(),
        crypto.randomBytes(32).toString('hex'),
        now - rows,
        now - rows + 1,
      );
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

interface Writer {
  pause(): void;
  resume(): void;
  /** Resolves to the commits made and the seconds the writer ran (paused time included). */
  stop(): Promise<{ commits: number; seconds: number }>;
}

function startWriter(file: string): Promise<Writer> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'backup-writer.mjs'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  writerChild = child;
  let output = '';
  let started = 0;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const writer: Writer = {
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () =>
          resolve({ commits: Number(output.trim().split('\n').pop()), seconds: (performance.now() - started) / 1000 }),
        );
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => {
      started = performance.now();
      say(`writer started (pid ${child.pid})`);
      resolve(writer);
    });
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
}

interface Run {
  seconds: number;
  stdout: string;
  timedOut: boolean;
}

/** Runs COMMAND to its end (asynchronously, so that a signal is handled at once) and times it. */
function timed(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutS?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    running.add(child);
    let stdout = '';
    let timedOut = false;
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = options.timeoutS
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, options.timeoutS * 1000)
      : undefined;
    child.once('error', (error) => {
      running.delete(child);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (!timedOut && code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stdout}`));
      else resolve({ seconds, stdout, timedOut });
    });
  });
}

/** sqlite3 OUT "PRAGMA …": must print ok. */
async function cliCheck(file: string, pragma: 'integrity_check' | 'quick_check'): Promise<number> {
  const run = await timed('sqlite3', [file, `PRAGMA ${pragma}`]);
  if (run.stdout.trim() !== 'ok') throw new Error(`sqlite3 ${file} PRAGMA ${pragma}: ${run.stdout}`);
  return run.seconds;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (x: number) => x.toFixed(2);
const round3 = (x: number) => Number(x.toFixed(3));

type Figure =
  | 'cpSync'
  | 'backupProper'
  | 'backupShFull'
  | 'backupShQuick'
  | 'manualCopy'
  | 'manualFull'
  | 'manualQuick'
  | 'vacuumInto'
  | 'vacuumIntoFull';

async function main() {
  // The manual route needs Debian's sqlite3 CLI: refuse at once rather than after building a 1 GB database.
  const cli = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  if (cli.error || cli.status !== 0) {
    throw new Error(
      `the sqlite3 CLI is needed for the manual route and was not found on PATH (Debian: apt-get install sqlite3): ${cli.error?.message ?? cli.stderr}`,
    );
  }
  say(`sqlite3 ${cli.stdout.split(' ')[0]}`);
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `backup-${sizeMb}mb.db`);
  if (!fs.existsSync(file)) await buildDatabase(file);
  else say(`reusing ${file}`);
  const out = OUT;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  const clear = () => {
    for (const name of fs.readdirSync(out)) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  };
  const backupEnv = (verify: 'full' | 'quick'): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: `file:${file}`,
      BACKUP_DIR: out,
      BACKUP_RETENTION_DAYS: '30',
      BACKUP_VERIFY: verify,
    };
    delete env.BACKUP_COMPRESS;
    return env;
  };
  const loadBefore = os.loadavg();

  const writer = await startWriter(file);
  const figures: Record<Figure, number[]> = {
    cpSync: [],
    backupProper: [],
    backupShFull: [],
    backupShQuick: [],
    manualCopy: [],
    manualFull: [],
    manualQuick: [],
    vacuumInto: [],
    vacuumIntoFull: [],
  };
  const phases: Record<string, Record<string, number[]>> = { full: {}, quick: {} };
  let manualUnderWrites: { seconds: number; finished: boolean } | undefined;
  let written: { commits: number; seconds: number } | undefined;
  try {
    // Warm-up: the database in the page cache once, as it is for the app's own reads.
    await timed('cp', [file, path.join(out, 'warmup.db')]);
    clear();

    const copy = path.join(out, 'copy.db');
    const variants: Record<string, () => Promise<void>> = {
      async cpSync() {
        figures.cpSync.push((await timed('cp', [file, copy])).seconds + (await timed('sync', [copy])).seconds);
        clear();
      },
      async backupProper() {
        figures.backupProper.push((await timed(process.execPath, [SQLITE_BACKUP, file, copy, '--checksum', '--verify', 'none'])).seconds);
        clear();
      },
      backupShFull: () => backupSh('full'),
      backupShQuick: () => backupSh('quick'),
      async manual() {
        writer.pause();
        try {
          const seconds = (await timed('sqlite3', [file, `.backup '${copy}'`])).seconds;
          figures.manualCopy.push(seconds);
          figures.manualFull.push(seconds + (await cliCheck(copy, 'integrity_check')));
          figures.manualQuick.push(seconds + (await cliCheck(copy, 'quick_check')));
        } finally {
          writer.resume();
        }
        clear();
      },
      async vacuumInto() {
        const seconds = (await timed('sqlite3', [file, `VACUUM INTO '${copy}'`])).seconds;
        figures.vacuumInto.push(seconds);
        figures.vacuumIntoFull.push(seconds + (await cliCheck(copy, 'integrity_check')));
        clear();
      },
    };
    async function backupSh(verify: 'full' | 'quick') {
      const run = await timed('bash', [path.join(ROOT, 'scripts/backup.sh')], { env: backupEnv(verify) });
      figures[verify === 'full' ? 'backupShFull' : 'backupShQuick'].push(run.seconds);
      const { phasesMs } = JSON.parse(run.stdout) as { phasesMs: Record<string, number> };
      for (const [phase, ms] of Object.entries(phasesMs)) (phases[verify]![phase] ??= []).push(ms / 1000);
      clear();
    }

    const names = Object.keys(variants);
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      for (const name of order) await variants[name]!();
      say(
        `round ${round + 1}/${rounds} (${order.join(', ')}): cp+sync ${fmt(figures.cpSync.at(-1)!)} s, backup proper ${fmt(figures.backupProper.at(-1)!)} s, ` +
          `backup.sh full ${fmt(figures.backupShFull.at(-1)!)} s / quick ${fmt(figures.backupShQuick.at(-1)!)} s, ` +
          `manual (writer paused) ${fmt(figures.manualFull.at(-1)!)} s / quick ${fmt(figures.manualQuick.at(-1)!)} s, VACUUM INTO + check ${fmt(figures.vacuumIntoFull.at(-1)!)} s`,
      );
    }

    say(`the manual .backup once under the writer (up to ${manualTimeoutS} s)…`);
    const attempt = await timed('sqlite3', [file, `.backup '${copy}'`], { timeoutS: manualTimeoutS });
    manualUnderWrites = { seconds: round3(attempt.seconds), finished: !attempt.timedOut };
    clear();
  } finally {
    written = await writer.stop();
    say(`the writer committed ${written.commits} transfers in ${fmt(written.seconds)} s during the benchmark`);
  }

  const perRound = (a: Figure, b: Figure) => figures[a].map((x, i) => x / figures[b][i]!);
  const ratios = {
    backupProperToCpSync: perRound('backupProper', 'cpSync'),
    backupShFullToManualFull: perRound('backupShFull', 'manualFull'),
    backupShQuickToManualQuick: perRound('backupShQuick', 'manualQuick'),
    backupShFullToVacuumIntoFull: perRound('backupShFull', 'vacuumIntoFull'),
  };
  const medians = Object.fromEntries(Object.entries(figures).map(([k, xs]) => [k, round3(median(xs))]));
  const ratioMedians = Object.fromEntries(Object.entries(ratios).map(([k, xs]) => [k, round3(median(xs))]));
  const phaseMedians = Object.fromEntries(
    Object.entries(phases).map(([verify, byPhase]) => [
      verify,
      Object.fromEntries(Object.entries(byPhase).map(([p, xs]) => [p, round3(median(xs))])),
    ]),
  );
  const bytes = fs.statSync(file).size;
  const spread = (f: Figure) => `${fmt(median(figures[f]))} s (${fmt(Math.min(...figures[f]))}–${fmt(Math.max(...figures[f]))})`;
  const ratio = (xs: number[]) => `${fmt(median(xs))}x (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  const verdict = (xs: number[], target: number) => (median(xs) <= target ? 'met' : 'MISSED');
  // Paused (SIGSTOP) while the manual .backup runs: the rate over the whole run is below the writer's own.
  const writerSummary = {
    commits: written!.commits,
    seconds: round3(written!.seconds),
    commitsPerSecond: Math.round(written!.commits / written!.seconds),
  };
  process.stdout.write(
    `SQLite backup of ${Math.round(bytes / 1048576)} MB, ${rounds} interleaved rounds, a writer committing every 2 ms; median (min–max):\n` +
      `  writer: ${writerSummary.commits} commits in ${fmt(writerSummary.seconds)} s, ${writerSummary.commitsPerSecond} commits/s (paused during the manual .backup)\n` +
      `  (a) cp + sync                         ${spread('cpSync')}\n` +
      `  (b) backup proper (copy+flush+sha256) ${spread('backupProper')}   ratio to (a) ${ratio(ratios.backupProperToCpSync)}: target <= 1.5 ${verdict(ratios.backupProperToCpSync, 1.5)}\n` +
      `  (c) backup.sh BACKUP_VERIFY=full      ${spread('backupShFull')}   ratio to (d) ${ratio(ratios.backupShFullToManualFull)}: target <= 1.0 ${verdict(ratios.backupShFullToManualFull, 1)}\n` +
      `      backup.sh BACKUP_VERIFY=quick     ${spread('backupShQuick')}   ratio to (d) quick ${ratio(ratios.backupShQuickToManualQuick)}: target <= 1.0 ${verdict(ratios.backupShQuickToManualQuick, 1)}\n` +
      `  (d) sqlite3 .backup + integrity_check ${spread('manualFull')}   (.backup alone ${spread('manualCopy')}; writer paused)\n` +
      `      sqlite3 .backup + quick_check     ${spread('manualQuick')}\n` +
      `      sqlite3 .backup under the writer  ${manualUnderWrites!.finished ? `finished in ${fmt(manualUnderWrites!.seconds)} s` : `did NOT finish in ${manualTimeoutS} s (stopped)`}\n` +
      `  (e) VACUUM INTO + integrity_check     ${spread('vacuumIntoFull')}   (VACUUM INTO alone ${spread('vacuumInto')}); (c) full to (e) ${ratio(ratios.backupShFullToVacuumIntoFull)}\n` +
      `  backup.sh phases, median s (after the copy, flush/checksum/verify run at once): full ${JSON.stringify(phaseMedians.full)}, quick ${JSON.stringify(phaseMedians.quick)}\n` +
      `  load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} (${os.cpus().length} cores)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ sizeBytes: bytes, rounds, seconds: medians, ratios: ratioMedians, perRound: figures, phasesSeconds: phaseMedians, manualUnderWrites, writer: writerSummary, loadAverage: { before: loadBefore, after: os.loadavg() } })}\n`,
  );
  fs.rmSync(out, { recursive: true, force: true });
}

if (values.database && !/^postgres(ql)?:\/\//.test(values.database)) {
  say(`--database must be a postgres:// URL, got "${values.database}"`);
  process.exit(2);
}
const run = values.database
  ? import('./backup-postgres').then(({ benchPostgres }) => benchPostgres(values.database, { transfers: values.transfers, rounds }))
  : main();
run.catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  stopEverything();
  process.exit(1);
});
