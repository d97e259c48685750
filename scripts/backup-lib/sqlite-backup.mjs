#!/usr/bin/env node
// Online backup of a live SQLite database with SQLite's backup API (better-sqlite3's `backup()`).
// Usage: node sqlite-backup.mjs SOURCE DEST
//
// The copy is one consistent snapshot even while the app writes: a read transaction is opened on the source
// first and held until the last page is copied. In WAL mode (the app's mode) readers never block writers, so
// the app keeps writing; and because the snapshot never moves, the backup never restarts, however busy the
// writers are. Pages are copied in steps of BACKUP_SQLITE_STEP_PAGES so progress can be reported on stderr.
// Exit codes: 0 done, 1 source missing or unreadable, 2 the copy failed (DEST is removed).
import fs from 'node:fs';
import Database from 'better-sqlite3';

const [source, dest] = process.argv.slice(2);
const say = (line) => process.stderr.write(`[backup] ${line}\n`);

if (!source || !dest) {
  say('usage: sqlite-backup.mjs SOURCE DEST');
  process.exit(1);
}

const stepPages = Number(process.env.BACKUP_SQLITE_STEP_PAGES ?? 4096);
if (!Number.isInteger(stepPages) || stepPages < 1) {
  say(`BACKUP_SQLITE_STEP_PAGES must be a positive integer, got "${process.env.BACKUP_SQLITE_STEP_PAGES}"`);
  process.exit(1);
}

let db;
try {
  // Opened read-write although it only reads: when the app is not running, the last connection to close must
  // checkpoint and remove the -wal/-shm files that opening a WAL database creates (a read-only connection
  // cannot, and leftovers would make restore.sh see the database as in use). fileMustExist: never create one.
  db = new Database(source, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
} catch (error) {
  say(`cannot open ${source}: ${error.message}`);
  process.exit(1);
}

const PROGRESS_EVERY_MS = 2000;
let lastReport = Date.now();

try {
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_schema').get(); // starts the read transaction: the snapshot
  const result = await db.backup(dest, {
    progress({ totalPages, remainingPages }) {
      const now = Date.now();
      if (now - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = now;
        const done = totalPages - remainingPages;
        say(`${Math.floor((done / totalPages) * 100)}% (${done}/${totalPages} pages)`);
      }
      return stepPages;
    },
  });
  db.exec('COMMIT');
  db.close();
  process.stdout.write(`${JSON.stringify({ pages: result.totalPages })}\n`);
} catch (error) {
  for (const file of [dest, `${dest}-journal`]) fs.rmSync(file, { force: true });
  say(`backup of ${source} failed: ${error.message}`);
  process.exit(2);
}
