// `restore.sh --drill FILE`: restores a backup into a scratch database, runs the integrity check and audit:verify on
// it, prints one summary sentence and one JSON line, and leaves nothing behind. A damaged backup and a tampered
// audit chain fail it with exit 3 and say which check failed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditEntry } from '@audit';
import { TEST_AUDIT_MAC_KEYS } from '../helpers/app-server';
import { asDatabaseOwner } from '../helpers/audit-owner';
import { DIALECTS, openTestDatabase, postgresAdminUrl, type DialectName, type TestDatabase } from '../helpers/databases';
import { backupSummary, contentSnapshot, createTestDatabase, failureLine, runScript, seedAppData, tempDir } from './helpers';

const AUDIT_ENTRIES = 20;

interface DrillSummary {
  drill: string;
  dialect: DialectName;
  ok: boolean;
  failed: string | null;
  message: string;
  checksum: string | null;
  integrity: string | null;
  check: string | null;
  audit: { ok: boolean; entries: number; lastId: number | null } | null;
  durationMs: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A database with transfers and an audit chain of AUDIT_ENTRIES entries, backed up by backup.sh. */
async function backedUp(dialect: DialectName, tamper?: 'source-chain') {
  const source = await createTestDatabase(dialect);
  cleanups.push(() => source.drop());
  await seedAppData(source, 300);
  const handle = await openTestDatabase(source);
  try {
    for (let i = 1; i <= AUDIT_ENTRIES; i++) {
      await handle.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
            () => undefined,
            { macKeys: TEST_AUDIT_MAC_KEYS },
          ),
        );
    }
    if (tamper === 'source-chain') {
      await asDatabaseOwner(handle, async (db) => {
        await db.updateTable('audit_log').set({ user_id: 'someone-else' }).where('id', '=', 7).execute();
      });
    }
  } finally {
    await handle.close();
  }
  const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: scratch('drop-drill-backups-') }));
  return { source, summary };
}

/** Runs the drill with its scratch space in a fresh TMPDIR, so the test can see it is left empty. */
async function drill(file: string, source: TestDatabase) {
  const tmp = scratch('drop-drill-tmp-');
  const env: Record<string, string> = { TMPDIR: tmp };
  if (source.dialect === 'postgres') env.DATABASE_URL = source.url;
  const result = await runScript('restore.sh', ['--drill', file], env);
  const lines = result.stdout.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  // The scratch copy is gone, whatever the outcome (tsx may keep its compile cache there).
  expect(fs.readdirSync(tmp).filter((name) => name.startsWith('drop-drill-'))).toEqual([]);
  if (source.dialect === 'postgres') expect(await drillDatabases(source)).toEqual([]);
  return { ...result, summary: JSON.parse(lines[0]!) as DrillSummary };
}

async function drillDatabases(source: TestDatabase): Promise<string[]> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    const name = new URL(source.url).pathname.slice(1);
    const rows = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${name}_drill_%`]);
    return rows.rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

/** Rewrites FILE.sha256 for FILE's current bytes: damage that happened before the checksum was taken. */
function resign(file: string): void {
  const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(`${file}.sha256`, `${digest}  ${path.basename(file)}\n`);
}

describe.each(DIALECTS)('restore drill (%s)', (dialect) => {
  it('a good backup: checksum, integrity and audit chain pass; one sentence, one JSON line; the live database untouched', async () => {
    const { source, summary } = await backedUp(dialect);
    const before = await contentSnapshot(source.url);
    const result = await drill(summary.file, source);
    expect(result.code, result.stderr).toBe(0);
    expect(result.summary).toMatchObject({
      drill: summary.file,
      dialect,
      ok: true,
      failed: null,
      checksum: 'ok',
      integrity: 'ok',
      check: dialect === 'sqlite' ? 'integrity_check' : 'pg_restore',
      audit: { ok: true, entries: AUDIT_ENTRIES, lastId: AUDIT_ENTRIES },
      bytes: summary.bytes,
    });
    expect(result.stderr).toMatch(
      new RegExp(
        `\\[drill\\] drill ok: ${path.basename(summary.file).replace(/\./g, '\\.')} restores; checksum ok, .*audit chain intact \\(${AUDIT_ENTRIES} entries, newest #${AUDIT_ENTRIES}\\)`,
      ),
    );
    expect(await contentSnapshot(source.url)).toEqual(before);
  });

  it('a backup of a tampered audit chain: exit 3, the audit check named, the broken entry given', async () => {
    const { source, summary } = await backedUp(dialect, 'source-chain');
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'audit', checksum: 'ok', integrity: 'ok', audit: { ok: false, entries: 6 } });
    expect(result.summary.message).toMatch(/audit chain BROKEN at entry 7 \(hash_mismatch\)/);
    expect(result.stderr).toMatch(/drill FAILED at the audit check/);
  });
});

describe('restore drill on damaged SQLite backups', () => {
  it('damaged pages under a matching checksum: exit 3 at the integrity check', async () => {
    const { source, summary } = await backedUp('sqlite');
    const bytes = fs.readFileSync(summary.file);
    const pageSize = bytes.readUInt16BE(16);
    const page = Math.floor(bytes.length / pageSize / 2);
    bytes.fill(0x5a, page * pageSize, (page + 1) * pageSize);
    fs.writeFileSync(summary.file, bytes);
    resign(summary.file);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'integrity', checksum: 'ok', audit: null });
    expect(result.summary.integrity).not.toBe('ok');
    expect(result.summary.message).toMatch(/^PRAGMA integrity_check: /);
    expect(result.stderr).toMatch(/drill FAILED at the integrity check/);
  });

  it('bytes changed after the checksum: exit 3 at the checksum, nothing else run', async () => {
    const { source, summary } = await backedUp('sqlite');
    const fd = fs.openSync(summary.file, 'r+');
    fs.writeSync(fd, Buffer.from('garbage'), 0, 7, 20_000);
    fs.closeSync(fd);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'checksum', checksum: 'mismatch', integrity: null, audit: null });
    expect(result.summary.message).toMatch(/checksum mismatch/);
  });

  it('an audit row changed inside the backup file, checksum re-signed: integrity passes, exit 3 at the audit check', async () => {
    const { source, summary } = await backedUp('sqlite');
    const db = new SQLite(summary.file, { fileMustExist: true });
    const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").all() as {
      name: string;
      sql: string;
    }[];
    expect(triggers.length).toBeGreaterThan(0); // the append-only triggers are in the backup too
    for (const trigger of triggers) db.exec(`DROP TRIGGER ${trigger.name}`);
    db.prepare("UPDATE audit_log SET resource = 'user:forged' WHERE id = 12").run();
    for (const trigger of triggers) db.exec(trigger.sql);
    db.close();
    resign(summary.file);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({
      ok: false,
      failed: 'audit',
      checksum: 'ok',
      integrity: 'ok',
      audit: { ok: false, entries: 11 },
    });
    expect(result.summary.message).toMatch(/audit chain BROKEN at entry 12/);
  });

  it('no .sha256: exit 3 at the checksum', async () => {
    const { source, summary } = await backedUp('sqlite');
    fs.rmSync(`${summary.file}.sha256`);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'checksum' });
    expect(result.summary.message).toMatch(/\.sha256 is missing/);
  });
});

describe('restore drill of a damaged PostgreSQL dump (postgres)', () => {
  it('bytes changed after the checksum: exit 3 at the checksum, no scratch database created', async () => {
    const { source, summary } = await backedUp('postgres');
    const fd = fs.openSync(summary.file, 'r+');
    fs.writeSync(fd, Buffer.from('garbage'), 0, 7, Math.floor(summary.bytes / 2));
    fs.closeSync(fd);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'checksum', checksum: 'mismatch', integrity: null, audit: null });
    expect(result.summary.message).toMatch(/checksum mismatch/);
    expect(result.stderr).not.toMatch(/restoring .* into the scratch database/);
  });

  it('a dump cut short before its table of contents, re-signed: exit 3, pg_restore --list refuses it', async () => {
    const { source, summary } = await backedUp('postgres');
    fs.writeFileSync(summary.file, fs.readFileSync(summary.file).subarray(0, 100));
    resign(summary.file);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({ ok: false, failed: 'integrity', checksum: 'ok', audit: null });
    expect(result.summary.message).toMatch(/does not pass pg_restore --list/);
  });

  it('a dump cut short in its data, re-signed: the list reads, the restore fails, exit 3, the scratch database dropped', async () => {
    const { source, summary } = await backedUp('postgres');
    fs.writeFileSync(summary.file, fs.readFileSync(summary.file).subarray(0, summary.bytes - 2000));
    resign(summary.file);
    const result = await drill(summary.file, source);
    expect(result.code).toBe(3);
    expect(result.summary).toMatchObject({
      ok: false,
      failed: 'integrity',
      checksum: 'ok',
      integrity: 'failed',
      check: 'pg_restore',
      audit: null,
    });
    expect(result.summary.message).toMatch(/^pg_restore into .*_drill_.* failed$/);
  });
});

describe('restore drill: what the audit step says (sqlite)', () => {
  it('an empty audit chain: ok, and the sentence says empty rather than "newest #0"', async () => {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 10);
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: scratch('drop-drill-empty-') }));
    const result = await drill(summary.file, source);
    expect(result.code, result.stderr).toBe(0);
    expect(result.summary).toMatchObject({ ok: true, audit: { ok: true, entries: 0, lastId: null } });
    expect(result.stderr).toMatch(/drill ok: .*audit chain empty \(0 entries\) \(\d+\.\d s\)/);
    expect(result.stderr).not.toMatch(/newest #/);
  });

  it("audit:verify cannot check (not the app's database): exit 2, its reason in the summary", async () => {
    const dir = scratch('drop-drill-notapp-');
    const file = path.join(dir, 'drop-20261205T000000Z.db');
    const db = new SQLite(file);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    db.close();
    resign(file);
    const result = await drill(file, { dialect: 'sqlite' } as TestDatabase);
    expect(result.code).toBe(2);
    expect(result.summary).toMatchObject({ ok: false, failed: 'audit', checksum: 'ok', integrity: 'ok', audit: null });
    expect(result.summary.message).toMatch(/^npm run audit:verify could not check the restored copy \(exit 2\): no such table: audit_/);
  });
});

describe('restore drill usage', () => {
  it('no file, or a file that is not a backup: exit 1 with a message', async () => {
    const dir = scratch('drop-drill-usage-');
    const noFile = await runScript('restore.sh', ['--drill'], {});
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/usage: scripts\/restore.sh --drill FILE/);
    expect(failureLine(noFile).message).toMatch(/^usage: scripts\/restore.sh --drill FILE/);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const notBackup = await runScript('restore.sh', ['--drill', path.join(dir, 'notes.txt')], {});
    expect(notBackup.code).toBe(1);
    expect(notBackup.stderr).toMatch(/is not a backup made by scripts\/backup.sh/);
    expect(failureLine(notBackup).message).toMatch(/notes\.txt is not a backup made by scripts\/backup.sh/);
  });
});
