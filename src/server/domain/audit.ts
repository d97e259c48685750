import type { Kysely } from 'kysely';
import { getLogger } from '@otel';
import { appendAuditEntry, appendSequencedAuditEntry, auditSequencer, type AuditInput, type AuditSequencer } from '@audit';
import { getAuditCheckpointer, getAuditKeyring, getAuditMacKeys } from '../auth/audit-keys';
import { serverConfig } from '../config';
import type { Database } from '../db/schema';
import { isDatabaseUnavailable } from '../db/errors';
import { noteDatabaseUnavailable } from '../db/outage';
import { afterCommit, databaseOf, inTransaction, type Tx } from '../db/transaction';
import type { RequestContext } from './context';

/** What a domain function states; where the request came from is taken from its context. */
export type AuditFact = Omit<AuditInput, 'ip' | 'userAgent'>;

/**
 * Records a fact in the audit trail inside the domain function's transaction: it commits with the domain write
 * or not at all, and its span event is emitted after the commit. Call it after the domain writes (it holds the
 * chain lock until the transaction ends). Personal data is encrypted with the user's key; a signed checkpoint
 * is written with it when one is due.
 */
export async function recordAudit(tx: Tx, ctx: RequestContext, fact: AuditFact): Promise<void> {
  const input = { ...fact, ip: ctx.ip, userAgent: ctx.userAgent };
  const commit = (callback: () => void | Promise<void>) => afterCommit(tx, callback);
  const keyring = getAuditKeyring();
  if (serverConfig().auditWriteMode === 'sequenced') {
    await appendSequencedAuditEntry(tx, input, commit, { sequencer: sequencerFor(tx), keyring, macKeys: getAuditMacKeys() });
    return;
  }
  await appendAuditEntry(tx, input, commit, { keyring, checkpointer: getAuditCheckpointer(), macKeys: getAuditMacKeys() });
}

const sequencers = new WeakMap<Kysely<Database>, AuditSequencer>();

function sequencerFor(tx: Tx): AuditSequencer {
  return auditSequencerFor(databaseOf(tx));
}

/** One sequencer per database handle, so a process seals in one run at a time (requests and the sweep alike). */
export function auditSequencerFor(db: Kysely<Database>): AuditSequencer {
  let sequencer = sequencers.get(db);
  if (!sequencer) {
    sequencer = auditSequencer(db, {
      checkpointer: getAuditCheckpointer(),
      macKeys: getAuditMacKeys(),
      gatherMs: serverConfig().auditSealGatherMs,
      onSweepError: (error) => {
        if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
        else getLogger().error({ err: error, 'event.name': 'audit.seal_failed' }, 'sealing abandoned audit entries failed');
      },
    });
    sequencers.set(db, sequencer);
  }
  return sequencer;
}

/** Records a fact on its own, for requests that fail (a refused login) and so have no domain write to join. */
export function recordAuditAlone(db: Kysely<Database>, ctx: RequestContext, fact: AuditFact): Promise<void> {
  return inTransaction(db, (tx) => recordAudit(tx, ctx, fact));
}
