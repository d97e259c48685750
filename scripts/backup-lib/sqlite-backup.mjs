#!/usr/bin/env node
// Online backup of a live SQLite database with SQLite's backup API (better-sqlite3's `backup()`), written to disk
// and made to stand alone. Usage: node sqlite-backup.mjs SOURCE DEST
//
// The copy is one consistent snapshot even while the app writes: a read transaction is opened on the source
// first and held until the last page is copied. In WAL mode (the app's mode) readers never block writers, so
// the app keeps writing; and because the snapshot never moves, the backup never restarts, however busy the
// writers are. Pages are copied in steps of BACKUP_SQLITE_STEP_PAGES so progress can be reported on stderr.
// When this exits 0, DEST is in the rollback-journal mode (opening it leaves no -wal/-shm beside it; the app turns
// WAL back on when it opens the database) and on disk (fdatasync), so it can be checked read-only and checksummed.
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
  // Source pages are read through a memory map of the page cache instead of one pread() per page.
  // SQLite caps it at 2 GB (SQLITE_MAX_MMAP_SIZE); pages beyond that, and pages in the WAL, are read as before.
  db.pragma('mmap_size = 2147483648');
} catch (error) {
  say(`cannot open ${source}: ${error.message}`);
  process.exit(1);
}

/**
 * SQLite writes the copy page by page and fsyncs it when the last page is in; on its own that final fsync waits
 * for the whole file to reach the disk (~2 s per GB here). Flushing what is already written while the next pages
 * are copied overlaps the disk with the copy. One fdatasync at a time, on the libuv thread pool.
 */
function backgroundFlusher(file) {
  let handle;
  let pending;
  let failure;
  const flush = async () => {
    handle ??= await fs.promises.open(file, 'r');
    await handle.datasync();
  };
  return {
    kick() {
      if (pending || failure || !fs.existsSync(file)) return;
      pending = flush()
        .catch((error) => void (failure ??= error))
        .finally(() => void (pending = undefined));
    },
    /** The last flush, waited for; throws what any flush reported. */
    async finish() {
      await pending;
      if (failure) throw failure;
      await flush();
    },
    async close() {
      await pending;
      await handle?.close();
    },
  };
}

const PROGRESS_EVERY_MS = 2000;
let lastReport = Date.now();
const flusher = backgroundFlusher(dest);

try {
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_schema').get(); // starts the read transaction: the snapshot
  const result = await db.backup(dest, {
    progress({ totalPages, remainingPages }) {
      flusher.kick();
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

  // The copy carries the source's WAL flag in its header; switching it back writes page 1 only.
  const copy = new Database(dest, { fileMustExist: true });
  copy.pragma('journal_mode = DELETE');
  copy.close();
  await flusher.finish();
  await flusher.close();
  process.stdout.write(`${JSON.stringify({ pages: result.totalPages })}\n`);
} catch (error) {
  await flusher.close().catch(() => {});
  for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(`${dest}${suffix}`, { force: true });
  say(`backup of ${source} failed: ${error.message}`);
  process.exit(2);
}
