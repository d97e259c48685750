import type { OtlpLogRecord, OtlpSpan } from '@alerts';
import { DEMO_PASSWORD } from './app-server';
import { HttpClient, newTraceparent } from './http-client';
import type { OtlpReceiver } from './otlp-receiver';

/** What a server exported for one request's trace, decoded by the OTLP receiver. */
export interface RequestRecords {
  traceId: string;
  spans: OtlpSpan[];
  /** Spans of Drop's DB tracer (otel/db): the transaction spans and statement spans. */
  dbSpans: OtlpSpan[];
  /** SQLite transaction spans (`TRANSACTION`), which carry the statement count of the fast statements. */
  transactions: OtlpSpan[];
  /** Spans of a single SQL statement (they carry db.query.text). */
  statementSpans: OtlpSpan[];
  logs: OtlpLogRecord[];
  /** `audit.*` span events (otel/audit-span-event.ts) on any span of the trace. */
  auditEvents: string[];
}

export const DB_TRACER = 'drop-db';

/**
 * Waits until the receiver holds the trace's server span (the child of the caller's span) and nothing more of the
 * trace has arrived for `quietMs` (the exporters' batches are flushed every 200 ms in the tests).
 */
export async function recordsOf(otlp: OtlpReceiver, traceId: string, callerSpanId: string, quietMs = 1_500): Promise<RequestRecords> {
  let seen = -1;
  let since = Date.now();
  await otlp.waitFor(
    () => {
      const count = otlp.spans.filter((s) => s.traceId === traceId).length + otlp.logs.filter((l) => l.traceId === traceId).length;
      if (count !== seen) {
        seen = count;
        since = Date.now();
        return false;
      }
      const rooted = otlp.spans.some((s) => s.traceId === traceId && s.parentSpanId === callerSpanId);
      return rooted && Date.now() - since >= quietMs;
    },
    20_000,
    `the spans of trace ${traceId}`,
  );
  const spans = otlp.spans.filter((s) => s.traceId === traceId);
  const dbSpans = spans.filter((s) => s.scope === DB_TRACER);
  return {
    traceId,
    spans,
    dbSpans,
    transactions: dbSpans.filter((s) => s.name === 'TRANSACTION'),
    statementSpans: spans.filter((s) => s.attributes['db.query.text'] !== undefined),
    logs: otlp.logs.filter((l) => l.traceId === traceId),
    auditEvents: spans.flatMap((s) => s.events.map((e) => e.name)).filter((name) => name.startsWith('audit.')),
  };
}

/** One health check, one login (alice) and one transfer to bob, each in a trace of its own, and what each exported. */
export async function healthLoginTransfer(
  url: string,
  otlp: OtlpReceiver,
): Promise<{ health: RequestRecords; login: RequestRecords; transfer: RequestRecords }> {
  const client = new HttpClient(url);
  const traced = async (send: (headers: Record<string, string>) => Promise<{ status: number }>, status: number) => {
    const { traceparent, traceId } = newTraceparent();
    const res = await send({ traceparent });
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}`);
    return { traceId, callerSpanId: traceparent.split('-')[2]! };
  };
  const health = await traced((headers) => client.get('/api/health', { headers }), 200);
  const login = await traced((headers) => client.login('alice@drop.test', DEMO_PASSWORD, { headers }), 200);
  const transfer = await traced(
    (headers) =>
      client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { headers: { ...headers, 'idempotency-key': crypto.randomUUID() } },
      ),
    201,
  );
  return {
    health: await recordsOf(otlp, health.traceId, health.callerSpanId),
    login: await recordsOf(otlp, login.traceId, login.callerSpanId),
    transfer: await recordsOf(otlp, transfer.traceId, transfer.callerSpanId),
  };
}
