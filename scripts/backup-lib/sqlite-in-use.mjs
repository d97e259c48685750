#!/usr/bin/env node
// Is this SQLite database in use? Prints the reason when it is.
// "In use" means: a -wal, -shm or -journal file lies beside it (the app runs in WAL mode and holds -wal/-shm for
// as long as any connection is open; a clean close removes them, so leftovers also mean a crash that a restore
// must not silently discard), or a write lock cannot be taken at once (a writer holds it right now).
// Usage: node sqlite-in-use.mjs FILE
// Exit codes: 0 not in use (or FILE does not exist), 4 in use, 1 FILE cannot be opened.
import fs from 'node:fs';
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
if (!fs.existsSync(file)) process.exit(0);

const companions = ['-wal', '-shm', '-journal'].map((suffix) => file + suffix).filter((f) => fs.existsSync(f));
if (companions.length > 0) {
  process.stdout.write(`${companions.join(', ')} present\n`);
  process.exit(4);
}

let db;
try {
  db = new Database(file, { fileMustExist: true, timeout: 0 });
} catch (error) {
  process.stdout.write(`cannot open ${file}: ${error.message}\n`);
  process.exit(1);
}
try {
  db.exec('BEGIN EXCLUSIVE');
  db.exec('ROLLBACK');
} catch (error) {
  if (error.code?.startsWith('SQLITE_BUSY') || error.code?.startsWith('SQLITE_LOCKED')) {
    process.stdout.write(`a write lock cannot be taken (${error.code})\n`);
    process.exitCode = 4;
  } else {
    process.stdout.write(`cannot lock ${file}: ${error.message}\n`);
    process.exitCode = 1;
  }
} finally {
  db.close();
}
