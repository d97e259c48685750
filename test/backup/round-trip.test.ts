// backup.sh → restore.sh gives back exactly what was backed up, on both dialects, and restore.sh keeps what it
// replaces and refuses a database in use unless told otherwise.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases';
import {
  backupSummary,
  contentSnapshot,
  createTestDatabase,
  postgresDatabaseUrl,
  runScript,
  seedAppData,
  sqliteFile,
  tempDir,
} from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function backupDir(): string {
  const dir = tempDir('drop-backup-dir-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function addTransfer(url: string, id: string): Promise<void> {
  const values = `'${id}', 'transfer', (SELECT min(id) FROM users), (SELECT max(id) FROM users), 1, 'completed', 1`;
  const sql = `INSERT INTO transfers (id, kind, from_user_id, to_user_id, amount_cents, status, created_at) VALUES (${values})`;
  if (url.startsWith('file:')) {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(sqliteFile(url));
    db.exec(sql);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(sql);
    await client.end();
  }
}

describe.each(DIALECTS)('backup → restore round trip (%s)', (dialect) => {
  it('restores into a fresh database with identical content', async () => {
    const source = await createTestDatabase(dialect);
    cleanups.push(() => source.drop());
    await seedAppData(source, 500);
    const original = await contentSnapshot(source.url);
    expect(original.transfers).toHaveLength(500);

    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: backupDir() }));
    expect(summary).toMatchObject({ dialect, integrity: 'ok', check: dialect === 'sqlite' ? 'integrity_check' : 'pg_restore --list' });
    expect(path.basename(summary.file)).toMatch(dialect === 'sqlite' ? /^drop-\d{8}T\d{6}Z\.db$/ : /^drop-\d{8}T\d{6}Z\.dump$/);
    expect(fs.readFileSync(`${summary.file}.sha256`, 'utf8')).toBe(`${summary.sha256}  ${path.basename(summary.file)}\n`);
    // Hashed while the integrity check ran: the checksum must still be that of the final bytes.
    const bytes = fs.readFileSync(summary.file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(summary.sha256);
    expect(bytes.length).toBe(summary.bytes);
    if (dialect === 'sqlite') {
      // Header bytes 18–19: 1 = rollback journal, 2 = WAL. The copy stands alone: opening it creates no -wal/-shm.
      expect([bytes[18], bytes[19]]).toEqual([1, 1]);
    }
    expect(fs.readdirSync(path.dirname(summary.file)).sort()).toEqual(
      [path.basename(summary.file), `${path.basename(summary.file)}.sha256`].sort(),
    );
    if (dialect === 'sqlite') {
      // Nobody else had the database open: the backup leaves no -wal/-shm beside it (restore.sh would see them as "in use").
      expect(fs.readdirSync(path.dirname(sqliteFile(source.url)))).toEqual(['drop.db']);
    }

    let targetUrl: string;
    if (dialect === 'sqlite') {
      const dir = tempDir('drop-restore-target-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      targetUrl = `file:${path.join(dir, 'nested', 'drop.db')}`;
    } else {
      const target = postgresDatabaseUrl(`${new URL(source.url).pathname.slice(1)}_fresh`);
      cleanups.push(() => target.drop());
      targetUrl = target.url;
    }
    const restored = await runScript('restore.sh', [summary.file], { DATABASE_URL: targetUrl });
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: summary.file, previous: null, dialect });
    expect(await contentSnapshot(targetUrl)).toEqual(original);
  });

  it('restores over a changed database, keeping the replaced one; refuses while it is in use unless --force', async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    if (dialect === 'postgres') cleanups.push(() => postgresDatabaseUrl(new URL(db.url).pathname.slice(1)).drop());
    await seedAppData(db, 50);
    const original = await contentSnapshot(db.url);
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: backupDir() }));
    await addTransfer(db.url, 'added-after-the-backup');
    const changed = await contentSnapshot(db.url);
    expect(changed).not.toEqual(original);

    // Another process holds the database open, as the running app would.
    const holderCode =
      dialect === 'sqlite'
        ? `const D=require('better-sqlite3');const d=new D(process.argv[1]);d.pragma('journal_mode = WAL');d.prepare('select 1').get();console.log('ready');setInterval(()=>{},1000)`
        : `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1]});c.on('error',()=>process.exit(0));c.connect().then(()=>console.log('ready'));setInterval(()=>{},1000)`;
    const holder = spawn(process.execPath, ['-e', holderCode, dialect === 'sqlite' ? sqliteFile(db.url) : db.url], {
      cwd: path.resolve(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => void holder.kill('SIGKILL'));
    await new Promise((resolve) => holder.stdout!.once('data', resolve));

    const refused = await runScript('restore.sh', [summary.file], { DATABASE_URL: db.url });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/in use/);
    expect(await contentSnapshot(db.url)).toEqual(changed);

    if (dialect === 'sqlite') {
      // The app crashed: its -wal/-shm stay behind. Still refused without --force; --force keeps them aside.
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      expect(fs.existsSync(`${sqliteFile(db.url)}-wal`)).toBe(true);
      expect((await runScript('restore.sh', [summary.file], { DATABASE_URL: db.url })).code).toBe(4);
    }
    const forced = await runScript('restore.sh', ['--force', summary.file], { DATABASE_URL: db.url });
    expect(forced.code, forced.stderr).toBe(0);
    const report = JSON.parse(forced.stdout) as { previous: string };
    expect(await contentSnapshot(db.url)).toEqual(original);

    // Nothing lost: the replaced database is kept, with the change made after the backup.
    const previousUrl = dialect === 'sqlite' ? `file:${report.previous}` : postgresDatabaseUrl(report.previous).url;
    if (dialect === 'sqlite') {
      expect(report.previous).toMatch(/drop\.db\.pre-restore-\d{8}T\d{6}Z$/);
      expect(fs.existsSync(`${report.previous}-wal`)).toBe(true);
    } else {
      expect(report.previous).toMatch(/_pre_restore_\d{8}t\d{6}z$/);
    }
    expect(await contentSnapshot(previousUrl)).toEqual(changed);
  });
});

describe('compressed SQLite backups', () => {
  it('BACKUP_COMPRESS=1 writes a .db.gz that restores to identical content', async () => {
    const source = await createTestDatabase('sqlite');
    cleanups.push(() => source.drop());
    await seedAppData(source, 200);
    const summary = backupSummary(
      await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: backupDir(), BACKUP_COMPRESS: '1' }),
    );
    expect(summary.file).toMatch(/\.db\.gz$/);
    expect(summary.compressed).toBe(true);
    expect(fs.readFileSync(summary.file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const dir = tempDir('drop-restore-target-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const target = `file:${path.join(dir, 'drop.db')}`;
    const restored = await runScript('restore.sh', [summary.file], { DATABASE_URL: target });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await contentSnapshot(target)).toEqual(await contentSnapshot(source.url));
    expect(fs.readdirSync(dir)).toEqual(['drop.db']);
  });
});
