import crypto from 'node:crypto';

const MAC_VERSION = 'drop-audit-mac-v1';
const KEY_INFO = 'drop:audit-entry-mac';

/**
 * The keys that authenticate audit entries: an HMAC-SHA-256 key derived (HKDF-SHA-256) from a secret that lives in
 * the app's configuration, never in the database, so whoever can write the database still cannot make an entry the
 * verifier accepts. New entries are authenticated with `current`; `accepted` also holds the keys of earlier secrets
 * (rotation), by key id.
 */
export interface AuditMacKeys {
  current: AuditMacKey;
  accepted: ReadonlyMap<string, AuditMacKey>;
  /** Entries with an id up to this one were written before entries were authenticated and may have no MAC. */
  legacyUntil: number;
}

export interface AuditMacKey {
  /** 16 hex characters naming the key; stored with every MAC. */
  id: string;
  key: Buffer;
}

function macKey(secret: string | Uint8Array): AuditMacKey {
  const key = Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
  const id = crypto.createHmac('sha256', key).update(`${MAC_VERSION}|key-id`).digest('hex').slice(0, 16);
  return { id, key };
}

/** The keys for the current secret and any earlier ones (still accepted when verifying, never used to write). */
export function auditMacKeys(current: string | Uint8Array, previous: readonly (string | Uint8Array)[] = [], legacyUntil = 0): AuditMacKeys {
  const currentKey = macKey(current);
  const accepted = new Map<string, AuditMacKey>([[currentKey.id, currentKey]]);
  for (const secret of previous) {
    const key = macKey(secret);
    if (!accepted.has(key.id)) accepted.set(key.id, key);
  }
  return { current: currentKey, accepted, legacyUntil };
}

const tag = (key: Buffer, id: number, hash: string) =>
  crypto.createHmac('sha256', key).update(`${MAC_VERSION}|${id}|${hash}`).digest('base64url');

/**
 * The MAC of an entry: over its id and hash — the hash covers every field and `prev_hash`, so the MAC authenticates
 * the entry and its place after its predecessor. Stored as `<key id>:<HMAC-SHA-256, base64url>`.
 */
export function macAuditEntry(keys: AuditMacKeys, id: number, hash: string): string {
  return `${keys.current.id}:${tag(keys.current.key, id, hash)}`;
}

export type MacProblem =
  /** No MAC, past the entries written before authentication existed. */
  | 'missing'
  /** The MAC names a key none of the configured secrets gives. */
  | 'unknown_key'
  /** The MAC does not match the entry: it was made without the key, or the entry was changed. */
  | 'mismatch';

/** What is wrong with an entry's MAC, or null when it authenticates the entry (or the entry is legacy and has none). */
export function auditMacProblem(keys: AuditMacKeys, entry: { id: number; hash: string; mac: string | null }): MacProblem | null {
  if (entry.mac === null || entry.mac === '') return entry.id <= keys.legacyUntil ? null : 'missing';
  const separator = entry.mac.indexOf(':');
  const key = separator > 0 ? keys.accepted.get(entry.mac.slice(0, separator)) : undefined;
  if (!key) return 'unknown_key';
  const expected = Buffer.from(tag(key.key, entry.id, entry.hash));
  const given = Buffer.from(entry.mac.slice(separator + 1));
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? null : 'mismatch';
}

export const MAC_PROBLEM_MESSAGES: Record<MacProblem, string> = {
  missing: 'has no MAC: it was not written by the app',
  unknown_key: 'is authenticated with a key that is not configured (AUDIT_MAC_KEY, AUDIT_MAC_PREVIOUS_KEYS)',
  mismatch: 'has a MAC that does not match: it was not written by the app, or changed since',
};
