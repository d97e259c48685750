import { describe, expect, it } from 'vitest';
import { healthLoginTransfer } from '../helpers/request-records';
import { useStack } from '../helpers/stack';

// The levers of issue 13 wired into the app (docs/PERFORMANCE.md "Levers of issue 13"), checked on what the
// built server exports for one health check, one login and one transfer.
const durationMs = (s: { startTimeUnixNano: string; endTimeUnixNano: string }) =>
  Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6;

describe('SQLite statement spans, default (DB_STATEMENT_SPANS=slow, DB_STATEMENT_SPAN_MS=10)', () => {
  const stack = useStack({ otlp: true });

  it("a transfer's trace has its transaction span with the statement count, and a span only for a slow statement", async () => {
    const { app, otlp } = stack();
    const { transfer } = await healthLoginTransfer(app.url, otlp);
    expect(transfer.transactions).toHaveLength(1);
    const counted = Number(transfer.transactions[0]!.attributes['drop.db.statement.count']);
    expect(counted).toBeGreaterThanOrEqual(3);
    expect(Number(transfer.transactions[0]!.attributes['drop.db.statement.duration_ms'])).toBeGreaterThan(0);
    // Fast statements have no span: any statement span there is is of one slower than the threshold.
    for (const statement of transfer.statementSpans) expect(durationMs(statement)).toBeGreaterThanOrEqual(10);
    expect(transfer.statementSpans.length).toBeLessThan(counted);
  });
});

describe('SQLite statement spans, DB_STATEMENT_SPANS=all', () => {
  const stack = useStack({ otlp: true, env: { DB_STATEMENT_SPANS: 'all' } });

  it("a transfer's trace has one span per statement and no transaction span", async () => {
    const { app, otlp } = stack();
    const { transfer } = await healthLoginTransfer(app.url, otlp);
    expect(transfer.transactions).toEqual([]);
    expect(transfer.statementSpans.length).toBeGreaterThanOrEqual(3);
    expect(transfer.statementSpans.map((s) => s.name)).toContain('INSERT transfers');
  });
});

describe("OTLP log records, built from pino's object", () => {
  const stack = useStack({ otlp: true });

  it('one OTLP record per stdout line of each request, with the same messages', async () => {
    const { app, otlp } = stack();
    const records = await healthLoginTransfer(app.url, otlp);
    for (const [request, { traceId, logs }] of Object.entries(records)) {
      const lines = app.logRecords().filter((line) => line.trace_id === traceId);
      expect(lines.length, request).toBeGreaterThan(0);
      expect(logs.length, request).toBe(lines.length);
      expect(logs.map((l) => String(l.body)).sort(), request).toEqual(lines.map((l) => String(l.msg)).sort());
    }
  });
});
