import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { auditCheckpointer, auditSigner, generateAuditSigningKeyPem, listAuditCheckpoints } from './checkpoint';
import { auditMacKeys, type AuditMacKeys } from './entry-mac';
import type { AuditInput } from './log';
import { appendSequencedAuditEntry, auditSequencer, type AuditSequencer } from './sequencer';
import { verifyAuditChain } from './verify';

const input = (i: number): AuditInput => ({
  action: 'transfer_initiated',
  resource: `transfer:t-${i}`,
  userId: `u-${i % 5}`,
  ip: null,
  userAgent: null,
});

describe.each(DIALECTS)('the audit sequencer on %s', (dialect) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  const signer = auditSigner(generateAuditSigningKeyPem());

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  /** One domain transaction queueing an entry, then (after the commit) waiting for its seal, as inTransaction does. */
  async function write(sequencer: AuditSequencer, entry: AuditInput, thenFail?: Error, macKeys?: AuditMacKeys) {
    const pending: (() => Promise<void>)[] = [];
    await handle.db.transaction().execute(async (tx) => {
      await appendSequencedAuditEntry(tx, entry, (cb) => pending.push(cb), { sequencer, macKeys });
      if (thenFail) throw thenFail;
    });
    for (const callback of pending) await callback();
  }
  const count = async (table: 'audit_log' | 'audit_pending' | 'audit_pending_refused') =>
    Number(
      (
        await handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('seals concurrent writers’ entries into one gapless chain, in batches, with checkpoints', async () => {
    const checkpointer = auditCheckpointer({ signer, everyEntries: 10, everyMs: 3_600_000 });
    const sequencers = [auditSequencer(handle.db, { checkpointer }), auditSequencer(handle.db, { checkpointer })];
    await Promise.all(Array.from({ length: 40 }, (_, i) => write(sequencers[i % 2]!, input(i))));
    expect(await count('audit_pending')).toBe(0);
    expect(await count('audit_log')).toBe(40);
    expect(await verifyAuditChain(handle)).toMatchObject({ ok: true, entries: 40 });
    const resources = (await handle.db.selectFrom('audit_log').select('resource').execute()).map((r) => r.resource).sort();
    expect(resources).toEqual(Array.from({ length: 40 }, (_, i) => `transfer:t-${i}`).sort());
    expect((await listAuditCheckpoints(handle.db)).map((c) => c.treeSize)).toEqual([10, 20, 30, 40]);
  });

  it('keeps nothing of a transaction that rolls back', async () => {
    const sequencer = auditSequencer(handle.db);
    const before = await count('audit_log');
    await expect(write(sequencer, input(99), new Error('domain write failed'))).rejects.toThrow('domain write failed');
    await sequencer.flush();
    expect(await count('audit_pending')).toBe(0);
    expect(await count('audit_log')).toBe(before);
  });

  it('seals entries another process left behind (it crashed after the commit) once they are old enough', async () => {
    const before = await count('audit_log');
    await handle.db
      .insertInto('audit_pending')
      .values({
        sealer: 'crashed-process',
        timestamp: Date.now() - 60_000,
        user_id: null,
        action: 'logout',
        resource: 'session:s-1',
        outcome: 'success',
        details: '{}',
        ip_address: null,
        user_agent: null,
        request_id: null,
        span_id: null,
      })
      .execute();
    await handle.db
      .insertInto('audit_pending')
      .values({
        sealer: 'busy-process',
        timestamp: Date.now(),
        user_id: null,
        action: 'logout',
        resource: 'session:s-2',
        outcome: 'success',
        details: '{}',
        ip_address: null,
        user_agent: null,
        request_id: null,
        span_id: null,
      })
      .execute();
    const sealed = await auditSequencer(handle.db).flush();
    expect([...sealed.values()].map((r) => r.resource)).toEqual(['session:s-1']);
    expect(await count('audit_log')).toBe(before + 1);
    expect(await count('audit_pending')).toBe(1);
    expect(await verifyAuditChain(handle)).toMatchObject({ ok: true });
  });

  describe('with MAC keys (as the app runs it)', () => {
    const secret = crypto.randomBytes(32);
    const macKeys = auditMacKeys(secret);
    const forged = (resource: string) => ({
      sealer: 'forger',
      timestamp: Date.now() - 60_000,
      user_id: 'u-1',
      action: 'transfer_initiated' as const,
      resource,
      outcome: 'success' as const,
      details: '{}',
      ip_address: null,
      user_agent: null,
      request_id: null,
      span_id: null,
    });
    /** Seals with the app's keys, holding the queue: the copy of a genuine queued entry is made before its seal. */
    async function queueGenuine(sequencer: AuditSequencer, resource: string) {
      await handle.db
        .transaction()
        .execute((tx) => appendSequencedAuditEntry(tx, { ...input(0), resource }, () => undefined, { sequencer, macKeys }));
      return handle.db.selectFrom('audit_pending').selectAll().where('resource', '=', resource).executeTakeFirstOrThrow();
    }

    it('refuses queued entries the app did not make, keeps them aside, and seals the genuine ones', async () => {
      const sequencer = auditSequencer(handle.db, { macKeys, takeOverAfterMs: 1_000 });
      const before = await count('audit_log');
      const waiting = await count('audit_pending'); // another process's, not old enough to take over
      const genuine = await queueGenuine(sequencer, 'transfer:genuine');
      const { seq: _seq, ...copy } = genuine;
      await handle.db.insertInto('audit_pending').values(forged('transfer:no-mac')).execute();
      // A genuine MAC and nonce on changed fields.
      await handle.db
        .insertInto('audit_pending')
        .values({ ...copy, nonce: `${genuine.nonce}-x`, resource: 'transfer:changed', timestamp: Date.now() - 60_000 })
        .execute();
      await handle.db
        .insertInto('audit_pending')
        .values({ ...forged('transfer:other-key'), nonce: 'n', mac: `${auditMacKeys(crypto.randomBytes(32)).current.id}:abc` })
        .execute();

      const sealed = await sequencer.flush();
      expect([...sealed.values()].map((r) => r.resource)).toEqual(['transfer:genuine']);
      expect(await count('audit_log')).toBe(before + 1);
      expect(await count('audit_pending')).toBe(waiting);
      const refused = await handle.db.selectFrom('audit_pending_refused').select(['resource', 'problem']).orderBy('seq').execute();
      expect(refused).toEqual([
        { resource: 'transfer:no-mac', problem: 'missing' },
        { resource: 'transfer:changed', problem: 'mismatch' },
        { resource: 'transfer:other-key', problem: 'unknown_key' },
      ]);
      // The entries the tests above sealed without keys are legacy to the verifier.
      const verifyKeys = auditMacKeys(secret, [], before);
      expect(await verifyAuditChain(handle, { macKeys: verifyKeys })).toMatchObject({ ok: true, pending: { count: waiting, refused: 3 } });
    });

    it('refuses a copy of a genuine queued entry once the original is sealed', async () => {
      const sequencer = auditSequencer(handle.db, { macKeys, takeOverAfterMs: 1_000 });
      const genuine = await queueGenuine(sequencer, 'transfer:copied');
      const { seq: _seq, ...copy } = genuine;
      await sequencer.flush();
      const before = await count('audit_log');
      await handle.db.insertInto('audit_pending').values(copy).execute();
      expect([...(await sequencer.flush()).values()]).toEqual([]);
      expect(await count('audit_log')).toBe(before);
      expect(
        await handle.db.selectFrom('audit_pending_refused').select('problem').where('resource', '=', 'transfer:copied').execute(),
      ).toEqual([{ problem: 'replayed' }]);
      await expect(handle.db.deleteFrom('audit_sealed_nonces').execute()).rejects.toThrow(/append-only/);
    });
  });
});
