import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SlackMessage } from '../notify/slack-message';
import type { ReceiverName } from '../notify/routes';
import type { Alert } from '../rules/rules';

/**
 * The persisted outbox: every alert the rules hand out is written here before anything is posted, and leaves
 * only once Slack has answered 2xx (or answered that it will never take it, e.g. 400 invalid_payload). A
 * restart, a Slack outage or a crash therefore loses no message. Each row is posted by one sender at a time.
 * Delivery is at least once: Slack's incoming webhooks take no idempotency key, so a post whose answer is lost
 * (a timeout after Slack accepted it, a crash between the 2xx and the row's deletion) is posted again
 * (docs/MONITORING.md, "Delivery to Slack", lists the windows).
 * Lives in the state file (ALERTS_STATE_FILE), on its own connection.
 *
 * Replicas (ALERTS_DATABASE_URL): an entry handed to the shared outbox stays here, marked relayed with the id of
 * its shared row, until that row is gone from the database (posted, muted or dropped by the sender); the
 * alerter takes it up again and posts it itself when the database stops answering (notify/alerter.ts). A relayed entry
 * is never due here.
 *
 * Grouping (ALERT_GROUP_SECONDS): an alert of a type no entry of which is waiting for its group to close is due
 * `groupMs` after it arrives; alerts of the same type arriving meanwhile join it (same due time). The sender
 * takes every due entry of the oldest entry's type at once and posts them as one message. The group is rows in
 * the file like any entry, so it survives a restart and goes on filling after it.
 *
 * Receivers (ALERT_ROUTES): an alert routed to Slack and email is one entry per receiver, each delivered, retried
 * and grouped on its own (a group is one type for one receiver), so an email outage never holds Slack back.
 */

export interface OutboxEntry {
  id: number;
  alert: Alert;
  message: SlackMessage;
  attempts: number;
  enqueuedAtMs: number;
  receiver: ReceiverName;
}

interface OutboxRow {
  id: number;
  alert_type: string;
  alert: string;
  message: string;
  attempts: number;
  enqueued_at_ms: number;
  receiver: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_type      TEXT    NOT NULL,
  service         TEXT    NOT NULL,
  alert           TEXT    NOT NULL,
  message         TEXT    NOT NULL,
  enqueued_at_ms  INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_ms, id);
`;

/** Columns added after the first release: added to an older state file at open. */
const ADDED_COLUMNS = { relayed_at_ms: 'INTEGER', shared_id: 'INTEGER', receiver: "TEXT NOT NULL DEFAULT 'slack'" } as const;

export interface RelayedEntry {
  id: number;
  sharedId: number;
  relayedAtMs: number;
}

const toEntry = (row: OutboxRow): OutboxEntry => ({
  id: row.id,
  alert: JSON.parse(row.alert) as Alert,
  message: JSON.parse(row.message) as SlackMessage,
  attempts: row.attempts,
  enqueuedAtMs: row.enqueued_at_ms,
  receiver: row.receiver === 'email' ? 'email' : 'slack',
});

export class Outbox {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      enqueue: db.prepare<[string, string, string, string, number, number, string]>(
        'INSERT INTO outbox (alert_type, service, alert, message, enqueued_at_ms, next_attempt_ms, receiver) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      nextDue: db.prepare<[number], OutboxRow>(
        'SELECT * FROM outbox WHERE next_attempt_ms <= ? AND relayed_at_ms IS NULL ORDER BY id LIMIT 1',
      ),
      openGroup: db.prepare<[string, string, number], { at: number }>(
        'SELECT next_attempt_ms AS at FROM outbox WHERE alert_type = ? AND receiver = ? AND attempts = 0 AND next_attempt_ms > ? AND relayed_at_ms IS NULL ORDER BY id LIMIT 1',
      ),
      dueOfType: db.prepare<[string, string, number, number], OutboxRow>(
        'SELECT * FROM outbox WHERE alert_type = ? AND receiver = ? AND next_attempt_ms <= ? AND relayed_at_ms IS NULL ORDER BY id LIMIT ?',
      ),
      removeLater: db.prepare<[string, string, number]>(
        'DELETE FROM outbox WHERE alert_type = ? AND service = ? AND id > ? AND relayed_at_ms IS NULL',
      ),
      nextAttemptAt: db.prepare<[], { at: number | null }>('SELECT MIN(next_attempt_ms) AS at FROM outbox WHERE relayed_at_ms IS NULL'),
      all: db.prepare<[], OutboxRow>('SELECT * FROM outbox ORDER BY id'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE relayed_at_ms IS NULL'),
      markRelayed: db.prepare<[number, number, number]>('UPDATE outbox SET relayed_at_ms = ?, shared_id = ? WHERE id = ?'),
      relayed: db.prepare<[], RelayedEntry>(
        'SELECT id, shared_id AS sharedId, relayed_at_ms AS relayedAtMs FROM outbox WHERE relayed_at_ms IS NOT NULL ORDER BY id',
      ),
      takeBack: db.prepare<[number, number]>('UPDATE outbox SET relayed_at_ms = NULL, shared_id = NULL, next_attempt_ms = ? WHERE id = ?'),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE id = ?'),
      retryAt: db.prepare<[number, number]>('UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ? WHERE id = ?'),
    };
  }

  static open(file: string): Outbox {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    const columns = new Set(
      db
        .prepare<[], { name: string }>('PRAGMA table_info(outbox)')
        .all()
        .map((column) => column.name),
    );
    for (const [name, type] of Object.entries(ADDED_COLUMNS))
      if (!columns.has(name)) db.exec(`ALTER TABLE outbox ADD COLUMN ${name} ${type}`);
    return new Outbox(db);
  }

  /** Writes the alert; with `groupMs` > 0 it is due when its group closes. Returns the entry's id. */
  enqueue(alert: Alert, message: SlackMessage, now: number, groupMs = 0, receiver: ReceiverName = 'slack'): number {
    const dueAt = groupMs > 0 ? (this.statements.openGroup.get(alert.type, receiver, now)?.at ?? now + groupMs) : now;
    return Number(
      this.statements.enqueue.run(alert.type, alert.service, JSON.stringify(alert), JSON.stringify(message), now, dueAt, receiver)
        .lastInsertRowid,
    );
  }

  /** The oldest due entry and the other due entries of its type and receiver (at most `max` in all, oldest first). */
  nextGroup(now: number, max: number): OutboxEntry[] {
    const first = this.statements.nextDue.get(now);
    if (!first) return [];
    return this.statements.dueOfType.all(first.alert_type, first.receiver ?? 'slack', now, max).map(toEntry);
  }

  /** Deletes the entries of this type and service written after entry `id` (a resolution of a muted alert). */
  removeLater(type: string, service: string, id: number): number {
    return this.statements.removeLater.run(type, service, id).changes;
  }

  /** The oldest entry due for (another) attempt. */
  nextDue(now: number): OutboxEntry | undefined {
    const row = this.statements.nextDue.get(now);
    return row && toEntry(row);
  }

  /** When the earliest entry is due, epoch ms; undefined when empty. */
  nextAttemptAt(): number | undefined {
    return this.statements.nextAttemptAt.get()?.at ?? undefined;
  }

  entries(): OutboxEntry[] {
    return this.statements.all.all().map(toEntry);
  }

  /** Entries waiting here (relayed ones, which the database holds, not counted). */
  get size(): number {
    return this.statements.count.get()?.n ?? 0;
  }

  remove(id: number): void {
    this.statements.remove.run(id);
  }

  retryAt(id: number, atMs: number): void {
    this.statements.retryAt.run(atMs, id);
  }

  /** The entry was handed to the shared outbox as row `sharedId`: kept, never due, until that row is gone. */
  markRelayed(id: number, sharedId: number, now: number): void {
    this.statements.markRelayed.run(now, sharedId, id);
  }

  relayed(): RelayedEntry[] {
    return this.statements.relayed.all();
  }

  /** Relayed entries the database may never post (it does not answer): due here again at `now`. */
  takeBack(ids: readonly number[], now: number): void {
    this.db.transaction(() => {
      for (const id of ids) this.statements.takeBack.run(now, id);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
