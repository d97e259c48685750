import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/** OTLP data in the shape of its JSON encoding (ids as lower-case hex, times as decimal strings). */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: { name: string; timeUnixNano: string; attributes: Attributes }[];
  status: { code: number; message: string };
  /** Links to other spans (e.g. an untrusted caller's traceparent, kept as a link instead of the parent). */
  links?: { traceId: string; spanId: string; attributes: Attributes }[];
  resource: Attributes;
  scope: string;
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  eventName: string;
  traceId: string;
  spanId: string;
  resource: Attributes;
  scope: string;
}

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

/** One data point: its attributes and times, and its value (gauge, sum) or count and sum (the histogram kinds, summary). */
export interface OtlpDataPoint {
  attributes: Attributes;
  startTimeUnixNano: string;
  timeUnixNano: string;
  /** A gauge's or sum's value (an int64 beyond 2^53 loses precision). */
  value?: number;
  count?: number;
  sum?: number;
}

export interface OtlpMetric {
  name: string;
  unit: string;
  /** The kind of the metric's data; undefined when it has none. */
  kind?: OtlpMetricKind;
  /** Sums: monotonic (a counter) or not; temporality 1 delta, 2 cumulative (0 unspecified). */
  monotonic?: boolean;
  temporality?: number;
  points: OtlpDataPoint[];
  /** The attributes of each data point (the same as `points[i].attributes`). */
  dataPointAttributes: Attributes[];
  resource: Attributes;
  scope: string;
}

export class OtlpDecodeError extends Error {}

/** The OTLP schema, beside this file (and beside the bundle, where alert-processor/build.ts copies it). */
export const otlpProtoFile = path.join(import.meta.dirname, 'otlp.proto');

let root: protobuf.Root | undefined;
function types() {
  root ??= protobuf.parse(fs.readFileSync(otlpProtoFile, 'utf8'), { keepCase: true }).root;
  return {
    traces: root.lookupType('opentelemetry.proto.ExportTraceServiceRequest'),
    logs: root.lookupType('opentelemetry.proto.ExportLogsServiceRequest'),
    metrics: root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest'),
  };
}

/* Generic walkers over the decoded (protobuf) or parsed (JSON) forms, which differ only in field casing. */
type Raw = Record<string, unknown>;
const pick = (o: Raw | undefined, snake: string, camel: string): unknown => (o ? (o[snake] ?? o[camel]) : undefined);
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A repeated field: absent is empty; anything but an array of objects is a request of the wrong shape
 * (`{"resourceLogs":"nope"}`), refused rather than read as nothing.
 */
function list(o: Raw | undefined, snake: string, camel: string): Raw[] {
  const value = pick(o, snake, camel);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${camel} must be an array, got ${typeof value}`);
  for (const item of value) if (!isObject(item)) throw new OtlpDecodeError(`${camel} must hold objects, got ${describeJson(item)}`);
  return value as Raw[];
}

/** A message field: absent is undefined; anything but an object is the wrong shape. */
function message(o: Raw, snake: string, camel: string): Raw | undefined {
  const value = pick(o, snake, camel);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new OtlpDecodeError(`${camel} must be an object, got ${describeJson(value)}`);
  return value;
}

const describeJson = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

function hexId(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') {
    // JSON encoding uses hex; tolerate base64 from producers that follow proto3 JSON strictly.
    if (/^[0-9a-fA-F]*$/.test(value)) return value.toLowerCase();
    return Buffer.from(value, 'base64').toString('hex');
  }
  return Buffer.from(value as Uint8Array).toString('hex');
}

function timeString(value: unknown): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'object' && 'low' in (value as object)) {
    const long = value as { low: number; high: number; unsigned?: boolean };
    return ((BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0)).toString();
  }
  return String(value);
}

function anyValue(v: Raw | undefined): AttributeValue {
  if (!v) return null;
  const s = pick(v, 'string_value', 'stringValue');
  if (s !== undefined && s !== null) return s as string;
  const b = pick(v, 'bool_value', 'boolValue');
  if (b !== undefined && b !== null) return b as boolean;
  // int64 stays a decimal string, exact beyond 2^53 (as in OTLP's JSON encoding).
  const i = pick(v, 'int_value', 'intValue');
  if (i !== undefined && i !== null) return timeString(i);
  const d = pick(v, 'double_value', 'doubleValue');
  if (d !== undefined && d !== null) return d as number;
  const arr = pick(v, 'array_value', 'arrayValue') as Raw | undefined;
  if (arr) return list(arr, 'values', 'values').map(anyValue);
  const kv = pick(v, 'kvlist_value', 'kvlistValue') as Raw | undefined;
  if (kv) return attributes(list(kv, 'values', 'values'));
  const bytes = pick(v, 'bytes_value', 'bytesValue');
  if (bytes !== undefined && bytes !== null) return hexId(bytes);
  return null;
}

function attributes(kvs: Raw[]): Attributes {
  const out: Attributes = {};
  for (const kv of kvs) out[String(kv.key)] = anyValue(kv.value as Raw | undefined);
  return out;
}

function flattenSpans(request: Raw): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of list(request, 'resource_spans', 'resourceSpans')) {
    const resource = attributes(list(message(rs, 'resource', 'resource'), 'attributes', 'attributes'));
    for (const ss of list(rs, 'scope_spans', 'scopeSpans')) {
      const scope = String((ss.scope as Raw | undefined)?.name ?? '');
      for (const span of list(ss, 'spans', 'spans')) {
        const status = message(span, 'status', 'status') ?? {};
        spans.push({
          traceId: hexId(pick(span, 'trace_id', 'traceId')),
          spanId: hexId(pick(span, 'span_id', 'spanId')),
          parentSpanId: hexId(pick(span, 'parent_span_id', 'parentSpanId')),
          name: String(span.name ?? ''),
          kind: Number(span.kind ?? 0),
          startTimeUnixNano: timeString(pick(span, 'start_time_unix_nano', 'startTimeUnixNano')),
          endTimeUnixNano: timeString(pick(span, 'end_time_unix_nano', 'endTimeUnixNano')),
          attributes: attributes(list(span, 'attributes', 'attributes')),
          events: list(span, 'events', 'events').map((e) => ({
            name: String(e.name ?? ''),
            timeUnixNano: timeString(pick(e, 'time_unix_nano', 'timeUnixNano')),
            attributes: attributes(list(e, 'attributes', 'attributes')),
          })),
          status: { code: Number(status.code ?? 0), message: String(status.message ?? '') },
          links: list(span, 'links', 'links').map((l) => ({
            traceId: hexId(pick(l, 'trace_id', 'traceId')),
            spanId: hexId(pick(l, 'span_id', 'spanId')),
            attributes: attributes(list(l, 'attributes', 'attributes')),
          })),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

function flattenLogs(request: Raw): OtlpLogRecord[] {
  const records: OtlpLogRecord[] = [];
  for (const rl of list(request, 'resource_logs', 'resourceLogs')) {
    const resource = attributes(list(message(rl, 'resource', 'resource'), 'attributes', 'attributes'));
    for (const sl of list(rl, 'scope_logs', 'scopeLogs')) {
      const scope = String((sl.scope as Raw | undefined)?.name ?? '');
      for (const r of list(sl, 'log_records', 'logRecords')) {
        records.push({
          timeUnixNano: timeString(pick(r, 'time_unix_nano', 'timeUnixNano')),
          severityNumber: Number(pick(r, 'severity_number', 'severityNumber') ?? 0),
          severityText: String(pick(r, 'severity_text', 'severityText') ?? ''),
          body: anyValue(r.body as Raw | undefined),
          attributes: attributes(list(r, 'attributes', 'attributes')),
          eventName: String(pick(r, 'event_name', 'eventName') ?? ''),
          traceId: hexId(pick(r, 'trace_id', 'traceId')),
          spanId: hexId(pick(r, 'span_id', 'spanId')),
          resource,
          scope,
        });
      }
    }
  }
  return records;
}

const METRIC_KINDS = [
  ['gauge', 'gauge', 'gauge'],
  ['sum', 'sum', 'sum'],
  ['histogram', 'histogram', 'histogram'],
  ['exponential_histogram', 'exponentialHistogram', 'exponentialHistogram'],
  ['summary', 'summary', 'summary'],
] as const;

function numberOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  // Protobuf longs arrive as strings (toObject's `longs: String`), JSON's int64 as decimal strings.
  const n = typeof value === 'number' ? value : Number(typeof value === 'string' ? value : timeString(value));
  return Number.isFinite(n) ? n : undefined;
}

/** 1 delta, 2 cumulative, 0 unspecified; JSON senders may spell the enum by name. */
function temporalityOf(value: unknown): number {
  if (typeof value === 'string' && /CUMULATIVE/i.test(value)) return 2;
  if (typeof value === 'string' && /DELTA/i.test(value)) return 1;
  return numberOf(value) ?? 0;
}

function dataPoint(p: Raw, kind: OtlpMetricKind): OtlpDataPoint {
  const point: OtlpDataPoint = {
    attributes: attributes(list(p, 'attributes', 'attributes')),
    startTimeUnixNano: timeString(pick(p, 'start_time_unix_nano', 'startTimeUnixNano')),
    timeUnixNano: timeString(pick(p, 'time_unix_nano', 'timeUnixNano')),
  };
  if (kind === 'gauge' || kind === 'sum') {
    point.value = numberOf(pick(p, 'as_int', 'asInt')) ?? numberOf(pick(p, 'as_double', 'asDouble')) ?? 0;
  } else {
    point.count = numberOf(p.count) ?? 0;
    const sum = numberOf(p.sum);
    if (sum !== undefined) point.sum = sum;
  }
  return point;
}

function flattenMetrics(request: Raw): OtlpMetric[] {
  const metrics: OtlpMetric[] = [];
  for (const rm of list(request, 'resource_metrics', 'resourceMetrics')) {
    const resource = attributes(list(message(rm, 'resource', 'resource'), 'attributes', 'attributes'));
    for (const sm of list(rm, 'scope_metrics', 'scopeMetrics')) {
      const scope = String((sm.scope as Raw | undefined)?.name ?? '');
      for (const m of list(sm, 'metrics', 'metrics')) {
        const metric: OtlpMetric = {
          name: String(m.name ?? ''),
          unit: String(m.unit ?? ''),
          points: [],
          dataPointAttributes: [],
          resource,
          scope,
        };
        for (const [snake, camel, kind] of METRIC_KINDS) {
          const data = message(m, snake, camel);
          if (!data) continue;
          metric.kind = kind;
          metric.points = list(data, 'data_points', 'dataPoints').map((p) => dataPoint(p, kind));
          if (kind === 'sum') metric.monotonic = Boolean(pick(data, 'is_monotonic', 'isMonotonic'));
          if (kind !== 'gauge' && kind !== 'summary')
            metric.temporality = temporalityOf(pick(data, 'aggregation_temporality', 'aggregationTemporality'));
          break;
        }
        metric.dataPointAttributes = metric.points.map((p) => p.attributes);
        metrics.push(metric);
      }
    }
  }
  return metrics;
}

export type OtlpEncoding = 'protobuf' | 'json';

function parse(kind: 'traces' | 'logs' | 'metrics', body: Uint8Array, encoding: OtlpEncoding): Raw {
  try {
    if (encoding === 'json') {
      const parsed: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
      if (!isObject(parsed)) throw new Error(`the request must be a JSON object, got ${describeJson(parsed)}`);
      return parsed;
    }
    const type = types()[kind];
    return type.toObject(type.decode(body), { longs: String, bytes: Array, defaults: false }) as Raw;
  } catch (error) {
    throw new OtlpDecodeError(`malformed OTLP ${kind} ${encoding} body: ${(error as Error).message}`);
  }
}

/** Runs a walker over a parsed request; whatever it throws comes from the input's shape. */
function walk<T>(kind: 'traces' | 'logs' | 'metrics', body: Uint8Array, encoding: OtlpEncoding, flatten: (request: Raw) => T): T {
  const request = parse(kind, body, encoding);
  try {
    return flatten(request);
  } catch (error) {
    throw new OtlpDecodeError(`malformed OTLP ${kind} ${encoding} body: ${(error as Error).message}`);
  }
}

/** Decodes an OTLP/HTTP ExportTraceServiceRequest body (protobuf or JSON) into flat spans. */
export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding): OtlpSpan[] {
  return walk('traces', body, encoding, flattenSpans);
}

/** Decodes an OTLP/HTTP ExportMetricsServiceRequest body (protobuf or JSON): names, kinds and data points with their values. */
export function decodeMetrics(body: Uint8Array, encoding: OtlpEncoding): OtlpMetric[] {
  return walk('metrics', body, encoding, flattenMetrics);
}

/** Decodes an OTLP/HTTP ExportLogsServiceRequest body (protobuf or JSON) into flat log records. */
export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding): OtlpLogRecord[] {
  return walk('logs', body, encoding, flattenLogs);
}

export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}
