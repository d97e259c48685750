// Retention deletes backup.sh's own files older than BACKUP_RETENTION_DAYS, and nothing else.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases';
import { backupSummary, createTestDatabase, runScript, seedAppData, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function place(dir: string, name: string, age: string): void {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, name);
  execFileSync('touch', ['-d', age, file]);
}

const OLD = '40 days ago';
const RECENT = '29 days ago';

// This script's files, old enough to go.
const EXPIRED = [
  'drop-20200101T000000Z.db',
  'drop-20200101T000000Z.db.sha256',
  'drop-20200102T030405Z.db.gz',
  'drop-20200102T030405Z.db.gz.sha256',
  'drop-20200103T000000Z.dump',
  'drop-20200103T000000Z.dump.sha256',
  'drop-20200104T000000Z.db.sha256', // a checksum whose backup is already gone
];
// Everything that must stay: this script's recent files, and anything it did not make, however old.
const KEPT_OLD = [
  'notes.txt',
  'drop.db',
  'drop-latest.db',
  'drop-20200101T000000Z.db.bak',
  'drop-20200101T000000Z.db.gz.tmp',
  'drop-2020010T000000Z.db',
  'drop-20200101T000000.db',
  'xdrop-20200101T000000Z.db',
  'other-20200101T000000Z.dump',
  'DROP-20200101T000000Z.DB',
  '.drop-20200101T000000Z.db.partial-123',
  'nested/drop-20200101T000000Z.db',
];
const KEPT_RECENT = ['drop-20261001T000000Z.db', 'drop-20261001T000000Z.db.sha256'];

describe.each(DIALECTS)('retention (%s)', (dialect) => {
  it(`deletes only backup.sh's files older than BACKUP_RETENTION_DAYS`, async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    await seedAppData(db, 10);
    const dir = tempDir('drop-retention-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    for (const name of [...EXPIRED, ...KEPT_OLD]) place(dir, name, OLD);
    for (const name of KEPT_RECENT) place(dir, name, RECENT);
    fs.mkdirSync(path.join(dir, 'drop-20190101T000000Z.db'));
    execFileSync('touch', ['-d', OLD, path.join(dir, 'drop-20190101T000000Z.db')]);
    fs.symlinkSync(path.join(dir, 'notes.txt'), path.join(dir, 'drop-20190202T000000Z.db'));

    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '30' }));
    expect(summary.retentionDeleted).toBe(3);

    const left = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
    const made = [path.basename(summary.file), `${path.basename(summary.file)}.sha256`];
    expect(left).toEqual([...KEPT_OLD, ...KEPT_RECENT, ...made, 'nested', 'drop-20190101T000000Z.db', 'drop-20190202T000000Z.db'].sort());
  });

  it('BACKUP_RETENTION_DAYS=0 keeps everything', async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    await seedAppData(db, 10);
    const dir = tempDir('drop-retention-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    place(dir, 'drop-20000101T000000Z.db', '9000 days ago');
    const summary = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '0' }));
    expect(summary.retentionDeleted).toBe(0);
    expect(fs.existsSync(path.join(dir, 'drop-20000101T000000Z.db'))).toBe(true);
  });
});

describe('retention never runs after a failed backup', () => {
  it('a missing database leaves even expired backups alone', async () => {
    const dir = tempDir('drop-retention-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    place(dir, 'drop-20200101T000000Z.db', OLD);
    const result = await runScript('backup.sh', [], {
      DATABASE_URL: `file:${path.join(dir, 'missing.db')}`,
      BACKUP_DIR: dir,
      BACKUP_RETENTION_DAYS: '1',
    });
    expect(result.code).toBe(1);
    expect(fs.readdirSync(dir)).toEqual(['drop-20200101T000000Z.db']);
  });
});
