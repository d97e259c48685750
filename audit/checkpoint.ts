import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EntryBreak } from './entry-check';
import type { AuditMacKeys } from './entry-mac';
import { auditDb, type AuditCheckpointRow, type AuditTables } from './schema';

const CHECKPOINT_VERSION = 'drop-audit-checkpoint-v1';

/** What a checkpoint states: the chain had `treeSize` entries, the newest one's hash was `headHash`, at `timestamp`. */
export interface AuditCheckpoint {
  treeSize: number;
  headHash: string;
  /** ISO 8601 (UTC). */
  timestamp: string;
  keyId: string;
  /** Ed25519 over checkpointText(), base64url. */
  signature: string;
}

/** The Ed25519 key that signs checkpoints. */
export interface AuditSigner {
  /** The public key's JWK thumbprint (RFC 7638, SHA-256, base64url). */
  keyId: string;
  publicJwk: crypto.JsonWebKey;
  publicPem: string;
  sign(text: string): string;
}

/** The text that is signed: version, tree size, head hash and time (epoch ms), one per line. */
export function checkpointText(treeSize: number, headHash: string, timestampMs: number): string {
  return `${CHECKPOINT_VERSION}\n${treeSize}\n${headHash}\n${timestampMs}\n`;
}

/** RFC 7638 thumbprint of an Ed25519 public JWK. */
export function jwkThumbprint(jwk: crypto.JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

/** A new Ed25519 private key, PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes). */
export function generateAuditSigningKeyPem(): string {
  return crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The signer for a PKCS#8 PEM Ed25519 private key; throws for anything else. */
export function auditSigner(privateKeyPem: string): AuditSigner {
  const privateKey = crypto.createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the audit signing key must be an Ed25519 key, got ${privateKey.asymmetricKeyType ?? 'a symmetric key'}`);
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' });
  const keyId = jwkThumbprint(publicJwk);
  return {
    keyId,
    publicJwk: { ...publicJwk, kid: keyId, alg: 'EdDSA', use: 'sig' } as crypto.JsonWebKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (text) => crypto.sign(null, Buffer.from(text), privateKey).toString('base64url'),
  };
}

/** Whether a checkpoint's signature is valid under the public key (a JWK, or a PEM). */
export function verifyCheckpointSignature(checkpoint: AuditCheckpoint, publicKey: crypto.JsonWebKey | string): boolean {
  const key = typeof publicKey === 'string' ? crypto.createPublicKey(publicKey) : crypto.createPublicKey({ key: publicKey, format: 'jwk' });
  const timestampMs = Date.parse(checkpoint.timestamp);
  if (!Number.isFinite(timestampMs)) return false;
  const text = checkpointText(checkpoint.treeSize, checkpoint.headHash, timestampMs);
  try {
    return crypto.verify(null, Buffer.from(text), key, Buffer.from(checkpoint.signature, 'base64url'));
  } catch {
    return false;
  }
}

export function toAuditCheckpoint(row: AuditCheckpointRow): AuditCheckpoint {
  return {
    treeSize: Number(row.tree_size),
    headHash: row.head_hash,
    timestamp: new Date(Number(row.timestamp)).toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}

/** When checkpoints are taken, and by which key. */
export interface CheckpointPolicy {
  signer: AuditSigner;
  /** A checkpoint at every entry whose id is a multiple of this. */
  everyEntries: number;
  /** And at the first entry appended this long after this process's previous checkpoint. */
  everyMs: number;
  /** Called once the checkpoint's transaction has committed (the app emits it as an OTLP log record). */
  onCheckpoint?: (checkpoint: AuditCheckpoint) => void;
  /**
   * The keys entries are authenticated with: before signing, every entry since the previous checkpoint must carry a
   * valid MAC (besides its link, hash and timestamp). Without them only links, hashes and timestamps are checked.
   */
  macKeys?: AuditMacKeys;
}

/** Checkpoint policy plus what one process remembers: when it took its last checkpoint. */
export interface AuditCheckpointer {
  readonly policy: CheckpointPolicy;
  due(treeSize: number, nowMs: number): boolean;
  taken(nowMs: number): void;
  /**
   * The entry this process found it must not vouch for (not written by the app, changed, out of order), or null.
   * Once set, this process signs no checkpoint any more: every later one would cover that entry.
   */
  readonly refusal: EntryBreak | null;
  refuse(entryBreak: EntryBreak): void;
}

export function auditCheckpointer(policy: CheckpointPolicy): AuditCheckpointer {
  let lastMs = Date.now();
  let refusal: EntryBreak | null = null;
  return {
    policy,
    due: (treeSize, nowMs) => refusal === null && (treeSize % policy.everyEntries === 0 || nowMs - lastMs >= policy.everyMs),
    taken(nowMs) {
      lastMs = Math.max(lastMs, nowMs);
    },
    get refusal() {
      return refusal;
    },
    refuse(entryBreak) {
      refusal ??= entryBreak;
    },
  };
}

/** The checkpoint row for the chain head (treeSize, headHash), signed now. */
export function signCheckpoint(signer: AuditSigner, treeSize: number, headHash: string, nowMs: number): AuditCheckpointRow {
  return {
    tree_size: treeSize,
    head_hash: headHash,
    timestamp: nowMs,
    key_id: signer.keyId,
    signature: signer.sign(checkpointText(treeSize, headHash, nowMs)),
  };
}

/** Every checkpoint, oldest first (at most `limit`, the newest ones when there are more). */
export async function listAuditCheckpoints<DB extends AuditTables>(database: Kysely<DB>, limit = 10_000): Promise<AuditCheckpoint[]> {
  const rows = await auditDb(database).selectFrom('audit_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(limit).execute();
  return rows.reverse().map(toAuditCheckpoint);
}
