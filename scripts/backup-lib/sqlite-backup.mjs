#!/usr/bin/env node
// Online backup of a live SQLite database: a file-level copy taken under a held read snapshot, made to stand alone,
// flushed to disk, and optionally checksummed and checked.
//
//   node sqlite-backup.mjs SOURCE DEST [--checksum] [--verify full|quick|none]
//
// Why a file-level copy is consistent: a read transaction is opened on the source first and held until the copy
// is complete. In WAL mode (the app's mode) that snapshot pins the WAL: no checkpoint may write a frame newer than
// the snapshot into the database file, and the WAL cannot be restarted, so the database file copied next holds
// only pages of the snapshot or older, and the WAL copied after it holds every frame those pages lack (plus
// perhaps newer committed ones, and a torn frame at the end that SQLite's recovery drops by its checksums).
// Opening the copy recovers its WAL; switching it to the rollback journal checkpoints every frame into it: the
// result is the database as of one commit, at or after the snapshot. In rollback-journal mode the read lock itself
// keeps writers out of the file while it is copied. The app keeps writing throughout (WAL readers never block
// writers), and unlike SQLite's backup API the copy never restarts, and runs at `cp` speed (copy_file_range).
//
// --checksum: SHA-256 of the finished copy, computed while it is flushed to disk.
// --verify: PRAGMA integrity_check (full) or quick_check (quick) on the finished copy, in another process at the
// same time as the flush and the checksum (sqlite-verify-copy.mjs); none: skip (benchmarks of the copy alone).
// stdout on success: one JSON line {"bytes","pages","walFrames","sha256","integrity","phasesMs":{…}}; progress
// (percent, MB/s) on a terminal.
// Exit codes: 0 done; 1 bad usage, source missing or unreadable; 2 the copy failed; 3 the check failed.
// On any failure DEST (and its -wal/-shm/-journal) is removed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sha256File } from './hash-file.mjs';
import { elapsed, progress } from './progress.mjs';

const TOOL = process.env.TOOL_NAME || 'backup';
const say = (line) => process.stderr.write(`[${TOOL}] ${line}\n`);
const VERIFY_MODES = ['full', 'quick', 'none'];

let args;
try {
  args = parseArgs({
    options: { checksum: { type: 'boolean', default: false }, verify: { type: 'string', default: 'full' } },
    allowPositionals: true,
  });
  if (args.positionals.length !== 2) throw new Error('SOURCE and DEST are required');
  if (!VERIFY_MODES.includes(args.values.verify)) throw new Error(`--verify must be full, quick or none, got "${args.values.verify}"`);
} catch (error) {
  say(`${error.message}; usage: sqlite-backup.mjs SOURCE DEST [--checksum] [--verify full|quick|none]`);
  process.exit(1);
}
const [source, dest] = args.positionals;
const { checksum, verify } = args.values;
const companions = (file) => [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];

class Failure extends Error {
  constructor(code, message, verdict) {
    super(message);
    this.code = code;
    this.verdict = verdict;
  }
}

/** copyFile (copy_file_range in the kernel) with the destination's growing size as progress (none for an empty
 *  file, e.g. a WAL just restarted). */
async function copyWithProgress(from, to, label) {
  const total = fs.statSync(from).size;
  if (total === 0) {
    await fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL);
    return 0;
  }
  const meter = progress(TOOL, label, total);
  const timer = setInterval(() => {
    try {
      meter.update(fs.statSync(to).size);
    } catch {
      // not created yet
    }
  }, 100);
  try {
    await fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL);
  } finally {
    clearInterval(timer);
  }
  meter.done(total);
  return total;
}

/** Test only (test/backup/sqlite-snapshot.test.ts): with BACKUP_TEST_PAUSE_AFTER_DB_COPY=PREFIX, creates
 *  PREFIX.paused between the copy of the database file and the copy of its WAL and waits for PREFIX.resume, so
 *  that a test can checkpoint and restart the WAL at the one moment the held snapshot must protect. */
async function testPause() {
  const prefix = process.env.BACKUP_TEST_PAUSE_AFTER_DB_COPY;
  if (!prefix) return;
  fs.writeFileSync(`${prefix}.paused`, '');
  while (!fs.existsSync(`${prefix}.resume`)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Copies SOURCE (and, in WAL mode, its WAL) under one held read snapshot. */
async function copySnapshot() {
  let db;
  try {
    // Opened read-write although it only reads: when the app is not running, the last connection to close must
    // checkpoint and remove the -wal/-shm that opening a WAL database creates (leftovers would make restore.sh
    // see the database as in use). fileMustExist: never create one.
    db = new Database(source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new Failure(1, `cannot open ${source}: ${error.message}`);
  }
  try {
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // starts the read transaction: the snapshot
    const bytes = await copyWithProgress(source, dest, 'copy');
    await testPause();
    const walBytes = wal && fs.existsSync(`${source}-wal`) ? await copyWithProgress(`${source}-wal`, `${dest}-wal`, 'copy WAL') : 0;
    db.exec('COMMIT');
    return { bytes, walBytes };
  } finally {
    db.close();
  }
}

/** Replays the copied WAL into the copy and leaves it in the rollback-journal mode: no -wal/-shm beside it. */
function standAlone() {
  const copy = new Database(dest, { fileMustExist: true });
  try {
    copy.pragma('synchronous = OFF'); // flushed once, below, while it is hashed
    let walFrames = 0;
    if (copy.pragma('journal_mode', { simple: true }) === 'wal') {
      walFrames = copy.pragma('wal_checkpoint(PASSIVE)')[0].log; // no other connection: checkpoints all
      copy.pragma('journal_mode = DELETE');
    }
    return { walFrames, pages: copy.pragma('page_count', { simple: true }) };
  } finally {
    copy.close();
  }
}

function timed(promise, phases, name) {
  const started = performance.now();
  return promise.then((value) => {
    phases[name] = Math.round(performance.now() - started);
    return value;
  });
}

async function check() {
  const script = path.join(import.meta.dirname, 'sqlite-verify-copy.mjs');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script, dest], {
      env: { ...process.env, BACKUP_VERIFY: verify },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const verdict = (error.stdout ?? '').trim() || error.message;
    throw new Failure(3, `the copy failed PRAGMA ${verify === 'full' ? 'integrity' : 'quick'}_check: ${verdict}`, verdict);
  }
}

async function flush() {
  const handle = await fs.promises.open(dest, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

async function main() {
  const phases = {};
  let started = performance.now();
  const { walBytes } = await copySnapshot().catch((error) => {
    throw error instanceof Failure ? error : new Failure(2, `copy of ${source} failed: ${error.message}`);
  });
  let walFrames;
  let pages;
  try {
    ({ walFrames, pages } = standAlone());
  } catch (error) {
    throw new Failure(2, `the copy of ${source} cannot be made to stand alone: ${error.message}`);
  }
  phases.copy = Math.round(performance.now() - started);
  const bytes = fs.statSync(dest).size;

  // From here the copy does not change: flushing, hashing and checking it can all run at once.
  started = performance.now();
  const meter = progress(TOOL, 'checksum', bytes);
  // The check outlasts the checksum: once the checksum's meter is done, the check's elapsed time takes its line.
  const checkLabel = `PRAGMA ${verify === 'full' ? 'integrity' : 'quick'}_check`;
  let ticker;
  let checked = false;
  const tick = () => {
    if (!checked) ticker = elapsed(TOOL, checkLabel, process.stderr, started);
  };
  const checking =
    verify === 'none'
      ? null
      : timed(check(), phases, 'verify').finally(() => {
          checked = true;
          ticker?.stop();
        });
  const hashing = checksum
    ? timed(sha256File(dest, meter.update), phases, 'checksum').finally(() => {
        meter.done(bytes);
        if (checking) tick();
      })
    : null;
  if (checking && !hashing) tick();
  const [, sha256, integrity] = await Promise.all([
    timed(flush(), phases, 'flush').catch((error) => {
      throw new Failure(2, `cannot flush ${dest} to disk: ${error.message}`);
    }),
    hashing,
    checking,
  ]);
  phases.afterCopy = Math.round(performance.now() - started);
  process.stdout.write(`${JSON.stringify({ bytes, pages, walBytes, walFrames, sha256, integrity, phasesMs: phases })}\n`);
}

main().catch((error) => {
  for (const file of companions(dest)) fs.rmSync(file, { force: true });
  const code = error instanceof Failure ? error.code : 2;
  if (error.verdict) process.stdout.write(`${error.verdict}\n`);
  say(error instanceof Failure ? error.message : `backup of ${source} failed: ${error.message}`);
  process.exit(code);
});
