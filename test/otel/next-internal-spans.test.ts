import { describe, expect, it } from 'vitest';
import { NEXT_PLUMBING_SPAN_TYPES } from '../../otel/sampler';
import { HttpClient, newTraceparent } from '../helpers/http-client';
import { useStack } from '../helpers/stack';

// The default (plumbing spans left out) is checked in correlation.test.ts; this is the switch that brings them back.
describe('TRACE_NEXT_INTERNAL_SPANS=true', () => {
  const otlpApp = useStack({ otlp: { traces: true }, env: { TRACE_NEXT_INTERNAL_SPANS: 'true' } });

  it("records Next's plumbing spans too, under the request span", async () => {
    const { app, otlp: receiver } = otlpApp();
    const { traceparent, traceId } = newTraceparent();
    const res = await new HttpClient(app.url).request('GET', '/api/health', { headers: { traceparent } });
    expect(res.status).toBe(200);
    const spans = await receiver.waitFor(
      () => {
        const mine = receiver.spans.filter((s) => s.traceId === traceId);
        return mine.some((s) => s.attributes['next.span_type'] === 'BaseServer.handleRequest') ? mine : undefined;
      },
      15_000,
      'spans of the request',
    );
    const plumbing = spans.filter((s) => NEXT_PLUMBING_SPAN_TYPES.has(String(s.attributes['next.span_type'])));
    expect(plumbing.map((s) => s.attributes['next.span_type'])).toEqual(
      expect.arrayContaining(['NextNodeServer.findPageComponents', 'RouteModule.prepare', 'NextNodeServer.startResponse']),
    );
  });
});
