// backup-scheduler.sh: one JSON line per run, failures logged and retried with backoff (below the interval), a
// clean stop on SIGTERM, and an invalid interval refused before anything runs. Its OTLP events:
// scheduler-events.test.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../helpers/databases';
import { createTestDatabase, ROOT, runScript, scriptEnv, seedAppData, sqliteFile, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface RunLine {
  time: string;
  event: string;
  status: 'ok' | 'failed';
  exitCode: number;
  attempt: number;
  errorType: string | null;
  durationMs: number;
  nextRunInSeconds: number;
  backup: { file: string; integrity: string } | null;
}

/** Starts the scheduler and resolves once it has logged `runs` lines; stops it with SIGTERM. */
function runScheduler(env: Record<string, string>, runs: number, onLine?: (line: RunLine, n: number) => void) {
  const child = spawn(path.join(ROOT, 'scripts/backup-scheduler.sh'), [], {
    cwd: ROOT,
    env: scriptEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  const lines: RunLine[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let buffer = '';
  return new Promise<{ lines: RunLine[]; code: number | null; stderr: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as RunLine;
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        onLine?.(line, lines.length);
        if (lines.length === runs) child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines, code, stderr }));
  });
}

describe('backup-scheduler.sh', () => {
  it('logs every run as JSON, keeps going after a failed run, and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    await seedAppData(db, 20);
    const file = sqliteFile(db.url);
    const hidden = `${file}.away`;
    fs.renameSync(file, hidden); // the first run finds no database
    const dir = tempDir('drop-scheduler-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));

    const { lines, code, stderr } = await runScheduler(
      { DATABASE_URL: db.url, BACKUP_DIR: dir, BACKUP_INTERVAL: '1s', BACKUP_POLL: '1', BACKUP_FIRST_WAIT: '0' },
      3,
      (_line, n) => {
        if (n === 1) fs.renameSync(hidden, file); // …and the next ones do
      },
    );
    expect(code).toBe(0);
    expect(lines.map((l) => [l.status, l.exitCode, l.attempt, l.errorType])).toEqual([
      ['failed', 1, 1, 'database_not_ready'],
      ['ok', 0, 2, null],
      ['ok', 0, 1, null],
    ]);
    expect(lines[0]!.backup).toBeNull();
    expect(stderr).toContain('database not found');
    for (const line of lines) {
      expect(line.event).toBe('backup');
      expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      expect(line.nextRunInSeconds).toBeLessThanOrEqual(1);
    }
    expect(lines[1]!.backup!.integrity).toBe('ok');
    expect(fs.existsSync(lines[1]!.backup!.file)).toBe(true);
    expect(fs.existsSync(lines[2]!.backup!.file)).toBe(true);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  // A database still missing after BACKUP_FIRST_WAIT is a missed backup, retried after BACKUP_RETRY_MIN (1m), at most
  // half the interval.
  it.each([
    ['30m', 1800, 60],
    ['6h', 21600, 60],
    ['1d', 86400, 60],
    ['45', 45, 22],
    ['45s', 45, 22],
  ])('accepts BACKUP_INTERVAL=%s (%i s): the first retry in %i s', async (interval, seconds, retry) => {
    const dir = tempDir('drop-scheduler-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const { lines, stderr } = await runScheduler(
      { DATABASE_URL: `file:${path.join(dir, 'missing.db')}`, BACKUP_DIR: dir, BACKUP_INTERVAL: interval, BACKUP_FIRST_WAIT: '0' },
      1,
    );
    expect(stderr).toContain(`(${seconds}s)`);
    expect([lines[0]!.status, lines[0]!.errorType, lines[0]!.nextRunInSeconds]).toEqual(['failed', 'database_not_ready', retry]);
  });

  it.each(['', 'soon', '0', '1w', '-5', '1.5h'])('refuses BACKUP_INTERVAL=%j before running anything', async (interval) => {
    const dir = tempDir('drop-scheduler-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const env = interval === '' ? { BACKUP_INTERVAL: ' ' } : { BACKUP_INTERVAL: interval };
    const result = await runScript('backup-scheduler.sh', [], { ...env, BACKUP_DIR: path.join(dir, 'b') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('BACKUP_INTERVAL must be');
    expect(result.stdout).toBe('');
    expect(fs.existsSync(path.join(dir, 'b'))).toBe(false);
  });

  it.each([
    ['BACKUP_RETRY_MIN', '0'],
    ['BACKUP_RETRY_MAX', 'never'],
    ['BACKUP_POLL', '1w'],
    ['BACKUP_FIRST_WAIT', '-1'],
  ])('refuses %s=%j before running anything', async (name, value) => {
    const result = await runScript('backup-scheduler.sh', [], { [name]: value });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${name} must be`);
    expect(result.stdout).toBe('');
  });
});

describe('backup-scheduler.sh stopped in the middle of a backup', () => {
  it('stops the backup too, and leaves no partial file', async () => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    await (await openTestDatabase(db)).close(); // migrated: the scheduler backs up only a database the app has set up
    const sqlite = new SQLite(sqliteFile(db.url));
    sqlite.exec(`CREATE TABLE filler (data BLOB);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 16000)
      INSERT INTO filler SELECT randomblob(4000) FROM n;`); // ~64 MB
    sqlite.close();
    const dir = tempDir('drop-scheduler-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));

    // One page per step: the copy takes seconds, long enough to be caught half-way.
    const child = spawn(path.join(ROOT, 'scripts/backup-scheduler.sh'), [], {
      env: scriptEnv({ DATABASE_URL: db.url, BACKUP_DIR: dir, BACKUP_INTERVAL: '1h', BACKUP_SQLITE_STEP_PAGES: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let partial: string | undefined;
    for (let i = 0; i < 1000 && !partial; i++) {
      partial = fs.readdirSync(dir).find((name) => name.startsWith('.drop-'));
      if (!partial) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(partial).toBeDefined();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
