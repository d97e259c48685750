import type { Kysely } from 'kysely';
import { appendAuditEntry, type AuditInput, type AuditRow } from '@audit';
import type { Database } from '../db/schema';
import { afterCommit, inTransaction, type Tx } from '../db/transaction';
import type { RequestContext } from './context';

/** What a domain function states; where the request came from is taken from its context. */
export type AuditFact = Omit<AuditInput, 'ip' | 'userAgent'>;

/**
 * Records a fact in the audit trail inside the domain function's transaction: it commits with the domain write
 * or not at all, and its span event is emitted after the commit. Call it after the domain writes (it holds the
 * chain lock until the transaction ends).
 */
export function recordAudit(tx: Tx, ctx: RequestContext, fact: AuditFact): Promise<AuditRow> {
  return appendAuditEntry(tx, { ...fact, ip: ctx.ip, userAgent: ctx.userAgent }, (callback) => afterCommit(tx, callback));
}

/** Records a fact on its own, for requests that fail (a refused login) and so have no domain write to join. */
export function recordAuditAlone(db: Kysely<Database>, ctx: RequestContext, fact: AuditFact): Promise<AuditRow> {
  return inTransaction(db, (tx) => recordAudit(tx, ctx, fact));
}
