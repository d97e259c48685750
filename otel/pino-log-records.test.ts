import { Writable } from 'node:stream';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inSpan } from '../test/helpers/in-memory-spans';
import { startOtlpReceiver, type OtlpReceiver } from '../test/helpers/otlp-receiver';
import { parseTelemetryConfig } from './config';
import { createLogger, type Logger } from './logger';
import { REDACTED } from './redact';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const CARD = '4111111111111111';

let receiver: OtlpReceiver;
let provider: LoggerProvider;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // A real SDK exporting OTLP/HTTP protobuf to a real receiver, which decodes what arrives.
  provider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${receiver.url}/v1/logs` }) })],
  });
  logs.setGlobalLoggerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  await receiver.close();
});
beforeEach(() => {
  receiver.logs.length = 0;
});

/** Drop's logger for this environment, its lines collected from a real stream. */
function loggerWith(env: Record<string, string>): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const config = parseTelemetryConfig({ OTEL_SERVICE_NAME: 'drop-test', LOG_LEVEL: 'info', ...env }, '1.2.3');
  return { logger: createLogger(config, destination), lines };
}

const ours = () => receiver.logs.filter((l) => l.scope === 'drop-pino');

describe('OTLP log records from pino objects', () => {
  it('carries body, severity, attributes, bindings, and the active trace context; redacted as the line is', async () => {
    const { logger, lines } = loggerWith({});
    const child = logger.child({ component: 'transfers' });
    const { traceId } = await inSpan('request', async () => {
      child.info(
        { 'event.name': 'transfer.created', amountCents: 500, password: 'hunter2', card: CARD, nested: { token: 'abc' } },
        `transfer with bearer ${JWT}`,
      );
    });
    const [record] = await receiver.waitFor(() => (ours().length === 1 ? ours() : undefined), 5_000, 'the record');
    expect(record!.traceId).toBe(traceId);
    expect(record!.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(record!.severityText).toBe('info');
    expect(record!.severityNumber).toBe(9);
    // The OTLP EventName field, not the deprecated attribute.
    expect(record!.eventName).toBe('transfer.created');
    expect(record!.attributes).not.toHaveProperty('event.name');
    expect(record!.body).toMatch(/^transfer with bearer \[REDACTED.*\]$/);
    expect(record!.attributes).toMatchObject({
      // The receiver's decoder gives integers as strings (int64).
      amountCents: '500',
      password: REDACTED,
      card: '[REDACTED:card]',
      component: 'transfers',
      'service.name': 'drop-test',
      'service.version': '1.2.3',
    });
    expect(JSON.stringify(record!.attributes.nested)).toContain(REDACTED);
    // Carried elsewhere in the record, not repeated as attributes.
    for (const key of ['msg', 'level', 'time', 'trace_id', 'pid', 'hostname']) expect(record!.attributes).not.toHaveProperty(key);
    // The stdout line says the same, redacted the same way.
    const line = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(line.msg).toBe(record!.body);
    expect([line.password, line.card]).toEqual([REDACTED, '[REDACTED:card]']);
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).not.toContain(JWT);
    expect(JSON.stringify(receiver.rawBodies.map((b) => b.toString('latin1')))).not.toContain('hunter2');
  });

  it('turns err into exception attributes, uses its message when there is no other, and formats parameters', async () => {
    const { logger } = loggerWith({});
    const failure = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    logger.error(failure);
    logger.warn({ err: new TypeError('bad input') }, 'rejected %d of %s', 3, 'five');
    logger.debug('below the level: no record');
    const records = await receiver.waitFor(() => (ours().length >= 2 ? ours() : undefined), 5_000, 'two records');
    const [first, second] = records;
    expect(first!.body).toBe('disk full');
    expect(first!.severityText).toBe('error');
    expect(first!.attributes['exception.type']).toBe('ENOSPC');
    expect(first!.attributes['exception.message']).toBe('disk full');
    expect(String(first!.attributes['exception.stacktrace'])).toContain('disk full');
    expect(first!.attributes).not.toHaveProperty('err');
    expect(second!.body).toBe('rejected 3 of five');
    expect(second!.attributes['exception.type']).toBe('TypeError');
    await new Promise((r) => setTimeout(r, 300));
    expect(ours()).toHaveLength(2);
  });

  it('OTEL_LOGS_EXPORTER=none: the logger emits no record, and one log call is one record', async () => {
    const { logger: other, lines } = loggerWith({ OTEL_LOGS_EXPORTER: 'none' });
    other.info('logs not exported');
    // A record from the one logger emitting in this test marks when the others would have arrived.
    loggerWith({}).logger.info('marker');
    await receiver.waitFor(() => ours().some((l) => l.body === 'marker'), 5_000, 'the marker');
    expect(ours().map((l) => l.body)).toEqual(['marker']);
    expect(lines).toHaveLength(1);
  });
});
