import crypto from 'node:crypto';
import { trace, type Span } from '@opentelemetry/api';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { addAuditSpanEvent } from '@otel';
import type { AuditCheckpointer } from './checkpoint';
import type { AuditMacKeys } from './entry-mac';
import { chainAuditEntries, unchainedFields, type AuditInput } from './log';
import { macPendingAuditEntry, pendingMacProblem, pendingNonce } from './pending-mac';
import { logAuditPendingRefused, type PendingProblem, type PendingRefusal } from './pending-refusal';
import type { AuditKeyring } from './personal-data';
import { auditDb, type AuditPendingTable, type AuditRow, type AuditTables } from './schema';

/** Runs an async callback once the caller's transaction has committed, and waits for it before answering. */
export type AfterCommitAsync = (callback: () => Promise<void>) => void;

export interface SequencerOptions {
  checkpointer?: AuditCheckpointer;
  /**
   * Authenticates every sealed entry (its `mac`) and checks each queued entry's MAC before sealing it; the app always
   * gives it. Without it queued entries are chained unchecked.
   */
  macKeys?: AuditMacKeys;
  /** Entries chained per sealing transaction at most. */
  batchSize?: number;
  /** Entries of another process left pending longer than this (it crashed) are sealed by this one. */
  takeOverAfterMs?: number;
  /** A run starts this long after the first request for it, so more entries share one sealing transaction. */
  gatherMs?: number;
  /** A sealing run of the sweep that failed (the entries stay queued for the next one). */
  onSweepError?: (error: unknown) => void;
}

export interface AuditSequencer {
  /** This process's name on the entries it will seal. */
  readonly sealer: string;
  /** Seals this process's pending entries (and abandoned ones); resolves with every entry sealed, by seq. */
  flush(): Promise<Map<number, AuditRow>>;
  /**
   * Seals abandoned entries now and then every `intervalMs`, whatever the write mode: entries whose process died
   * between its commit and its seal would otherwise wait for the next sequenced write, or forever once the app is
   * back in chained mode. A tick with nothing to take over costs one read of the (small) queue. Returns a stop function; the
   * timer does not keep the process alive.
   */
  sweep(intervalMs: number): () => void;
}

/**
 * The many-writers design, as transparency logs do it: the domain transaction appends its entry to
 * `audit_pending` — no shared row is locked, so writers in any number of processes do not wait for each other —
 * and the entry commits or rolls back with the domain write. After the commit, the sequencer seals committed
 * entries into the chain, a batch per transaction: it locks the chain head once per batch, numbers, hashes and
 * inserts the batch, moves the head and removes the batch from the queue. One sealing run at a time per process
 * (single flight); a request waits for the run after its commit, so its entry is in the chain when it answers.
 */
export function auditSequencer<DB extends AuditTables>(database: Kysely<DB>, options: SequencerOptions = {}): AuditSequencer {
  const db = auditDb(database);
  const sealer = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const batchSize = options.batchSize ?? 1_000;
  const takeOverAfterMs = options.takeOverAfterMs ?? 10_000;
  const gatherMs = options.gatherMs ?? 0;
  const gather = () => (gatherMs > 0 ? new Promise((resolve) => setTimeout(resolve, gatherMs)) : undefined);
  let running: Promise<Map<number, AuditRow>> | undefined;
  let queued: Promise<Map<number, AuditRow>> | undefined;

  async function sealOnce(): Promise<Map<number, AuditRow>> {
    const sealed = new Map<number, AuditRow>();
    for (;;) {
      const callbacks: (() => void)[] = [];
      const count = await db.transaction().execute(async (tx) => {
        // The head lock first: pending rows are read after it, so no other sealer is chaining them meanwhile.
        await chainAuditEntries(tx, [], () => undefined);
        const pending = await tx
          .selectFrom('audit_pending')
          .selectAll()
          .where((eb) => eb.or([eb('sealer', '=', sealer), eb('timestamp', '<', Date.now() - takeOverAfterMs)]))
          .orderBy('seq')
          .limit(batchSize)
          .execute();
        if (pending.length === 0) return 0;
        const problems = await pendingProblems(tx, pending, options.macKeys);
        const genuine = pending.filter((p) => !problems.has(p.seq));
        const rows = await chainAuditEntries(
          tx,
          genuine.map(({ seq: _seq, sealer: _sealer, nonce: _nonce, mac: _mac, ...fields }) => fields),
          (callback) => callbacks.push(callback),
          { checkpointer: options.checkpointer, macKeys: options.macKeys },
        );
        if (options.macKeys && genuine.length > 0) {
          await tx
            .insertInto('audit_sealed_nonces')
            .values(genuine.map((p, i) => ({ nonce: p.nonce!, entry_id: rows[i]!.id })))
            .execute();
        }
        if (problems.size > 0) {
          const refusedAt = Date.now();
          const refusals: PendingRefusal[] = [];
          await tx
            .insertInto('audit_pending_refused')
            .values(
              pending
                .filter((p) => problems.has(p.seq))
                .map((p) => {
                  const problem = problems.get(p.seq)!;
                  refusals.push({ seq: Number(p.seq), problem });
                  return { ...p, seq: Number(p.seq), refused_at: refusedAt, problem };
                }),
            )
            .execute();
          callbacks.push(() => refusals.forEach(logAuditPendingRefused));
        }
        await tx
          .deleteFrom('audit_pending')
          .where(
            'seq',
            'in',
            pending.map((p) => p.seq),
          )
          .execute();
        genuine.forEach((p, i) => sealed.set(Number(p.seq), rows[i]!));
        return pending.length;
      });
      for (const callback of callbacks) callback();
      if (count < batchSize) return sealed;
    }
  }

  /**
   * Why each queued entry the app did not make (its MAC is not the app's) or already sealed (its nonce was) must not be
   * chained, by seq; empty without MAC keys.
   */
  async function pendingProblems(
    tx: Transaction<AuditTables>,
    pending: readonly Selectable<AuditPendingTable>[],
    macKeys: AuditMacKeys | undefined,
  ): Promise<Map<number, PendingProblem>> {
    const problems = new Map<number, PendingProblem>();
    if (!macKeys) return problems;
    for (const p of pending) {
      const problem = pendingMacProblem(macKeys, { ...p, nonce: p.nonce ?? '' });
      if (problem) problems.set(p.seq, problem);
    }
    const nonces = pending.filter((p) => !problems.has(p.seq)).map((p) => p.nonce!);
    if (nonces.length === 0) return problems;
    const sealedBefore = new Set(
      (await tx.selectFrom('audit_sealed_nonces').select('nonce').where('nonce', 'in', nonces).execute()).map((r) => r.nonce),
    );
    for (const p of pending) if (!problems.has(p.seq) && sealedBefore.has(p.nonce!)) problems.set(p.seq, 'replayed');
    return problems;
  }

  const hasAbandoned = async () =>
    (await db
      .selectFrom('audit_pending')
      .select('seq')
      .where('timestamp', '<', Date.now() - takeOverAfterMs)
      .limit(1)
      .executeTakeFirst()) !== undefined;

  const sequencer: AuditSequencer = {
    sealer,
    sweep(intervalMs) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        try {
          if (await hasAbandoned()) await sequencer.flush();
        } catch (error) {
          options.onSweepError?.(error);
        }
        if (!stopped) timer = setTimeout(() => void tick(), intervalMs).unref();
      };
      void tick();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
    flush() {
      // A run already in progress may have read the queue before our entry committed: wait for the next one.
      queued ??= (running ?? Promise.resolve(new Map<number, AuditRow>()))
        .catch(() => new Map<number, AuditRow>())
        .then(gather)
        .then(() => {
          queued = undefined;
          running = sealOnce().finally(() => (running = undefined));
          return running;
        });
      return queued;
    },
  };
  return sequencer;
}

/**
 * Appends an entry to the sequencer's queue inside the caller's transaction (no chain lock), with a fresh nonce and
 * the app's MAC over both (macKeys: the sequencer's, which checks it); after the commit the sequencer seals it and the
 * `audit.<action>` span event is added with its chain id.
 */
export async function appendSequencedAuditEntry<DB extends AuditTables>(
  transaction: Transaction<DB>,
  input: AuditInput,
  afterCommit: AfterCommitAsync,
  options: { sequencer: AuditSequencer; keyring?: AuditKeyring; macKeys?: AuditMacKeys },
): Promise<void> {
  const fields = { ...(await unchainedFields(transaction, input, options.keyring)), nonce: pendingNonce() };
  const mac = options.macKeys ? macPendingAuditEntry(options.macKeys, fields) : null;
  const { seq } = await auditDb(transaction)
    .insertInto('audit_pending')
    .values({ ...fields, mac, sealer: options.sequencer.sealer })
    .returning('seq')
    .executeTakeFirstOrThrow();
  const span: Span | undefined = trace.getActiveSpan();
  afterCommit(async () => {
    const sealed = await options.sequencer.flush();
    const row = sealed.get(Number(seq));
    if (row && span) addAuditSpanEvent(span, row);
  });
}
