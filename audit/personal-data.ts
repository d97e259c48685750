import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { auditDb, type AuditRow, type AuditTables } from './schema';

/** What an erased field reads in the API, the page and the export. */
export const ERASED = 'erased';
/** What a field reads whose ciphertext does not open (wrong master key, tampered text). */
export const UNREADABLE = 'unreadable';

/** Keys of `details` that hold personal data and are encrypted like the ip address and user agent. */
export const PERSONAL_DETAIL_KEYS: ReadonlySet<string> = new Set(['email', 'name', 'fullName', 'firstName', 'lastName', 'ip', 'userAgent']);

const SEALED_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The master key that wraps every user's key (32 bytes, derived from configuration by the app). */
export interface AuditKeyring {
  masterKey: Buffer;
}

export class AuditLegalHoldError extends Error {
  constructor(
    readonly userId: string,
    readonly reason: string,
  ) {
    super(`user ${userId} is under legal hold (${reason}): their audit data cannot be erased`);
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function open(key: Buffer, sealed: string, aad: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(aad));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

const wrapAad = (userId: string) => `drop-audit-user-key:${userId}`;
const fieldAad = (userId: string) => `drop-audit-field:${userId}`;

export const isSealed = (value: unknown): value is string => typeof value === 'string' && value.startsWith(SEALED_PREFIX);

/**
 * The user's key for new entries, created (and wrapped by the master key) on first use; null once erased.
 * Read on every append, never cached: an erasure by another process takes effect at once.
 */
export async function userKeyForWriting<DB extends AuditTables>(
  transaction: Transaction<DB>,
  keyring: AuditKeyring,
  userId: string,
): Promise<Buffer | null> {
  const tx = auditDb(transaction);
  const read = () => tx.selectFrom('audit_user_keys').select(['wrapped_key', 'erased_at']).where('user_id', '=', userId).executeTakeFirst();
  let row = await read();
  // No key yet (no row, or only a legal hold recorded): make one. A concurrent writer may win; its key is then used.
  if (!row || (row.wrapped_key === null && row.erased_at === null)) {
    const wrapped = seal(keyring.masterKey, crypto.randomBytes(32), wrapAad(userId));
    if (!row) {
      await tx
        .insertInto('audit_user_keys')
        .values({ user_id: userId, wrapped_key: wrapped, created_at: Date.now(), erased_at: null, legal_hold: null })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
    } else {
      await tx
        .updateTable('audit_user_keys')
        .set({ wrapped_key: wrapped })
        .where('user_id', '=', userId)
        .where('wrapped_key', 'is', null)
        .where('erased_at', 'is', null)
        .execute();
    }
    row = await read();
  }
  if (!row?.wrapped_key) return null;
  return open(keyring.masterKey, row.wrapped_key, wrapAad(userId));
}

/** A personal field as stored: encrypted with the user's key, or ERASED when the key is gone. */
export function sealField(key: Buffer | null, userId: string, value: string): string {
  return key ? SEALED_PREFIX + seal(key, Buffer.from(value), fieldAad(userId)) : ERASED;
}

/** Details with their personal values (PERSONAL_DETAIL_KEYS, top level) sealed. */
export function sealDetails(key: Buffer | null, userId: string, details: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(details)) {
    if (!PERSONAL_DETAIL_KEYS.has(name) || typeof value !== 'string') continue;
    out ??= { ...details };
    out[name] = sealField(key, userId, value);
  }
  return out ?? details;
}

function openField(key: Buffer | null | undefined, userId: string, value: string): string {
  if (!key) return ERASED;
  try {
    return open(key, value.slice(SEALED_PREFIX.length), fieldAad(userId)).toString();
  } catch {
    return UNREADABLE;
  }
}

/**
 * The rows as readers see them: personal fields decrypted with their user's key, or ERASED once the key was
 * destroyed. `hash` and `prev_hash` stay those of the stored (encrypted) entry, which is what the chain covers.
 */
export async function revealAuditRows<DB extends AuditTables>(
  database: Kysely<DB>,
  keyring: AuditKeyring,
  rows: readonly AuditRow[],
): Promise<AuditRow[]> {
  const sealedUsers = new Set<string>();
  for (const row of rows) {
    if (row.user_id && (isSealed(row.ip_address) || isSealed(row.user_agent) || row.details.includes(SEALED_PREFIX)))
      sealedUsers.add(row.user_id);
  }
  if (sealedUsers.size === 0) return [...rows];
  const keyRows = await auditDb(database)
    .selectFrom('audit_user_keys')
    .select(['user_id', 'wrapped_key'])
    .where('user_id', 'in', [...sealedUsers])
    .execute();
  const keys = new Map<string, Buffer | null>();
  for (const { user_id, wrapped_key } of keyRows) {
    let key: Buffer | null = null;
    try {
      key = wrapped_key ? open(keyring.masterKey, wrapped_key, wrapAad(user_id)) : null;
    } catch {
      key = null;
    }
    keys.set(user_id, key);
  }
  return rows.map((row) => {
    const userId = row.user_id;
    if (!userId || !sealedUsers.has(userId)) return row;
    const key = keys.get(userId);
    const reveal = (value: string | null) => (isSealed(value) ? openField(key, userId, value) : value);
    const details = JSON.parse(row.details) as Record<string, unknown>;
    for (const [name, value] of Object.entries(details)) if (isSealed(value)) details[name] = openField(key, userId, value);
    return { ...row, ip_address: reveal(row.ip_address), user_agent: reveal(row.user_agent), details: JSON.stringify(details) };
  });
}

export interface ErasureResult {
  userId: string;
  /** False when there was no key to destroy (no entry held personal data of the user, or it was erased before). */
  keyDestroyed: boolean;
  erasedAt: number;
}

/**
 * Destroys the user's key inside the caller's transaction (crypto-shredding): their encrypted fields can no longer
 * be read by anyone, while the entries, and so the chain, stay as they are. Refused under a legal hold.
 */
export async function eraseAuditUserKey<DB extends AuditTables>(transaction: Transaction<DB>, userId: string): Promise<ErasureResult> {
  const tx = auditDb(transaction);
  const now = Date.now();
  const row = await tx.selectFrom('audit_user_keys').select(['wrapped_key', 'legal_hold']).where('user_id', '=', userId).executeTakeFirst();
  if (row?.legal_hold) throw new AuditLegalHoldError(userId, row.legal_hold);
  if (!row) {
    // Remembered as erased, so entries written later for this user keep no personal data either.
    await tx
      .insertInto('audit_user_keys')
      .values({ user_id: userId, wrapped_key: null, created_at: now, erased_at: now, legal_hold: null })
      .execute();
    return { userId, keyDestroyed: false, erasedAt: now };
  }
  await tx.updateTable('audit_user_keys').set({ wrapped_key: null, erased_at: now }).where('user_id', '=', userId).execute();
  return { userId, keyDestroyed: row.wrapped_key !== null, erasedAt: now };
}

/** Puts the user's audit data under legal hold (reason) or releases it (null): erasure is refused while held. */
export async function setAuditLegalHold<DB extends AuditTables>(
  transaction: Transaction<DB>,
  userId: string,
  reason: string | null,
): Promise<void> {
  const tx = auditDb(transaction);
  await tx
    .insertInto('audit_user_keys')
    .values({ user_id: userId, wrapped_key: null, created_at: Date.now(), erased_at: null, legal_hold: reason })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ legal_hold: reason }))
    .execute();
}
