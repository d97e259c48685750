// The SQLite backup is a file-level copy of the database and its WAL under one held read snapshot, replayed into
// a stand-alone file. Commits that live only in the WAL (not yet checkpointed, the app still running) must be in
// the backup, and Debian's sqlite3 CLI, an independent reader, must find the copy intact and complete.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupSummary, createTestDatabase, failureLine, runScript, seedAppData, sqliteFile, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sqlite3 = (file: string, sql: string) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();

/** A process that commits ROWS rows into the WAL with checkpoints off, then keeps the database open (as the app
 *  does), so the rows stay in the WAL only. */
function walHolder(file: string, rows: number): Promise<ChildProcess> {
  const code = `
    const D = require('better-sqlite3');
    const db = new D(process.argv[1]);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    const insert = db.prepare("INSERT INTO wal_only (payload) VALUES (?)");
    for (let i = 0; i < ${rows}; i++) insert.run('in the WAL ' + i);
    console.log('ready');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code, file], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (exitCode) => reject(new Error(`holder exited with ${exitCode}`)));
  });
}

describe('SQLite backup: file-level copy under a read snapshot', () => {
  it('includes commits that are only in the WAL; the copy stands alone and the sqlite3 CLI finds it intact', async () => {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 400);
    const file = sqliteFile(source.url);
    const db = new SQLite(file);
    db.exec('CREATE TABLE wal_only (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    db.close();

    await walHolder(file, 500);
    // The rows are committed but not in the database file: the WAL holds them.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(sqlite3(file, 'SELECT count(*) FROM wal_only')).toBe('500');

    const dir = tempDir('drop-backup-snapshot-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: dir }));
    expect(summary).toMatchObject({ integrity: 'ok', check: 'integrity_check', verify: 'full' });
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(summary.file), `${path.basename(summary.file)}.sha256`].sort());

    // An independent reader of the copy: Debian's sqlite3 CLI.
    expect(sqlite3(summary.file, 'PRAGMA integrity_check')).toBe('ok');
    expect(sqlite3(summary.file, 'PRAGMA journal_mode')).toBe('delete');
    expect(sqlite3(summary.file, 'SELECT count(*) FROM wal_only')).toBe('500');
    expect(sqlite3(summary.file, 'SELECT count(*) FROM transfers')).toBe('400');
    expect(fs.readdirSync(dir)).toHaveLength(2); // reading it left no -wal/-shm/-journal
  });

  it('the held snapshot: a checkpoint that restarts the WAL between the database copy and the WAL copy cannot tear the copy', async () => {
    const dir = tempDir('drop-backup-restart-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'live.db');
    // The app's side: WAL mode, no automatic checkpoint, 500 commits that live only in the WAL.
    const db = new SQLite(file);
    cleanups.push(() => void (db.open && db.close()));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE ledger (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO ledger (payload) VALUES (randomblob(300))');
    const commit = (n: number) => {
      for (let i = 0; i < n; i++) insert.run();
    };
    commit(500);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const out = path.join(dir, 'backups');
    const pause = path.join(dir, 'pause');
    const running = runScript('backup.sh', [], { DATABASE_URL: `file:${file}`, BACKUP_DIR: out, BACKUP_TEST_PAUSE_AFTER_DB_COPY: pause });
    for (let waited = 0; !fs.existsSync(`${pause}.paused`); waited += 20) {
      if (waited > 20_000) throw new Error('backup.sh never reached the pause');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The database file is copied, its WAL not yet. Commit, then try to move every frame into the database file
    // and restart the WAL, then commit into the restarted WAL: without the snapshot, the WAL copied next would
    // lack the 500 frames the copied database file lacks too.
    commit(100);
    db.pragma('busy_timeout = 0');
    const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    commit(100);
    fs.writeFileSync(`${pause}.resume`, '');
    const summary = backupSummary(await running);
    expect(checkpoint!.busy).toBe(1); // the backup's read snapshot kept the WAL from being restarted

    // The copy is the database as of one commit at or after the backup started, and the sqlite3 CLI agrees.
    expect(sqlite3(summary.file, 'PRAGMA integrity_check')).toBe('ok');
    const [count, max] = sqlite3(summary.file, 'SELECT count(*), max(id) FROM ledger').split('|').map(Number);
    expect(count).toBe(max);
    expect([500, 600, 700]).toContain(count);
  });

  it.each([
    ['full', 'integrity_check'],
    ['quick', 'quick_check'],
  ])('BACKUP_VERIFY=%s runs PRAGMA %s and says so in the summary', async (verify, check) => {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 50);
    const dir = tempDir('drop-backup-verify-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const result = await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: dir, BACKUP_VERIFY: verify });
    expect(backupSummary(result)).toMatchObject({ integrity: 'ok', check, verify });
    expect(result.stderr).toContain(`PRAGMA ${check}`);
  });

  it('an index that no longer matches its table: quick passes it (exit 0), full refuses it (exit 3, nothing kept)', async () => {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 50);
    const file = sqliteFile(source.url);
    // The index's SQL now names other columns than the b-tree was built from: every page and record is sound
    // (quick_check) but no row is found in the index (integrity_check).
    const db = new SQLite(file);
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = 'CREATE INDEX transfers_to_created ON transfers (note, amount_cents)' WHERE name = ?").run(
      'transfers_to_created',
    );
    db.pragma('writable_schema = OFF');
    db.close();
    expect(sqlite3(file, 'PRAGMA quick_check')).toBe('ok');
    expect(sqlite3(file, 'PRAGMA integrity_check')).toMatch(/missing from index transfers_to_created/);

    const quickDir = tempDir('drop-backup-quick-');
    cleanups.push(() => fs.rmSync(quickDir, { recursive: true, force: true }));
    const quick = await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: quickDir, BACKUP_VERIFY: 'quick' });
    expect(backupSummary(quick)).toMatchObject({ integrity: 'ok', check: 'quick_check', verify: 'quick' });

    const fullDir = tempDir('drop-backup-full-');
    cleanups.push(() => fs.rmSync(fullDir, { recursive: true, force: true }));
    const full = await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: fullDir, BACKUP_VERIFY: 'full' });
    expect(full.code).toBe(3);
    expect(full.stderr).toMatch(/failed PRAGMA integrity_check: .*missing from index transfers_to_created/);
    expect(full.stderr.match(/failed PRAGMA integrity_check/g)).toHaveLength(1); // said once, not by each layer
    expect(failureLine(full).message).toMatch(/^the copy failed PRAGMA integrity_check: .*missing from index transfers_to_created/);
    expect(fs.readdirSync(fullDir)).toEqual([]);
  });

  it('a database that is not SQLite: exit 2, nothing left in BACKUP_DIR', async () => {
    const dir = tempDir('drop-backup-notdb-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bogus = path.join(dir, 'bogus.db');
    fs.writeFileSync(bogus, 'this is not a SQLite database'.repeat(200));
    const out = path.join(dir, 'out');
    const result = await runScript('backup.sh', [], { DATABASE_URL: `file:${bogus}`, BACKUP_DIR: out });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SQLite backup of .*bogus\.db into .* failed/);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
