import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Matcher } from '../silence/silence-matchers';

/**
 * Silences (POST /api/silences) in the state file, on their own connection: matchers, a start and an end, who
 * and why, and how many alerts each has held back. An expired silence is kept for a week (GET shows it), then
 * deleted; a DELETE ends a silence now rather than erasing it, so what it muted stays visible.
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

/** Where silences live: the state file (this file), or PostgreSQL for replicas (pg-silence-store.ts). */
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

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at_ms: number;
  ends_at_ms: number;
  comment: string;
  created_by: string | null;
  created_at_ms: number;
  silenced: number;
  last_silenced_at_ms: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS silences (
  id                  TEXT    PRIMARY KEY,
  matchers            TEXT    NOT NULL,
  starts_at_ms        INTEGER NOT NULL,
  ends_at_ms          INTEGER NOT NULL,
  comment             TEXT    NOT NULL,
  created_by          TEXT,
  created_at_ms       INTEGER NOT NULL,
  silenced            INTEGER NOT NULL DEFAULT 0,
  last_silenced_at_ms INTEGER
);
CREATE INDEX IF NOT EXISTS silences_ends_at ON silences (ends_at_ms);
`;

export const KEEP_EXPIRED_MS = 7 * 24 * 3600_000;

const toSilence = (row: SilenceRow): Silence => ({
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
  private readonly db: Database.Database;
  private readonly statements;
  /** The silences not yet expired, read from the file at most once per change (checked for every alert sent). */
  private current: Silence[] | undefined;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      insert: db.prepare<SilenceRow>(
        `INSERT INTO silences (id, matchers, starts_at_ms, ends_at_ms, comment, created_by, created_at_ms, silenced, last_silenced_at_ms)
         VALUES (@id, @matchers, @starts_at_ms, @ends_at_ms, @comment, @created_by, @created_at_ms, @silenced, @last_silenced_at_ms)`,
      ),
      get: db.prepare<[string], SilenceRow>('SELECT * FROM silences WHERE id = ?'),
      all: db.prepare<[], SilenceRow>('SELECT * FROM silences ORDER BY starts_at_ms, created_at_ms'),
      unexpired: db.prepare<[number], SilenceRow>('SELECT * FROM silences WHERE ends_at_ms > ? ORDER BY starts_at_ms, created_at_ms'),
      countUnexpired: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM silences WHERE ends_at_ms > ?'),
      expire: db.prepare<[number, string, number]>('UPDATE silences SET ends_at_ms = ? WHERE id = ? AND ends_at_ms > ?'),
      recordSilenced: db.prepare<[number, string]>('UPDATE silences SET silenced = silenced + 1, last_silenced_at_ms = ? WHERE id = ?'),
      purge: db.prepare<[number]>('DELETE FROM silences WHERE ends_at_ms <= ?'),
    };
  }

  static open(file: string): SilenceStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new SilenceStore(db);
  }

  async create(silence: NewSilence, now: number): Promise<Silence> {
    const row: SilenceRow = {
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
    this.statements.insert.run(row);
    this.current = undefined;
    return toSilence(row);
  }

  async get(id: string): Promise<Silence | undefined> {
    const row = this.statements.get.get(id);
    return row && toSilence(row);
  }

  async list(now: number, includeExpired: boolean): Promise<Silence[]> {
    return (includeExpired ? this.statements.all.all() : this.statements.unexpired.all(now)).map(toSilence);
  }

  async countUnexpired(now: number): Promise<number> {
    return this.statements.countUnexpired.get(now)?.n ?? 0;
  }

  async expire(id: string, now: number): Promise<Silence | undefined> {
    this.statements.expire.run(now, id, now);
    this.current = undefined;
    const row = this.statements.get.get(id);
    return row && toSilence(row);
  }

  async active(now: number): Promise<Silence[]> {
    this.current ??= this.statements.unexpired.all(now).map(toSilence);
    if (this.current.some((silence) => silence.endsAtMs <= now)) this.current = this.statements.unexpired.all(now).map(toSilence);
    return this.current.filter((silence) => silence.startsAtMs <= now);
  }

  async recordSilenced(id: string, now: number): Promise<void> {
    this.statements.recordSilenced.run(now, id);
  }

  async purge(now: number): Promise<number> {
    const removed = this.statements.purge.run(now - KEEP_EXPIRED_MS).changes;
    if (removed > 0) this.current = undefined;
    return removed;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
