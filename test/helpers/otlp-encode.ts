// Builds OTLP/HTTP export requests for tests and benchmarks: protobuf, encoded with protobufjs from the layer's
// own alert-processor/src/intake/otlp/otlp.proto (the same schema the decoder reads), or the OTLP JSON encoding.
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { otlpProtoFile } from '@alerts';

export type AttributeInput = string | number | boolean;

export interface LogInput {
  service: string;
  body: string;
  severityNumber: number;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  eventName?: string;
  attributes?: Record<string, AttributeInput>;
  timeMs?: number;
  /** Resource attributes besides service.name (default service.version 0.1.0, deployment.environment.name test). */
  resource?: Record<string, AttributeInput>;
}

export interface SpanInput {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  /** 0 unset, 1 ok, 2 error */
  statusCode?: number;
  attributes?: Record<string, AttributeInput>;
  timeMs?: number;
  /** Resource attributes besides service.name (default service.version 0.1.0, deployment.environment.name test). */
  resource?: Record<string, AttributeInput>;
}

let root: protobuf.Root | undefined;
function type(name: 'ExportLogsServiceRequest' | 'ExportTraceServiceRequest'): protobuf.Type {
  root ??= protobuf.parse(fs.readFileSync(otlpProtoFile, 'utf8'), { keepCase: true }).root;
  return root.lookupType(`opentelemetry.proto.${name}`);
}

function anyValue(value: AttributeInput): Record<string, unknown> {
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  return Number.isInteger(value) ? { int_value: value } : { double_value: value };
}

const keyValues = (attributes: Record<string, AttributeInput> = {}) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));

const nanos = (ms: number | undefined) => `${Math.round(ms ?? Date.now())}000000`;

function groupByService<T extends { service: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.service, [...(groups.get(item.service) ?? []), item]);
  return groups;
}

const resource = (service: string, extra: Record<string, AttributeInput> = {}) => ({
  attributes: keyValues({ 'service.name': service, 'service.version': '0.1.0', 'deployment.environment.name': 'test', ...extra }),
});

function logsObject(records: LogInput[]) {
  return {
    resource_logs: [...groupByService(records)].map(([service, items]) => ({
      resource: resource(service, items[0]?.resource),
      scope_logs: [
        {
          scope: { name: 'drop-test' },
          log_records: items.map((r) => ({
            time_unix_nano: nanos(r.timeMs),
            observed_time_unix_nano: nanos(r.timeMs),
            severity_number: r.severityNumber,
            severity_text: r.severityText ?? '',
            body: { string_value: r.body },
            attributes: keyValues(r.attributes),
            trace_id: r.traceId ? Buffer.from(r.traceId, 'hex') : Buffer.alloc(0),
            span_id: r.spanId ? Buffer.from(r.spanId, 'hex') : Buffer.alloc(0),
            event_name: r.eventName ?? '',
          })),
        },
      ],
    })),
  };
}

function tracesObject(spans: SpanInput[]) {
  return {
    resource_spans: [...groupByService(spans)].map(([service, items]) => ({
      resource: resource(service, items[0]?.resource),
      scope_spans: [
        {
          scope: { name: 'drop-test' },
          spans: items.map((s) => ({
            trace_id: Buffer.from(s.traceId, 'hex'),
            span_id: Buffer.from(s.spanId, 'hex'),
            name: s.name,
            kind: 2,
            start_time_unix_nano: nanos(s.timeMs),
            end_time_unix_nano: nanos(s.timeMs),
            attributes: keyValues(s.attributes),
            status: { code: s.statusCode ?? 0, message: '' },
          })),
        },
      ],
    })),
  };
}

export function encodeLogs(records: LogInput[]): Uint8Array {
  const t = type('ExportLogsServiceRequest');
  return t.encode(t.fromObject(logsObject(records))).finish();
}

export function encodeTraces(spans: SpanInput[]): Uint8Array {
  const t = type('ExportTraceServiceRequest');
  return t.encode(t.fromObject(tracesObject(spans))).finish();
}

/** The OTLP JSON encoding (camelCase, hex ids) of the same logs. */
export function logsJson(records: LogInput[]): string {
  const jsonValue = (value: AttributeInput) =>
    typeof value === 'string'
      ? { stringValue: value }
      : typeof value === 'boolean'
        ? { boolValue: value }
        : Number.isInteger(value)
          ? { intValue: String(value) }
          : { doubleValue: value };
  const attrs = (attributes: Record<string, AttributeInput> = {}) =>
    Object.entries(attributes).map(([key, value]) => ({ key, value: jsonValue(value) }));
  return JSON.stringify({
    resourceLogs: [...groupByService(records)].map(([service, items]) => ({
      resource: { attributes: attrs({ 'service.name': service }) },
      scopeLogs: [
        {
          scope: { name: 'drop-test' },
          logRecords: items.map((r) => ({
            timeUnixNano: nanos(r.timeMs),
            severityNumber: r.severityNumber,
            severityText: r.severityText ?? '',
            body: { stringValue: r.body },
            attributes: attrs(r.attributes),
            ...(r.traceId ? { traceId: r.traceId } : {}),
            ...(r.spanId ? { spanId: r.spanId } : {}),
            ...(r.eventName ? { eventName: r.eventName } : {}),
          })),
        },
      ],
    })),
  });
}

/** A random 16-byte trace id or 8-byte span id, as lower-case hex. */
export const randomHexId = (bytes: 16 | 8) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
