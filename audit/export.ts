import type { Kysely } from 'kysely';
import { isAuthenticAuditRow, toAuditEntryView } from './entry';
import type { AuditMacKeys } from './entry-mac';
import { streamAuditEntries, type AuditFilters } from './query';
import type { AuditRow, AuditTables } from './schema';

/** Turns stored rows into what readers see (revealAuditRows: personal data decrypted, or `erased`). */
export type RevealRows = (rows: AuditRow[]) => Promise<AuditRow[]>;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

const LINES_PER_CHUNK = 200;

/**
 * The matching entries, newest first, one JSON object per line (with macKeys, each says whether it is `authentic`). A pull stream: rows are read from the database
 * only as fast as the client takes them, in keyset batches, so memory stays constant however long the trail.
 */
export function auditNdjsonStream<DB extends AuditTables>(
  db: Kysely<DB>,
  filters: AuditFilters,
  reveal: RevealRows = async (rows) => rows,
  macKeys?: AuditMacKeys,
): ReadableStream<Uint8Array> {
  const rows = streamAuditEntries(db, filters);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const batch: AuditRow[] = [];
        let done = false;
        while (batch.length < LINES_PER_CHUNK) {
          const next = await rows.next();
          if (next.done) {
            done = true;
            break;
          }
          batch.push(next.value);
        }
        if (batch.length > 0) {
          const authentic = batch.map((row) => (macKeys ? isAuthenticAuditRow(macKeys, row) : undefined));
          const lines = (await reveal(batch)).map((row, i) => `${JSON.stringify(toAuditEntryView(row, authentic[i]))}\n`);
          controller.enqueue(encoder.encode(lines.join('')));
        }
        if (done) controller.close();
      },
      async cancel() {
        await rows.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
