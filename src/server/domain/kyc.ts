import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Executor, Tx } from '../db/transaction';
import type { Database, KycSubmissionsTable } from '../db/schema';
import { deriveKey } from '../auth/secret';
import { recordAudit } from './audit';
import type { Actor } from './context';
import { conflict } from './errors';
import { withRefusalRecorded } from './refusals';

export interface KycInput {
  fullName: string;
  dateOfBirth: string;
  documentType: KycSubmissionsTable['document_type'];
  documentNumber: string;
}

/**
 * The document number is kept only as a keyed hash (so duplicates can be matched without storing it)
 * and its last four characters (for support conversations).
 */
export function hashDocumentNumber(documentNumber: string): string {
  const normalized = documentNumber.replace(/[\s-]/g, '').toUpperCase();
  return crypto.createHmac('sha256', deriveKey('kyc-document')).update(normalized).digest('hex');
}

export async function submitKyc(tx: Tx, actor: Actor, input: KycInput): Promise<{ id: string; status: 'submitted' }> {
  const pending = await tx
    .selectFrom('kyc_submissions')
    .select('id')
    .where('user_id', '=', actor.userId)
    .where('status', '=', 'submitted')
    .executeTakeFirst();
  if (pending) throw conflict('kyc_already_submitted', 'A KYC submission is already under review');
  const normalized = input.documentNumber.replace(/[\s-]/g, '');
  const id = crypto.randomUUID();
  await tx
    .insertInto('kyc_submissions')
    .values({
      id,
      user_id: actor.userId,
      full_name: input.fullName.trim(),
      date_of_birth: input.dateOfBirth,
      document_type: input.documentType,
      document_number_hash: hashDocumentNumber(input.documentNumber),
      document_last4: normalized.slice(-4),
      status: 'submitted',
      created_at: Date.now(),
    })
    .execute();
  // Only the document type: names, dates of birth and document numbers stay out of the audit trail.
  await recordAudit(tx, actor, {
    action: 'kyc_submitted',
    resource: `kyc_submission:${id}`,
    userId: actor.userId,
    details: { documentType: input.documentType },
  });
  return { id, status: 'submitted' };
}

/** submitKyc in its own transaction; a second submission while one is under review is recorded as `kyc_submitted` failure. */
export function attemptSubmitKyc(db: Kysely<Database>, actor: Actor, input: KycInput) {
  return withRefusalRecorded(
    db,
    actor,
    (tx) => submitKyc(tx, actor, input),
    async () => {
      const pending = await db
        .selectFrom('kyc_submissions')
        .select('id')
        .where('user_id', '=', actor.userId)
        .where('status', '=', 'submitted')
        .executeTakeFirst();
      return {
        fact: {
          action: 'kyc_submitted',
          resource: pending ? `kyc_submission:${pending.id}` : 'kyc_submission:none',
          userId: actor.userId,
          details: { documentType: input.documentType },
        },
      };
    },
  );
}

export type KycStatus =
  { status: 'not_submitted' } | { status: 'submitted'; submittedAt: string; documentType: KycInput['documentType']; documentLast4: string };

/** The user's identity check as the dashboard and /kyc show it: nothing sent yet, or under review since when. */
export async function kycStatus(db: Executor, userId: string): Promise<KycStatus> {
  const row = await db
    .selectFrom('kyc_submissions')
    .select(['created_at', 'document_type', 'document_last4'])
    .where('user_id', '=', userId)
    .where('status', '=', 'submitted')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!row) return { status: 'not_submitted' };
  return {
    status: 'submitted',
    submittedAt: new Date(row.created_at).toISOString(),
    documentType: row.document_type,
    documentLast4: row.document_last4,
  };
}
