import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig } from './config';
import { NEXT_PLUMBING_SPAN_TYPES, tracesSampler } from './sampler';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

function decide(env: Record<string, string>, attributes: Record<string, string>, traceId = TRACE_ID, context = ROOT_CONTEXT) {
  const sampler = tracesSampler(parseTelemetryConfig(env, '1.0.0'));
  return sampler.shouldSample(context, traceId, 'span', SpanKind.INTERNAL, attributes, []).decision;
}

describe('the traces sampler', () => {
  it("does not record Next's plumbing spans, and records the request and handler spans", () => {
    for (const type of NEXT_PLUMBING_SPAN_TYPES) expect(decide({}, { 'next.span_type': type })).toBe(SamplingDecision.NOT_RECORD);
    expect(decide({}, { 'next.span_type': 'BaseServer.handleRequest' })).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({}, { 'next.span_type': 'AppRouteRouteHandlers.runHandler' })).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({}, { 'db.system.name': 'sqlite' })).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('records the plumbing spans with TRACE_NEXT_INTERNAL_SPANS=true or NEXT_OTEL_VERBOSE=1', () => {
    const plumbing = { 'next.span_type': 'RouteModule.prepare' };
    expect(decide({ TRACE_NEXT_INTERNAL_SPANS: 'true' }, plumbing)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({ NEXT_OTEL_VERBOSE: '1' }, plumbing)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('follows a sampled-out parent (default parentbased_always_on)', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE });
    expect(decide({}, {}, TRACE_ID, parent)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('applies OTEL_TRACES_SAMPLER and its ratio, and SENTRY_TRACES_SAMPLE_RATE when that is unset', () => {
    expect(decide({ OTEL_TRACES_SAMPLER: 'always_off' }, {})).toBe(SamplingDecision.NOT_RECORD);
    expect(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, {})).toBe(SamplingDecision.NOT_RECORD);
    expect(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }, {})).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(
      parseTelemetryConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }, '1.0.0').tracesSampler,
    ).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    expect(decide({ SENTRY_TRACES_SAMPLE_RATE: '0' }, {})).toBe(SamplingDecision.NOT_RECORD);
    expect(decide({ SENTRY_TRACES_SAMPLE_RATE: '0', OTEL_TRACES_SAMPLER: 'always_on' }, {})).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('warns about an unknown sampler or a bad ratio and falls back', () => {
    const unknown = parseTelemetryConfig({ OTEL_TRACES_SAMPLER: 'sometimes' }, '1.0.0');
    expect(unknown.tracesSampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(unknown.warnings.join()).toContain('OTEL_TRACES_SAMPLER="sometimes"');
    const badRatio = parseTelemetryConfig({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, '1.0.0');
    expect(badRatio.tracesSampler).toEqual({ name: 'parentbased_traceidratio', ratio: 1 });
    expect(badRatio.warnings.join()).toContain('OTEL_TRACES_SAMPLER_ARG="2"');
  });
});
