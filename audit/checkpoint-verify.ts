import type crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { jwkThumbprint, verifyCheckpointSignature, type AuditCheckpoint } from './checkpoint';
import { auditDb, type AuditTables } from './schema';

export type CheckpointMismatchReason =
  /** No trusted public key has the checkpoint's key id. */
  | 'unknown_key'
  /** The signature does not verify: the checkpoint itself was altered or forged. */
  | 'bad_signature'
  /** The chain is shorter than the checkpoint says it was: entries were removed. */
  | 'missing_entry'
  /** The entry at the checkpoint's tree size has another hash: the chain was rewritten. */
  | 'hash_mismatch';

export interface CheckpointStatus {
  ok: boolean;
  /** Checkpoints that matched the chain, oldest first, until the first that did not. */
  matched: number;
  /** The newest checkpoint that matched (the tree size), 0 when none did. */
  newestMatched: number;
  firstMismatch: { treeSize: number; reason: CheckpointMismatchReason; message: string } | null;
}

const LOOKUP_BATCH = 500;

/**
 * Proves the chain in the database matches checkpoints held elsewhere: each checkpoint's signature is valid
 * under one of the trusted public keys, and the entry at its tree size has the hash it states. Together with
 * verifyAuditChain (every entry links to the one before), a chain rewritten consistently by someone with write
 * access to the database — but without the signing key — fails at the first checkpoint after the change.
 */
export async function verifyAgainstCheckpoints<DB extends AuditTables>(
  database: Kysely<DB>,
  checkpoints: readonly AuditCheckpoint[],
  trustedKeys: readonly crypto.JsonWebKey[],
): Promise<CheckpointStatus> {
  const db = auditDb(database);
  const keys = new Map(trustedKeys.map((jwk) => [jwkThumbprint(jwk), jwk]));
  const ordered = [...checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  let matched = 0;
  let newestMatched = 0;
  const fail = (treeSize: number, reason: CheckpointMismatchReason, message: string): CheckpointStatus => ({
    ok: false,
    matched,
    newestMatched,
    firstMismatch: { treeSize, reason, message },
  });

  for (let start = 0; start < ordered.length; start += LOOKUP_BATCH) {
    const batch = ordered.slice(start, start + LOOKUP_BATCH);
    const rows = await db
      .selectFrom('audit_log')
      .select(['id', 'hash'])
      .where(
        'id',
        'in',
        batch.map((c) => c.treeSize),
      )
      .execute();
    const hashes = new Map(rows.map((row) => [Number(row.id), row.hash]));
    for (const checkpoint of batch) {
      const { treeSize } = checkpoint;
      const key = keys.get(checkpoint.keyId);
      if (!key) return fail(treeSize, 'unknown_key', `checkpoint ${treeSize} was signed by key ${checkpoint.keyId}, which is not trusted`);
      if (!verifyCheckpointSignature(checkpoint, key)) {
        return fail(treeSize, 'bad_signature', `checkpoint ${treeSize} has an invalid signature`);
      }
      const hash = hashes.get(treeSize);
      if (hash === undefined) return fail(treeSize, 'missing_entry', `entry ${treeSize}, named by a checkpoint, is missing`);
      if (hash !== checkpoint.headHash) {
        return fail(
          treeSize,
          'hash_mismatch',
          `entry ${treeSize} does not have the hash its checkpoint of ${checkpoint.timestamp} states: the chain was rewritten`,
        );
      }
      matched++;
      newestMatched = treeSize;
    }
  }
  return { ok: true, matched, newestMatched, firstMismatch: null };
}
