// Decodes OTLP/HTTP protobuf request bodies (what the collector's otlp_http exporters send) with protobufjs.
// The schema is the subset of opentelemetry-proto (common, resource, trace, logs, metrics v1) that the tests
// read, with the upstream field numbers; protobuf decoding skips the fields left out.
import protobuf from 'protobufjs';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

const schema = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
        KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        InstrumentationScope: { fields: { name: { type: 'string', id: 1 }, attributes: repeated('KeyValue', 3) } },
        Resource: { fields: { attributes: repeated('KeyValue', 1) } },

        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            attributes: repeated('KeyValue', 9),
            status: { type: 'Status', id: 15 },
          },
        },
        ScopeSpans: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, spans: repeated('Span', 2) } },
        ResourceSpans: { fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: repeated('ScopeSpans', 2) } },
        ExportTraceServiceRequest: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },

        LogRecord: {
          fields: {
            severityNumber: { type: 'int32', id: 2 },
            severityText: { type: 'string', id: 3 },
            body: { type: 'AnyValue', id: 5 },
            attributes: repeated('KeyValue', 6),
            eventName: { type: 'string', id: 12 },
          },
        },
        ScopeLogs: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, logRecords: repeated('LogRecord', 2) } },
        ResourceLogs: { fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: repeated('ScopeLogs', 2) } },
        ExportLogsServiceRequest: { fields: { resourceLogs: repeated('ResourceLogs', 1) } },

        NumberDataPoint: { fields: { attributes: repeated('KeyValue', 7), asDouble: { type: 'double', id: 4 } } },
        Gauge: { fields: { dataPoints: repeated('NumberDataPoint', 1) } },
        Metric: { fields: { name: { type: 'string', id: 1 }, gauge: { type: 'Gauge', id: 5 } } },
        ScopeMetrics: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, metrics: repeated('Metric', 2) } },
        ResourceMetrics: { fields: { resource: { type: 'Resource', id: 1 }, scopeMetrics: repeated('ScopeMetrics', 2) } },
        ExportMetricsServiceRequest: { fields: { resourceMetrics: repeated('ResourceMetrics', 1) } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const toObjectOptions = { longs: String, bytes: String, defaults: false, oneofs: false } as const;

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
};
type KeyValue = { key: string; value?: AnyValue };

export type AttributeValue = string | boolean | number | AttributeValue[] | { [key: string]: AttributeValue } | null;

function plain(value: AnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // int64 as a string keeps 19-digit values exact; tests compare against strings for ints.
  if (value.intValue !== undefined) return value.intValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain);
  if (value.kvlistValue) return attributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}

function attributes(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));
}

function decode(typeName: string, body: Buffer): Record<string, unknown> {
  const type = root.lookupType(`otlp.${typeName}`);
  return type.toObject(type.decode(body), toObjectOptions);
}

export interface DecodedSpan {
  name: string;
  statusCode: number;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
}

export interface DecodedLogRecord {
  body: AttributeValue;
  severityNumber: number;
  eventName: string | undefined;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
}

export interface DecodedMetric {
  name: string;
  dataPointAttributes: Record<string, AttributeValue>[];
}

// The shapes protobufjs' toObject() returns for the schema above (fields absent when unset).
interface ResourceShape {
  attributes?: KeyValue[];
}
interface TracesShape {
  resourceSpans?: {
    resource?: ResourceShape;
    scopeSpans?: { spans?: { name?: string; status?: { code?: number }; attributes?: KeyValue[] }[] }[];
  }[];
}
interface LogsShape {
  resourceLogs?: {
    resource?: ResourceShape;
    scopeLogs?: {
      logRecords?: { body?: AnyValue; severityNumber?: number; eventName?: string; attributes?: KeyValue[] }[];
    }[];
  }[];
}
interface MetricsShape {
  resourceMetrics?: {
    scopeMetrics?: { metrics?: { name?: string; gauge?: { dataPoints?: { attributes?: KeyValue[] }[] } }[] }[];
  }[];
}

export function decodeTraces(body: Buffer): DecodedSpan[] {
  const request = decode('ExportTraceServiceRequest', body) as TracesShape;
  return (request.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        name: span.name ?? '',
        statusCode: span.status?.code ?? 0,
        attributes: attributes(span.attributes),
        resource: attributes(rs.resource?.attributes),
      })),
    ),
  );
}

export function decodeLogs(body: Buffer): DecodedLogRecord[] {
  const request = decode('ExportLogsServiceRequest', body) as LogsShape;
  return (request.resourceLogs ?? []).flatMap((rl) =>
    (rl.scopeLogs ?? []).flatMap((sl) =>
      (sl.logRecords ?? []).map((record) => ({
        body: plain(record.body),
        severityNumber: record.severityNumber ?? 0,
        eventName: record.eventName,
        attributes: attributes(record.attributes),
        resource: attributes(rl.resource?.attributes),
      })),
    ),
  );
}

export function decodeMetrics(body: Buffer): DecodedMetric[] {
  const request = decode('ExportMetricsServiceRequest', body) as MetricsShape;
  return (request.resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? []).map((metric) => ({
        name: metric.name ?? '',
        dataPointAttributes: (metric.gauge?.dataPoints ?? []).map((point) => attributes(point.attributes)),
      })),
    ),
  );
}
