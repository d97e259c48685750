// The ways backup.sh and restore.sh fail: a clear message, the documented exit code, and no partial file.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases';
import { backupSummary, contentSnapshot, createTestDatabase, failureLine, runScript, seedAppData, sqliteFile, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): string {
  const dir = tempDir('drop-backup-failures-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under dir, recursively, relative to it. */
const filesUnder = (dir: string) => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('backup.sh: missing database and bad configuration → exit 1', () => {
  it('a SQLite file that does not exist', async () => {
    const dir = scratch();
    const missing = path.join(dir, 'absent.db');
    const result = await runScript('backup.sh', [], { DATABASE_URL: `file:${missing}`, BACKUP_DIR: path.join(dir, 'b') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`database not found: ${missing}`);
    expect(failureLine(result).message).toBe(`database not found: ${missing} (from DATABASE_URL=file:${missing}); nothing to back up`);
    expect(fs.existsSync(missing)).toBe(false); // never created by the backup
  });

  it('DATABASE_URL unset → ./data/drop.db relative to the working directory', async () => {
    const dir = scratch();
    const result = await runScript('backup.sh', [], {}, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`database not found: ${path.join(fs.realpathSync(dir), 'data/drop.db')}`);
  });

  it('a PostgreSQL database that does not exist → the dump fails, exit 2, nothing left', async () => {
    const dir = scratch();
    const url = new URL(process.env.DATABASE_URL_TEST ?? 'postgres://drop@127.0.0.1:1/postgres');
    url.pathname = '/drop_no_such_database';
    const result = await runScript('backup.sh', [], { DATABASE_URL: url.toString(), BACKUP_DIR: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/drop_no_such_database/);
    expect(failureLine(result).message).toBe('pg_dump failed');
    expect(filesUnder(dir)).toEqual([]);
  });

  it.each([
    [{ DATABASE_URL: 'mysql://localhost/drop' }, /DATABASE_URL must be unset/],
    [{ BACKUP_RETENTION_DAYS: 'thirty' }, /BACKUP_RETENTION_DAYS must be a whole number/],
    [{ BACKUP_COMPRESS: 'yes' }, /BACKUP_COMPRESS must be 0 or 1/],
    [{ BACKUP_VERIFY: 'none' }, /BACKUP_VERIFY must be full \(PRAGMA integrity_check\) or quick \(PRAGMA quick_check\), got "none"/],
    [{ BACKUP_VERIFY: 'integrity' }, /BACKUP_VERIFY must be full .* or quick .*, got "integrity"/],
    [{ BACKUP_PG_COMPRESS: 'fast' }, /BACKUP_PG_COMPRESS must be a gzip level from 0 \(none\) to 9, got "fast"/],
    [{ BACKUP_PG_COMPRESS: '10' }, /BACKUP_PG_COMPRESS must be a gzip level from 0 \(none\) to 9, got "10"/],
    [
      { BACKUP_PG_BINDIR: '/nonexistent', DATABASE_URL: 'postgres://drop@127.0.0.1/drop' },
      /BACKUP_PG_BINDIR=\/nonexistent has no executable pg_dump/,
    ],
  ])('%j', async (env, message) => {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    await seedAppData(db, 1);
    const dir = scratch();
    const result = await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: dir, ...env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(failureLine(result).message).toMatch(message);
    expect(filesUnder(dir)).toEqual([]);
  });
});

describe.each(DIALECTS)('backup.sh: unwritable BACKUP_DIR (%s)', (dialect) => {
  it('a BACKUP_DIR under a regular file (fails for root too) → exit 1, a message, no file anywhere', async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    await seedAppData(db, 10);
    const dir = scratch();
    fs.writeFileSync(path.join(dir, 'a-file'), 'not a directory');
    const result = await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: path.join(dir, 'a-file', 'backups') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/BACKUP_DIR=.*a-file\/backups cannot be created/);
    expect(failureLine(result).message).toMatch(/BACKUP_DIR=.*a-file\/backups cannot be created/);
    expect(filesUnder(dir)).toEqual(['a-file']);
  });

  it('a write that fails half-way (file size limit, which binds root too) → exit 2, no partial file', async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    await seedAppData(db, 3000);
    const dir = scratch();
    // `ulimit -f 32`: no file may grow past 32 KiB; the database and its dump are larger.
    const result = await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: dir }, { wrap: 'ulimit -f 32;' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(dialect === 'sqlite' ? /SQLite backup of .* failed/ : /pg_dump failed/);
    expect(failureLine(result).exitCode).toBe(2);
    expect(filesUnder(dir)).toEqual([]);
  });
});

describe('restore.sh refuses a damaged backup and touches nothing', () => {
  async function sqliteBackup() {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 2000);
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: scratch() }));
    const target = await createTestDatabase('sqlite');
    cleanups.push(() => target.drop());
    await seedAppData(target, 5);
    return { summary, target, before: await contentSnapshot(target.url) };
  }

  async function expectRefused(file: string, targetUrl: string, message: RegExp) {
    const result = await runScript('restore.sh', [file], { DATABASE_URL: targetUrl });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
    expect(failureLine(result).message).toMatch(message);
  }

  it('bytes changed after the backup → checksum mismatch, exit 3', async () => {
    const { summary, target, before } = await sqliteBackup();
    const fd = fs.openSync(summary.file, 'r+');
    fs.writeSync(fd, Buffer.from('garbage'), 0, 7, 20_000);
    fs.closeSync(fd);
    await expectRefused(summary.file, target.url, /checksum mismatch/);
    expect(await contentSnapshot(target.url)).toEqual(before);
    expect(fs.readdirSync(path.dirname(sqliteFile(target.url)))).toEqual(['drop.db']);
  });

  it('damaged pages with a matching checksum → PRAGMA integrity_check fails, exit 3', async () => {
    const { summary, target, before } = await sqliteBackup();
    const bytes = fs.readFileSync(summary.file);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite a whole page in the middle of the file (a b-tree page of the transfers table) and re-sign the
    // file, as a disk error before the checksum was taken would look.
    const page = Math.floor(bytes.length / pageSize / 2);
    bytes.fill(0x5a, page * pageSize, (page + 1) * pageSize);
    fs.writeFileSync(summary.file, bytes);
    const { createHash } = await import('node:crypto');
    fs.writeFileSync(`${summary.file}.sha256`, `${createHash('sha256').update(bytes).digest('hex')}  ${path.basename(summary.file)}\n`);
    await expectRefused(summary.file, target.url, /integrity_check/);
    expect(await contentSnapshot(target.url)).toEqual(before);
  });

  it('no .sha256 beside the backup → exit 3', async () => {
    const { summary, target } = await sqliteBackup();
    fs.rmSync(`${summary.file}.sha256`);
    await expectRefused(summary.file, target.url, /\.sha256 is missing/);
  });

  it('a truncated PostgreSQL dump with a matching checksum → pg_restore --list fails, exit 3', async () => {
    const source = await createTestDatabase('postgres');
    cleanups.push(() => source.drop());
    await seedAppData(source, 200);
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: scratch() }));
    const bytes = fs.readFileSync(summary.file).subarray(0, 100);
    fs.writeFileSync(summary.file, bytes);
    const { createHash } = await import('node:crypto');
    fs.writeFileSync(`${summary.file}.sha256`, `${createHash('sha256').update(bytes).digest('hex')}  ${path.basename(summary.file)}\n`);
    const before = await contentSnapshot(source.url);
    await expectRefused(summary.file, source.url, /pg_restore --list/);
    expect(await contentSnapshot(source.url)).toEqual(before);
  });

  it('a backup of the other dialect → exit 1', async () => {
    const { summary } = await sqliteBackup();
    const result = await runScript('restore.sh', [summary.file], { DATABASE_URL: 'postgres://drop@127.0.0.1/drop' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SQLite backup but DATABASE_URL points at PostgreSQL/);
    expect(failureLine(result).message).toMatch(/SQLite backup but DATABASE_URL points at PostgreSQL/);
  });
});
