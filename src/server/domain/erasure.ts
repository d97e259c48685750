import crypto from 'node:crypto';
import { hashPassword } from '../auth/password';
import type { Tx } from '../db/transaction';

/** What the user row reads after erasure: no name, an address that is nobody's and cannot receive mail (RFC 2606). */
export const ERASED_NAME = 'Erased user';
export const erasedEmail = (userId: string) => `erased-${userId}@erased.invalid`;

export interface PersonalDataErasure {
  /** Whether a user row was there to clear. */
  userFound: boolean;
  /** Sessions removed, with their IP addresses and user agents. */
  sessionsDeleted: number;
}

/**
 * A user's personal data outside the audit trail, cleared in the caller's transaction (GDPR Art. 17): name and
 * email replaced, the password replaced by one nobody knows (the account can no longer be used), every session
 * deleted with its IP address and user agent. Kept, because the law requires it (AML record keeping, 5 years): the
 * account id, balance and transfers, and the KYC submission. The trail's own personal data is crypto-shredded by the
 * caller (eraseAuditUserKey).
 */
export async function erasePersonalData(tx: Tx, userId: string): Promise<PersonalDataErasure> {
  const passwordHash = await hashPassword(crypto.randomBytes(32).toString('base64url'));
  const updated = await tx
    .updateTable('users')
    .set({ name: ERASED_NAME, email: erasedEmail(userId), password_hash: passwordHash })
    .where('id', '=', userId)
    .executeTakeFirst();
  const deleted = await tx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return { userFound: Number(updated.numUpdatedRows) > 0, sessionsDeleted: Number(deleted.numDeletedRows) };
}
