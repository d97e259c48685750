import { describe, expect, it } from 'vitest';
import { CORRELATION, LOG_TRACE_KEYS, isTraceId, parseTraceUrlTemplate, traceUrl } from './correlation';

describe('the correlation contract', () => {
  it('accepts a W3C trace id, never the all-zero one or another shape', () => {
    expect(isTraceId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(true);
    expect(isTraceId('0'.repeat(32))).toBe(false);
    expect(isTraceId('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe(false);
    expect(isTraceId('4bf92f3577b34da6a3ce929d0e0e473')).toBe(false);
  });

  it('puts the trace id on log lines under its log key', () => {
    expect(LOG_TRACE_KEYS.traceId).toBe(CORRELATION.logKey);
  });

  it('parses TRACE_URL_TEMPLATE the same for every process: unset is no link, a bad one an error naming it', () => {
    expect(parseTraceUrlTemplate(undefined)).toBeUndefined();
    expect(parseTraceUrlTemplate('  ')).toBeUndefined();
    expect(parseTraceUrlTemplate(' https://tempo.example/trace/{traceId} ')).toBe('https://tempo.example/trace/{traceId}');
    for (const bad of ['https://tempo.example/trace/', 'tempo.example/trace/{traceId}', 'ftp://tempo/{traceId}', 'http://[x/{traceId}']) {
      expect(() => parseTraceUrlTemplate(bad)).toThrow(`TRACE_URL_TEMPLATE must be an http(s) URL containing {traceId}, got "${bad}"`);
    }
    expect(traceUrl('https://tempo.example/trace/{traceId}', '4bf92f3577b34da6a3ce929d0e0e4736')).toBe(
      'https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });
});
