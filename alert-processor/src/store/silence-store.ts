import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Matcher } from '../silence/silence-matchers';
import type { AlertsDb, AlertTables } from './database';

/**
 * Silences (POST /api/silences) in the store — the state file, or the database replicas share, so that a silence
 * created through any replica's API holds on the sender: matchers, a start and an end, who and why, and how many
 * alerts each has held back. An expired silence is kept for a week (GET shows it), then deleted; a DELETE ends a
 * silence now rather than erasing it, so what it muted stays visible.
 *
 * The active ones, checked for every alert about to be posted, are cached for `refreshMs` (and re-read at once
 * after a change made here); when the database does not answer, the last list read goes on being used (a
 * replica posting on its own then still honours the silences it knew; one that never read them holds nothing
 * back).
 */

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAtMs: number;
  endsAtMs: number;
  comment: string;
  createdBy: string | null;
  createdAtMs: number;
  /** Alerts this silence held back. */
  silenced: number;
  lastSilencedAtMs: number | null;
}

export type NewSilence = Pick<Silence, 'matchers' | 'startsAtMs' | 'endsAtMs' | 'comment' | 'createdBy'>;

export interface Silences {
  create(silence: NewSilence, now: number): Promise<Silence>;
  get(id: string): Promise<Silence | undefined>;
  /** Every silence kept (expired ones for a week), or only those not yet expired. */
  list(now: number, includeExpired: boolean): Promise<Silence[]>;
  countUnexpired(now: number): Promise<number>;
  /** Ends the silence now; undefined when there is none with this id. */
  expire(id: string, now: number): Promise<Silence | undefined>;
  /** The active silences (started, not ended) at `now`. */
  active(now: number): Promise<Silence[]>;
  recordSilenced(id: string, now: number): Promise<void>;
  /** Deletes silences expired longer ago than KEEP_EXPIRED_MS. */
  purge(now: number): Promise<number>;
  close(): Promise<void>;
}

type Row = Selectable<AlertTables['alert_silences']>;

export const KEEP_EXPIRED_MS = 7 * 24 * 3600_000;

const toSilence = (row: Row): Silence => ({
  id: row.id,
  matchers: JSON.parse(row.matchers) as Matcher[],
  startsAtMs: row.starts_at_ms,
  endsAtMs: row.ends_at_ms,
  comment: row.comment,
  createdBy: row.created_by,
  createdAtMs: row.created_at_ms,
  silenced: row.silenced,
  lastSilencedAtMs: row.last_silenced_at_ms,
});

export class SilenceStore implements Silences {
  private cache: { at: number; silences: Silence[] } | undefined;

  constructor(
    private readonly db: AlertsDb,
    private readonly refreshMs = 2_000,
  ) {}

  async create(silence: NewSilence, now: number): Promise<Silence> {
    const row: Row = {
      id: randomUUID(),
      matchers: JSON.stringify(silence.matchers),
      starts_at_ms: silence.startsAtMs,
      ends_at_ms: silence.endsAtMs,
      comment: silence.comment,
      created_by: silence.createdBy,
      created_at_ms: now,
      silenced: 0,
      last_silenced_at_ms: null,
    };
    await this.db.insertInto('alert_silences').values(row).execute();
    this.cache = undefined;
    return toSilence(row);
  }

  async get(id: string): Promise<Silence | undefined> {
    const row = await this.db.selectFrom('alert_silences').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSilence(row);
  }

  async list(now: number, includeExpired: boolean): Promise<Silence[]> {
    let query = this.db.selectFrom('alert_silences').selectAll().orderBy('starts_at_ms').orderBy('created_at_ms');
    if (!includeExpired) query = query.where('ends_at_ms', '>', now);
    return (await query.execute()).map(toSilence);
  }

  async countUnexpired(now: number): Promise<number> {
    const row = await this.db
      .selectFrom('alert_silences')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ends_at_ms', '>', now)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async expire(id: string, now: number): Promise<Silence | undefined> {
    await this.db.updateTable('alert_silences').set({ ends_at_ms: now }).where('id', '=', id).where('ends_at_ms', '>', now).execute();
    this.cache = undefined;
    return this.get(id);
  }

  async active(now: number): Promise<Silence[]> {
    if (!this.cache || now - this.cache.at >= this.refreshMs) {
      try {
        this.cache = { at: now, silences: await this.list(now, false) };
      } catch {
        // Never read: no silence is known, and nothing is held back (failing open, like the rest).
        if (!this.cache) return [];
      }
    }
    return this.cache.silences.filter((silence) => silence.startsAtMs <= now && silence.endsAtMs > now);
  }

  async recordSilenced(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('alert_silences')
      .set((eb) => ({ silenced: eb('silenced', '+', 1), last_silenced_at_ms: now }))
      .where('id', '=', id)
      .execute();
  }

  async purge(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('alert_silences')
      .where('ends_at_ms', '<=', now - KEEP_EXPIRED_MS)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async close(): Promise<void> {
    // The store belongs to the processor, which closes it.
  }
}
