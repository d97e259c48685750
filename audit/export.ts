import type { Kysely } from 'kysely';
import { toAuditEntryView } from './entry';
import { streamAuditEntries, type AuditFilters } from './query';
import type { AuditTables } from './schema';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

const LINES_PER_CHUNK = 200;

/**
 * The matching entries, newest first, one JSON object per line. A pull stream: rows are read from the database
 * only as fast as the client takes them, in keyset batches, so memory stays constant however long the trail.
 */
export function auditNdjsonStream<DB extends AuditTables>(db: Kysely<DB>, filters: AuditFilters): ReadableStream<Uint8Array> {
  const rows = streamAuditEntries(db, filters);
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk = '';
        for (let i = 0; i < LINES_PER_CHUNK; i++) {
          const next = await rows.next();
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${JSON.stringify(toAuditEntryView(next.value))}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      },
      async cancel() {
        await rows.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
