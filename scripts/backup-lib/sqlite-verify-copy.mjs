#!/usr/bin/env node
// Makes a SQLite copy stand alone and checks it: switches it to the rollback journal (so opening it never
// leaves -wal/-shm files beside it; the app turns WAL back on when it opens the database), then runs
// PRAGMA integrity_check and prints the verdict: "ok" or the problems found.
// Only for copies this tooling owns (a fresh backup, a restore's temp file): it writes the journal-mode bytes.
// Usage: node sqlite-verify-copy.mjs FILE
// Exit codes: 0 "ok", 3 the file is damaged or not a SQLite database.
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
let db;
try {
  db = new Database(file, { fileMustExist: true });
  db.pragma('journal_mode = DELETE');
  const verdict = db
    .pragma('integrity_check')
    .map((row) => row.integrity_check)
    .join('; ');
  process.stdout.write(`${verdict}\n`);
  process.exitCode = verdict === 'ok' ? 0 : 3;
} catch (error) {
  process.stdout.write(`${error.message}\n`);
  process.exitCode = 3;
} finally {
  db?.close();
}
