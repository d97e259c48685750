import type { Kysely } from 'kysely';
import { appendAuditEntry, type AuditInput, type AuditRow } from '@audit';
import { getAuditCheckpointer, getAuditKeyring } from '../auth/audit-keys';
import type { Database } from '../db/schema';
import { afterCommit, inTransaction, type Tx } from '../db/transaction';
import type { RequestContext } from './context';

/** What a domain function states; where the request came from is taken from its context. */
export type AuditFact = Omit<AuditInput, 'ip' | 'userAgent'>;

/**
 * Records a fact in the audit trail inside the domain function's transaction: it commits with the domain write
 * or not at all, and its span event is emitted after the commit. Call it after the domain writes (it holds the
 * chain lock until the transaction ends). Personal data is encrypted with the user's key; a signed checkpoint
 * is written with it when one is due.
 */
export function recordAudit(tx: Tx, ctx: RequestContext, fact: AuditFact): Promise<AuditRow> {
  return appendAuditEntry(tx, { ...fact, ip: ctx.ip, userAgent: ctx.userAgent }, (callback) => afterCommit(tx, callback), {
    keyring: getAuditKeyring(),
    checkpointer: getAuditCheckpointer(),
  });
}

/** Records a fact on its own, for requests that fail (a refused login) and so have no domain write to join. */
export function recordAuditAlone(db: Kysely<Database>, ctx: RequestContext, fact: AuditFact): Promise<AuditRow> {
  return inTransaction(db, (tx) => recordAudit(tx, ctx, fact));
}
