import crypto from 'node:crypto';
import type { AuditMacKeys, MacProblem } from './entry-mac';
import type { UnchainedFields } from './log';

const PENDING_MAC_VERSION = 'drop-audit-pending-mac-v1';

/** The fields of a queued entry its MAC covers: everything the sealer will chain, and the entry's nonce. */
export type PendingMacFields = UnchainedFields & { nonce: string };

/** The fields in MAC order (the timestamp, an integer, comes first). */
const TEXT_FIELDS = [
  'nonce',
  'user_id',
  'action',
  'resource',
  'outcome',
  'details',
  'ip_address',
  'user_agent',
  'request_id',
  'span_id',
] as const;

const field = (value: string | null) => (value === null ? '-' : `${Buffer.byteLength(value)}:${value}`);

function pendingText(entry: PendingMacFields): string {
  let text = `${PENDING_MAC_VERSION}|${Number(entry.timestamp)}`;
  for (const name of TEXT_FIELDS) text += `|${field(entry[name])}`;
  return text;
}

const tag = (key: Buffer, entry: PendingMacFields) => crypto.createHmac('sha256', key).update(pendingText(entry)).digest('base64url');

/** A fresh nonce for a queued entry: the sealer chains an entry with a given nonce once, so a copied row is refused. */
export const pendingNonce = () => crypto.randomBytes(16).toString('base64url');

/**
 * The MAC of a queued entry (`audit_pending.mac`), made by the app under its audit MAC key (not in the database) over
 * every field the sealer will chain and the entry's nonce: whoever can only write the database cannot queue an entry
 * the sealer accepts. Stored as `<key id>:<HMAC-SHA-256, base64url>`, like an entry's MAC, under its own version text.
 */
export function macPendingAuditEntry(keys: AuditMacKeys, entry: PendingMacFields): string {
  return `${keys.current.id}:${tag(keys.current.key, entry)}`;
}

/** What is wrong with a queued entry's MAC, or null when the app made it. */
export function pendingMacProblem(keys: AuditMacKeys, entry: PendingMacFields & { mac: string | null }): MacProblem | null {
  if (entry.mac === null || entry.mac === '' || entry.nonce === null || entry.nonce === '') return 'missing';
  const separator = entry.mac.indexOf(':');
  const key = separator > 0 ? keys.accepted.get(entry.mac.slice(0, separator)) : undefined;
  if (!key) return 'unknown_key';
  const expected = Buffer.from(tag(key.key, entry));
  const given = Buffer.from(entry.mac.slice(separator + 1));
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? null : 'mismatch';
}
