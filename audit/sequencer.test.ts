import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/server/db/connect';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../test/helpers/databases';
import { auditCheckpointer, auditSigner, generateAuditSigningKeyPem, listAuditCheckpoints } from './checkpoint';
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
  async function write(sequencer: AuditSequencer, entry: AuditInput, thenFail?: Error) {
    const pending: (() => Promise<void>)[] = [];
    await handle.db.transaction().execute(async (tx) => {
      await appendSequencedAuditEntry(tx, entry, (cb) => pending.push(cb), { sequencer });
      if (thenFail) throw thenFail;
    });
    for (const callback of pending) await callback();
  }
  const count = async (table: 'audit_log' | 'audit_pending') =>
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
});
