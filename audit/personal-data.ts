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

/**
 * The master key does not open a user's stored key: it is not the key that wrapped it (AUDIT_ENCRYPTION_KEY, or
 * AUTH_SECRET it is derived from, was changed) or the wrapped key was tampered with. Writing a new entry with
 * personal data for that user is refused rather than done without encryption or with a new key.
 */
export class AuditKeyMismatchError extends Error {
  constructor(readonly userId: string) {
    super(
      `the audit master key does not open the stored key of user ${userId}: AUDIT_ENCRYPTION_KEY (or AUTH_SECRET, when it is unset) is not the one the audit data was written with`,
    );
    this.name = 'AuditKeyMismatchError';
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
  try {
    return open(keyring.masterKey, row.wrapped_key, wrapAad(userId));
  } catch {
    throw new AuditKeyMismatchError(userId);
  }
}

/**
 * Whether the master key opens the stored user keys, tried on one of them (the start-up check): 'ok', 'mismatch',
 * or 'no-keys' when no key is stored yet.
 */
export async function checkAuditKeyring<DB extends AuditTables>(
  database: Kysely<DB>,
  keyring: AuditKeyring,
): Promise<'ok' | 'mismatch' | 'no-keys'> {
  const row = await auditDb(database)
    .selectFrom('audit_user_keys')
    .select(['user_id', 'wrapped_key'])
    .where('wrapped_key', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row?.wrapped_key) return 'no-keys';
  try {
    open(keyring.masterKey, row.wrapped_key, wrapAad(row.user_id));
    return 'ok';
  } catch {
    return 'mismatch';
  }
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

/** A user's key as readers get it: the key, null once erased, or 'unreadable' when the master key does not open it. */
type ReadKey = Buffer | null | 'unreadable';

function openField(key: ReadKey | undefined, userId: string, value: string): string {
  if (!key) return ERASED;
  if (key === 'unreadable') return UNREADABLE;
  try {
    return open(key, value.slice(SEALED_PREFIX.length), fieldAad(userId)).toString();
  } catch {
    return UNREADABLE;
  }
}

/**
 * The rows as readers see them: personal fields decrypted with their user's key, ERASED once the key was
 * destroyed, UNREADABLE when the key is there but the master key does not open it (or the field was tampered with). `hash` and `prev_hash` stay those of the stored (encrypted) entry, which is what the chain covers.
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
  const keys = new Map<string, ReadKey>();
  for (const { user_id, wrapped_key } of keyRows) {
    let key: ReadKey = null;
    if (wrapped_key) {
      try {
        key = open(keyring.masterKey, wrapped_key, wrapAad(user_id));
      } catch {
        // Not erased: the master key is not the one that wrapped it. Reads say so instead of "erased".
        key = 'unreadable';
      }
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
