import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntry, auditCheckpointer, auditSigner, generateAuditSigningKeyPem, hashAuditEntry, listAuditCheckpoints } from '@audit';
import type { DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_SIGNING_KEY } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { asDatabaseOwner } from '../helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../helpers/databases';

const signer = auditSigner(TEST_AUDIT_SIGNING_KEY);
const verify = (url: string, args: string[]) => runAuditScript('audit-verify.ts', url, args);

describe.each(DIALECTS)('npm run audit:verify -- --checkpoints on %s', (dialect) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let dir: string;
  let file: string;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    handle = await openTestDatabase(database);
    const checkpointer = auditCheckpointer({ signer, everyEntries: 10, everyMs: 3_600_000 });
    for (let i = 1; i <= 30; i++) {
      await handle.db.transaction().execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
          () => undefined,
          {
            checkpointer,
          },
        ),
      );
    }
    // The document GET /api/admin/audit/checkpoints serves, kept where the database owner cannot write.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-checkpoints-'));
    file = path.join(dir, 'checkpoints.json');
    const document = {
      keyId: signer.keyId,
      publicKey: signer.publicJwk,
      publicKeyPem: signer.publicPem,
      checkpoints: await listAuditCheckpoints(handle.db),
    };
    fs.writeFileSync(file, JSON.stringify(document));
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/checkpoints.json`;
  });
  afterAll(async () => {
    if (server) await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
    await handle?.close();
    await database?.drop();
  });

  it('exits 0 when the chain matches every checkpoint, from a file and from a URL', async () => {
    const fromFile = await verify(database.url, ['--checkpoints', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toMatch(/^audit chain intact: 30 entries/);
    expect(fromFile.stdout).toMatch(/checkpoints match: 3 of 3 signed checkpoints, newest #30/);
    const fromUrl = await verify(database.url, ['--checkpoints', url, '--json']);
    expect(fromUrl.code, fromUrl.stderr).toBe(0);
    expect(JSON.parse(fromUrl.stdout)).toMatchObject({ ok: true, checkpoints: { ok: true, matched: 3, newestMatched: 30 } });
  });

  it('exits 1 when a key other than the pinned one signed them', async () => {
    const other = path.join(dir, 'other.pem');
    fs.writeFileSync(other, auditSigner(generateAuditSigningKeyPem()).publicPem);
    const { code, stdout } = await verify(database.url, ['--checkpoints', file, '--public-key', other]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/checkpoints DO NOT MATCH at checkpoint 10: .* \(unknown_key\)/);
  });

  // Runs the verify CLI (a tsx process) twice: on a loaded machine that alone can take most of the default 30 s.
  it('detects a chain rewritten consistently by someone with write access to the database', async () => {
    await asDatabaseOwner(handle, async (db) => {
      const rows = await db.selectFrom('audit_log').selectAll().where('id', '>=', 12).orderBy('id').execute();
      let prev = (await db.selectFrom('audit_log').select('hash').where('id', '=', 11).executeTakeFirstOrThrow()).hash;
      for (const row of rows) {
        const fields = { ...row, user_id: row.id === 12 ? 'mallory' : row.user_id, prev_hash: prev };
        const hash = hashAuditEntry(fields);
        await db.updateTable('audit_log').set({ user_id: fields.user_id, prev_hash: prev, hash }).where('id', '=', row.id).execute();
        prev = hash;
      }
      await db.updateTable('audit_chain_head').set({ last_hash: prev }).where('id', '=', 1).execute();
    });
    // The chain alone cannot tell…
    const alone = await verify(database.url, []);
    expect(alone.code).toBe(0);
    // …the checkpoints held elsewhere can.
    const fromFile = await verify(database.url, ['--checkpoints', file]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stdout).toMatch(/^audit chain intact: 30 entries/);
    expect(fromFile.stdout).toMatch(
      /checkpoints DO NOT MATCH at checkpoint 20: entry 20 does not have the hash its checkpoint of .* states: the chain was rewritten \(hash_mismatch\); 1 checkpoints before it match/,
    );
    const fromUrl = await verify(database.url, ['--checkpoints', url, '--json']);
    expect(fromUrl.code).toBe(1);
    expect(JSON.parse(fromUrl.stdout)).toMatchObject({
      ok: true,
      checkpoints: { ok: false, newestMatched: 10, firstMismatch: { treeSize: 20, reason: 'hash_mismatch' } },
    });
  }, 120000);

  it('exits 2 when the checkpoints cannot be read', async () => {
    const missing = await verify(database.url, ['--checkpoints', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/could not check the chain/);
  });
});
