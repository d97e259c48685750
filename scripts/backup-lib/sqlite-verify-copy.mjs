#!/usr/bin/env node
// Checks a SQLite copy: PRAGMA integrity_check (BACKUP_VERIFY=full, the default) or the faster
// PRAGMA quick_check (BACKUP_VERIFY=quick: every page, record and constraint, but not whether each index matches its
// table), and prints the verdict: "ok" or the problems found.
// A copy already in the rollback-journal mode (what sqlite-backup.mjs writes) is opened read-only: not a byte
// changes, so backup.sh checksums it at the same time. A copy still flagged WAL (a backup made before that, being
// restored) is first switched to the rollback journal, so that opening it never leaves -wal/-shm files beside it;
// only for copies this tooling owns (a restore's temp file): that writes the journal-mode bytes.
// Usage: node sqlite-verify-copy.mjs FILE
// Exit codes: 0 "ok", 1 bad BACKUP_VERIFY, 3 the file is damaged or not a SQLite database.
import fs from 'node:fs';
import Database from 'better-sqlite3';

const CHECKS = { full: 'integrity_check', quick: 'quick_check' };
const mode = process.env.BACKUP_VERIFY || 'full';
const check = Object.hasOwn(CHECKS, mode) ? CHECKS[mode] : undefined;
if (!check) {
  process.stdout.write(`BACKUP_VERIFY must be full or quick, got "${process.env.BACKUP_VERIFY}"\n`);
  process.exit(1);
}

/** Header bytes 18 and 19 (file format write/read version) are 2 in a database in WAL mode. */
function flaggedWal(file) {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, header, 0, 20, 0) === 20 && (header[18] === 2 || header[19] === 2);
  } finally {
    fs.closeSync(fd);
  }
}

const [file] = process.argv.slice(2);
let db;
try {
  if (flaggedWal(file)) {
    db = new Database(file, { fileMustExist: true });
    db.pragma('journal_mode = DELETE');
  } else {
    db = new Database(file, { fileMustExist: true, readonly: true });
  }
  // The check looks every row up in every index: memory-mapped reads cut its CPU time by ~1/3 against reading
  // into SQLite's own cache, even one large enough for the whole file (docs/PERFORMANCE.md, "Backups").
  db.pragma('mmap_size = 2147483648');
  db.pragma('cache_size = -262144');
  const verdict = db
    .pragma(check)
    .map((row) => row[check])
    .join('; ');
  process.stdout.write(`${verdict}\n`);
  process.exitCode = verdict === 'ok' ? 0 : 3;
} catch (error) {
  process.stdout.write(`${error.message}\n`);
  process.exitCode = 3;
} finally {
  db?.close();
}
