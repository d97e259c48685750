import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parsePropagators, textMapPropagatorFor } from './propagators';

const parse = (raw: string | undefined) => {
  const warnings: string[] = [];
  return { names: parsePropagators(raw, warnings), warnings };
};

describe('OTEL_PROPAGATORS', () => {
  it('defaults to tracecontext,baggage (unset or blank)', () => {
    expect(parse(undefined)).toEqual({ names: ['tracecontext', 'baggage'], warnings: [] });
    expect(parse(' , ')).toEqual({ names: ['tracecontext', 'baggage'], warnings: [] });
  });

  it('keeps the configured order, case-insensitive, duplicates once', () => {
    expect(parse('B3, tracecontext,b3')).toEqual({ names: ['b3', 'tracecontext'], warnings: [] });
    expect(parse('b3multi,jaeger,baggage')).toEqual({ names: ['b3multi', 'jaeger', 'baggage'], warnings: [] });
  });

  it('ignores an unknown value with a warning, and falls back to the default when nothing known is left', () => {
    expect(parse('tracecontext,zipkin')).toEqual({
      names: ['tracecontext'],
      warnings: ['OTEL_PROPAGATORS: "zipkin" is not a known propagator (use tracecontext, baggage, b3, b3multi, jaeger, none); ignored'],
    });
    expect(parse('xray').warnings).toEqual([
      'OTEL_PROPAGATORS: "xray" needs a propagator package Drop does not ship; ignored',
      'OTEL_PROPAGATORS="xray" names no known propagator; using tracecontext,baggage',
    ]);
    expect(parse('tracecontxt').names).toEqual(['tracecontext', 'baggage']);
  });

  it('none turns propagation off, whatever else is listed (with a warning then)', () => {
    expect(parse('none')).toEqual({ names: ['none'], warnings: [] });
    expect(parse('tracecontext,none')).toEqual({
      names: ['none'],
      warnings: ['OTEL_PROPAGATORS: "none" turns propagation off; the other values are ignored'],
    });
  });

  it('builds propagators that read and write only the configured formats', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const headers = {
      traceparent: `00-${traceId}-${spanId}-01`,
      'x-b3-traceid': 'a'.repeat(32),
      'x-b3-spanid': 'b'.repeat(16),
      'x-b3-sampled': '1',
    };
    const extracted = (names: Parameters<typeof textMapPropagatorFor>[0]) =>
      trace.getSpanContext(textMapPropagatorFor(names).extract(ROOT_CONTEXT, headers, defaultTextMapGetter))?.traceId;
    expect(extracted(['tracecontext', 'baggage'])).toBe(traceId);
    expect(extracted(['b3multi'])).toBe('a'.repeat(32));
    expect(extracted(['none'])).toBeUndefined();

    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1 });
    const written = (names: Parameters<typeof textMapPropagatorFor>[0]) => {
      const carrier: Record<string, string> = {};
      textMapPropagatorFor(names).inject(context, carrier, defaultTextMapSetter);
      return Object.keys(carrier).sort();
    };
    expect(written(['tracecontext'])).toEqual(['traceparent']);
    expect(written(['b3'])).toEqual(['b3']);
    expect(written(['b3multi'])).toEqual(['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    expect(written(['jaeger'])).toEqual(['uber-trace-id']);
    expect(written(['none'])).toEqual([]);
  });
});
