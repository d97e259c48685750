import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { asDatabaseOwner } from '../test/helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { hashAuditEntry } from './chain';
import {
  auditCheckpointer,
  auditSigner,
  generateAuditSigningKeyPem,
  listAuditCheckpoints,
  verifyCheckpointSignature,
  type AuditCheckpoint,
} from './checkpoint';
import { verifyAgainstCheckpoints } from './checkpoint-verify';
import { appendAuditEntry } from './log';
import { verifyAuditChain } from './verify';

const signer = auditSigner(generateAuditSigningKeyPem());

describe('checkpoint signatures', () => {
  const checkpoint: AuditCheckpoint = {
    treeSize: 10,
    headHash: 'a'.repeat(64),
    timestamp: '2026-01-01T00:00:00.000Z',
    keyId: signer.keyId,
    signature: signer.sign('drop-audit-checkpoint-v1\n10\n' + 'a'.repeat(64) + '\n' + Date.parse('2026-01-01T00:00:00.000Z') + '\n'),
  };

  it('verify under the public key, as JWK and as PEM', () => {
    expect(verifyCheckpointSignature(checkpoint, signer.publicJwk)).toBe(true);
    expect(verifyCheckpointSignature(checkpoint, signer.publicPem)).toBe(true);
  });

  it('fail for any changed field and under another key', () => {
    expect(verifyCheckpointSignature({ ...checkpoint, treeSize: 11 }, signer.publicJwk)).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, headHash: 'b'.repeat(64) }, signer.publicJwk)).toBe(false);
    expect(verifyCheckpointSignature({ ...checkpoint, timestamp: '2026-01-01T00:00:00.001Z' }, signer.publicJwk)).toBe(false);
    expect(verifyCheckpointSignature(checkpoint, auditSigner(generateAuditSigningKeyPem()).publicJwk)).toBe(false);
  });

  it('refuses a key that is not Ed25519', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => auditSigner(rsa)).toThrow(/Ed25519/);
  });
});

describe.each(DIALECTS)('signed checkpoints on %s', (dialect) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  const taken: AuditCheckpoint[] = [];
  const checkpointer = auditCheckpointer({ signer, everyEntries: 10, everyMs: 3_600_000, onCheckpoint: (c) => taken.push(c) });

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
    for (let i = 1; i <= 35; i++) {
      const pending: (() => void)[] = [];
      await handle.db.transaction().execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_success', resource: `user:u-${i}`, userId: `u-${i}`, ip: null, userAgent: null },
          (cb) => pending.push(cb),
          {
            checkpointer,
          },
        ),
      );
      for (const callback of pending) callback();
    }
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  it('writes one every N entries in the entry’s transaction and hands it on after the commit', async () => {
    const stored = await listAuditCheckpoints(handle.db);
    expect(stored.map((c) => c.treeSize)).toEqual([10, 20, 30]);
    expect(taken).toEqual(stored);
    const entry30 = await handle.db.selectFrom('audit_log').select('hash').where('id', '=', 30).executeTakeFirstOrThrow();
    expect(stored[2]!.headHash).toBe(entry30.hash);
    for (const checkpoint of stored) expect(verifyCheckpointSignature(checkpoint, signer.publicJwk)).toBe(true);
  });

  it('takes one T seconds after the previous one, whatever the count', () => {
    const timed = auditCheckpointer({ signer, everyEntries: 1000, everyMs: 1000 });
    const now = Date.now();
    expect(timed.due(7, now)).toBe(false);
    expect(timed.due(7, now + 1500)).toBe(true);
    timed.taken(now + 1500);
    expect(timed.due(8, now + 1600)).toBe(false);
    expect(timed.due(1000, now + 1600)).toBe(true);
  });

  it('match the chain, and catch a chain rewritten consistently (which verifyAuditChain alone cannot)', async () => {
    const held = await listAuditCheckpoints(handle.db);
    expect(await verifyAgainstCheckpoints(handle.db, held, [signer.publicJwk])).toEqual({
      ok: true,
      matched: 3,
      newestMatched: 30,
      firstMismatch: null,
    });

    // The owner rewrites entry 15 and re-hashes every entry after it and the head: the chain is consistent again.
    await asDatabaseOwner(handle, async (db) => {
      const rows = await db.selectFrom('audit_log').selectAll().where('id', '>=', 15).orderBy('id').execute();
      let prev = (await db.selectFrom('audit_log').select('hash').where('id', '=', 14).executeTakeFirstOrThrow()).hash;
      for (const row of rows) {
        const fields = { ...row, user_id: row.id === 15 ? 'someone-else' : row.user_id, prev_hash: prev };
        const hash = hashAuditEntry(fields);
        await db.updateTable('audit_log').set({ user_id: fields.user_id, prev_hash: prev, hash }).where('id', '=', row.id).execute();
        prev = hash;
      }
      await db.updateTable('audit_chain_head').set({ last_hash: prev }).where('id', '=', 1).execute();
    });
    expect(await verifyAuditChain(handle)).toMatchObject({ ok: true, entries: 35 });
    expect(await verifyAgainstCheckpoints(handle.db, held, [signer.publicJwk])).toMatchObject({
      ok: false,
      matched: 1,
      newestMatched: 10,
      firstMismatch: { treeSize: 20, reason: 'hash_mismatch' },
    });
  });

  it('reject checkpoints under an untrusted key, with a forged signature, or past the end of the chain', async () => {
    const [first] = await listAuditCheckpoints(handle.db);
    const other = auditSigner(generateAuditSigningKeyPem());
    expect((await verifyAgainstCheckpoints(handle.db, [first!], [other.publicJwk])).firstMismatch?.reason).toBe('unknown_key');
    const forged = { ...first!, headHash: 'f'.repeat(64) };
    expect((await verifyAgainstCheckpoints(handle.db, [forged], [signer.publicJwk])).firstMismatch?.reason).toBe('bad_signature');
    const now = Date.now();
    const beyond: AuditCheckpoint = {
      treeSize: 99,
      headHash: 'c'.repeat(64),
      timestamp: new Date(now).toISOString(),
      keyId: signer.keyId,
      signature: signer.sign(`drop-audit-checkpoint-v1\n99\n${'c'.repeat(64)}\n${now}\n`),
    };
    expect((await verifyAgainstCheckpoints(handle.db, [beyond], [signer.publicJwk])).firstMismatch?.reason).toBe('missing_entry');
  });

  it('are append-only', async () => {
    await expect(handle.db.deleteFrom('audit_checkpoints').execute()).rejects.toThrow(/append-only|rejected/);
    await expect(handle.db.updateTable('audit_checkpoints').set({ head_hash: 'x' }).execute()).rejects.toThrow(/append-only|rejected/);
  });
});
