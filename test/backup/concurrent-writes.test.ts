// A backup taken while another process inserts continuously is one consistent snapshot, taken without
// stopping the writer: it opens, passes its integrity check, and holds a row count between the counts
// seen just before and just after it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, type TestDatabase } from '../helpers/databases';
import { backupSummary, countRows, createTestDatabase, postgresDatabaseUrl, runScript, sqliteFile, tempDir } from './helpers';

const PREFILL_ROWS = 60_000; // ~15 MB of SQLite pages: the backup takes many steps while the writer runs

async function createProbeTable(test: TestDatabase): Promise<void> {
  const payload = 'x'.repeat(200);
  if (test.dialect === 'sqlite') {
    const db = new SQLite(sqliteFile(test.url));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE backup_probe (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO backup_probe (payload) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < PREFILL_ROWS; i++) insert.run(payload);
    })();
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: test.url });
  await client.connect();
  await client.query('CREATE TABLE backup_probe (id bigserial PRIMARY KEY, payload text NOT NULL)');
  await client.query('INSERT INTO backup_probe (payload) SELECT $1 FROM generate_series(1, $2::int)', [payload, PREFILL_ROWS]);
  await client.end();
}

function startWriter(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/continuous-writer.mjs'), url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
  });
}

function stopWriter(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe.each(DIALECTS)('backup.sh while another process writes (%s)', (dialect) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('takes a consistent snapshot between the counts before and after, without stopping the writer', async () => {
    const test = await createTestDatabase(dialect);
    cleanups.push(() => test.drop());
    await createProbeTable(test);
    const backupDir = tempDir('drop-backup-dir-');
    cleanups.push(() => fs.rmSync(backupDir, { recursive: true, force: true }));

    const writer = await startWriter(test.url);
    cleanups.push(() => stopWriter(writer));
    const before = await countRows(test.url, 'backup_probe');
    const result = await runScript('backup.sh', [], { DATABASE_URL: test.url, BACKUP_DIR: backupDir });
    const after = await countRows(test.url, 'backup_probe');
    await stopWriter(writer);

    const summary = backupSummary(result);
    expect(summary.integrity).toBe('ok');
    expect(after).toBeGreaterThan(before); // the writer really ran during the backup

    // Open the backup itself: SQLite directly; a PostgreSQL dump by restoring it into a fresh database.
    let inBackup: number;
    if (dialect === 'sqlite') {
      const db = new SQLite(summary.file, { readonly: true, fileMustExist: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      inBackup = (db.prepare('SELECT count(*) AS n FROM backup_probe').get() as { n: number }).n;
      db.close();
    } else {
      const copy = postgresDatabaseUrl(`${new URL(test.url).pathname.slice(1)}_copy`);
      cleanups.push(() => copy.drop());
      const restored = await runScript('restore.sh', [summary.file], { DATABASE_URL: copy.url });
      expect(restored.code, restored.stderr).toBe(0);
      inBackup = await countRows(copy.url, 'backup_probe');
    }
    expect(inBackup).toBeGreaterThanOrEqual(before);
    expect(inBackup).toBeLessThanOrEqual(after);
  });
});
