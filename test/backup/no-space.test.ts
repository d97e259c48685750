// A full disk, for real: small tmpfs mounts (the tests run as root, as CI does) under backup, restore and the drill.
// What must hold: exit 2 with the words "no space", never a verdict on the backup ("corrupt", "malformed"), nothing
// left behind, the target untouched; and a copy that does not fit is an error, never a shorter file.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { copyAndSha256 } from '../../scripts/backup-lib/hash-file.mjs';
import { DIALECTS } from '../helpers/databases';
import {
  backupSummary,
  contentSnapshot,
  createTestDatabase,
  failureLine,
  runScript,
  seedAppData,
  sqliteFile,
  tempDir,
  type BackupSummary,
} from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A tmpfs of `bytes` (rounded up to pages by the kernel), unmounted afterwards. */
function smallDisk(bytes: number): string {
  const dir = tempDir('drop-small-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  cleanups.push(() => {
    execFileSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
const scratch = () => {
  const dir = tempDir('drop-no-space-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const filesUnder = (dir: string) => fs.readdirSync(dir).sort();

function expectNoSpace(result: { code: number | null; stderr: string; stdout: string }) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/no space left/);
  expect(result.stderr).not.toMatch(/corrupt|malformed|fails PRAGMA|does not decompress/i);
}

describe('copyAndSha256 (every copy in backup, restore and the drill)', () => {
  it('fails with ENOSPC when the copy does not fit, instead of storing fewer bytes than it read', async () => {
    const disk = smallDisk(3 * 1024 * 1024);
    const dir = scratch();
    const source = path.join(dir, 'four-mib');
    fs.writeFileSync(source, crypto.randomBytes(4 * 1024 * 1024));
    const target = path.join(disk, 'copy');
    await expect(copyAndSha256(source, target)).rejects.toMatchObject({ code: 'ENOSPC', message: expect.stringMatching(/no space left/) });
  });

  it('copies what fits, byte for byte, with the SHA-256 of what was written', async () => {
    const disk = smallDisk(8 * 1024 * 1024);
    const dir = scratch();
    const source = path.join(dir, 'five-mib');
    const bytes = crypto.randomBytes(5 * 1024 * 1024 + 17);
    fs.writeFileSync(source, bytes);
    const target = path.join(disk, 'copy');
    expect(await copyAndSha256(source, target)).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
  });
});

describe.each(DIALECTS)('backup.sh onto a full disk, on %s', (dialect) => {
  it('exits 2 with "no space", leaves no file, and the next backup on a roomy disk works', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase(dialect);
    cleanups.push(() => db.drop());
    await seedAppData(db, 3000);
    const disk = smallDisk(64 * 1024);
    const result = await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: disk });
    expectNoSpace(result);
    expect(failureLine(result).message).toMatch(/no space left/);
    expect(filesUnder(disk)).toEqual([]);
    expect(backupSummary(await runScript('backup.sh', [], { DATABASE_URL: db.url, BACKUP_DIR: scratch() })).ok).toBe(true);
  });
});

describe('restore.sh and restore --drill onto a full disk (SQLite)', () => {
  let backups: { plain: BackupSummary; compressed: BackupSummary } | undefined;
  const cleanupsAll: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanupsAll.reverse()) await cleanup();
  });

  async function goodBackups() {
    if (backups) return backups;
    const source = await createTestDatabase('sqlite');
    cleanupsAll.push(() => source.drop());
    await seedAppData(source, 3000);
    const dir = tempDir('drop-no-space-backups-');
    cleanupsAll.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const plain = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: dir }));
    const compressed = backupSummary(await runScript('backup.sh', [], { DATABASE_URL: source.url, BACKUP_DIR: dir, BACKUP_COMPRESS: '1' }));
    backups = { plain, compressed };
    return backups;
  }

  it.each(['plain', 'compressed'] as const)(
    'restore of a good %s backup: exit 2 "no space", the target untouched, no temporary file left',
    { timeout: 120_000 },
    async (kind) => {
      const backup = (await goodBackups())[kind];
      // The target database lives on a disk with room for itself, not for the backup.
      const small = await createTestDatabase('sqlite');
      cleanups.push(() => small.drop());
      await seedAppData(small, 5);
      const disk = smallDisk(fs.statSync(sqliteFile(small.url)).size + 96 * 1024);
      const target = path.join(disk, 'drop.db');
      fs.copyFileSync(sqliteFile(small.url), target);
      const before = await contentSnapshot(`file:${target}`);
      const bytesBefore = fs.readFileSync(target);

      const result = await runScript('restore.sh', [backup.file], { DATABASE_URL: `file:${target}` });
      expectNoSpace(result);
      expect(failureLine(result).message).toMatch(/no space left on the filesystem of .*: the target .* is untouched/);
      expect(filesUnder(disk)).toEqual(['drop.db']);
      expect(fs.readFileSync(target).equals(bytesBefore)).toBe(true);
      expect(await contentSnapshot(`file:${target}`)).toEqual(before);
    },
  );

  it.each(['plain', 'compressed'] as const)(
    'a drill of a good %s backup with no room for its scratch copy: exit 2 "no space"',
    { timeout: 120_000 },
    async (kind) => {
      const backup = (await goodBackups())[kind];
      const disk = smallDisk(64 * 1024);
      const result = await runScript('restore.sh', ['--drill', backup.file], { TMPDIR: disk });
      expectNoSpace(result);
      const summary = JSON.parse(result.stdout.trim()) as { ok: boolean; failed: string; message: string };
      expect(summary).toMatchObject({ ok: false, failed: 'copy', message: expect.stringMatching(/no space left/) });
      expect(filesUnder(disk)).toEqual([]);
    },
  );
});
