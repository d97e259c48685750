import { describe, expect, it } from 'vitest';
import type { OtlpLogRecord, OtlpSpan } from '../intake/otlp/decode';
import { signalsFromLogs, signalsFromSpans } from './signals';

const log = (overrides: Partial<OtlpLogRecord>): OtlpLogRecord => ({
  timeUnixNano: '1764194400123000000',
  severityNumber: 9,
  severityText: 'info',
  body: 'hello',
  attributes: {},
  eventName: '',
  traceId: '',
  spanId: '',
  resource: { 'service.name': 'drop', 'service.version': '0.1.0', 'deployment.environment.name': 'production' },
  scope: 'pino',
  ...overrides,
});

const span = (overrides: Partial<OtlpSpan>): OtlpSpan => ({
  traceId: 'a'.repeat(32),
  spanId: 'b'.repeat(16),
  parentSpanId: '',
  name: 'POST /api/transfers',
  kind: 2,
  startTimeUnixNano: '0',
  endTimeUnixNano: '0',
  attributes: {},
  events: [],
  status: { code: 0, message: '' },
  resource: { 'service.name': 'drop' },
  scope: 'next.js',
  ...overrides,
});

describe('signals', () => {
  it('lifecycle events from the event_name field (pino over OTLP) or the event.name attribute', () => {
    const signals = signalsFromLogs(
      [
        log({ eventName: 'app.started' }),
        log({ attributes: { 'event.name': 'app.stopping' }, resource: {} }),
        log({ eventName: 'user.login' }),
      ],
      5,
    );
    expect(signals).toEqual([
      { kind: 'lifecycle', event: 'app.started', service: 'drop', timeMs: 1764194400123, version: '0.1.0', environment: 'production' },
      {
        kind: 'lifecycle',
        event: 'app.stopping',
        service: 'unknown_service',
        timeMs: 1764194400123,
        version: undefined,
        environment: undefined,
      },
    ]);
  });

  it('error logs: severity >= ERROR, or an error-like text without a number; others are ignored', () => {
    const signals = signalsFromLogs(
      [
        log({ severityNumber: 17, body: 'POST /api/x 500', traceId: 'c'.repeat(32) }),
        log({ severityNumber: 21, body: { msg: 'fatal' } }),
        log({ severityNumber: 0, severityText: 'CRITICAL', body: 'disk full' }),
        log({ severityNumber: 13, severityText: 'warn', body: 'slow' }),
        log({ severityNumber: 0, severityText: 'info', body: 'fine' }),
      ],
      5,
    );
    expect(signals).toEqual([
      { kind: 'error', service: 'drop', traceId: 'c'.repeat(32), description: 'POST /api/x 500' },
      { kind: 'error', service: 'drop', traceId: '', description: '{"msg":"fatal"}' },
      { kind: 'error', service: 'drop', traceId: '', description: 'disk full' },
    ]);
  });

  it('error spans: status ERROR only, described by name and error.type', () => {
    const signals = signalsFromSpans([
      span({ status: { code: 2, message: 'boom' }, attributes: { 'error.type': 'DeliberateError' } }),
      span({ status: { code: 1, message: '' } }),
      span({ status: { code: 0, message: '' } }),
    ]);
    expect(signals).toEqual([
      { kind: 'error', service: 'drop', traceId: 'a'.repeat(32), description: 'POST /api/transfers (DeliberateError)' },
    ]);
  });
});
