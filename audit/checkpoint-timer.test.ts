import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../test/helpers/databases';
import { useDatabase } from '../test/helpers/domain-fixture';
import { auditCheckpointer, auditSigner, generateAuditSigningKeyPem, listAuditCheckpoints, type AuditCheckpoint } from './checkpoint';
import { checkpointAuditHead, startAuditCheckpointTimer } from './checkpoint-timer';
import { verifyAgainstCheckpoints } from './checkpoint-verify';
import { appendAuditEntry } from './log';

const signer = auditSigner(generateAuditSigningKeyPem());

describe.each(DIALECTS)('time-based checkpoints without traffic on %s', (dialect) => {
  const database = useDatabase(dialect);
  const append = (n: number) =>
    database()
      .db.transaction()
      .execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_success', resource: `user:u-${n}`, userId: null, ip: null, userAgent: null },
          () => undefined,
        ),
      );

  it('signs the head in its own transaction when it moved, at a tree size that is not a multiple of N, and not again', async () => {
    const emitted: AuditCheckpoint[] = [];
    // Count-based checkpoints far away: only the time path can take one here.
    const checkpointer = auditCheckpointer({ signer, everyEntries: 1000, everyMs: 3_600_000, onCheckpoint: (c) => emitted.push(c) });
    expect(await checkpointAuditHead(database().db, checkpointer)).toBeUndefined(); // an empty chain
    for (let i = 1; i <= 3; i++) await append(i);
    const taken = await checkpointAuditHead(database().db, checkpointer);
    const head = await database().db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    expect(taken).toMatchObject({ treeSize: 3, headHash: head.last_hash, keyId: signer.keyId });
    expect(emitted).toEqual([taken]);
    expect(await checkpointAuditHead(database().db, checkpointer)).toBeUndefined(); // the head has not moved
    expect(await listAuditCheckpoints(database().db)).toEqual([taken]);
    expect(await verifyAgainstCheckpoints(database().db, [taken!], [signer.publicJwk])).toMatchObject({ ok: true, matched: 1 });
  });

  it('runs every AUDIT_CHECKPOINT_SECONDS on a timer', async () => {
    const errors: unknown[] = [];
    const checkpointer = auditCheckpointer({ signer, everyEntries: 1000, everyMs: 100 });
    await append(4);
    await append(5);
    const stop = startAuditCheckpointTimer(database().db, checkpointer, (e) => errors.push(e));
    try {
      await expect
        .poll(async () => (await listAuditCheckpoints(database().db)).map((c) => c.treeSize), { timeout: 10_000 })
        .toEqual([3, 5]);
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
  });
});
