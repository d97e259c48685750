/**
 * The alert processor's one public entry (`@alerts`), for the tests and benchmarks that run or feed it: building
 * its bundle (what the image ships) and its OTLP decoder, which the test receivers standing in for a collector or
 * Sentry's ingest reuse. The service itself starts from src/main.ts; nothing in the app, the layer or the audit
 * module imports it.
 */
export { buildAlertProcessor, distDir, entryFile } from './build';
export {
  decodeLogs,
  decodeMetrics,
  decodeTraces,
  encodingOf,
  otlpProtoFile,
  OtlpDecodeError,
  type AttributeValue,
  type Attributes,
  type OtlpEncoding,
  type OtlpLogRecord,
  type OtlpMetric,
  type OtlpSpan,
} from './src/intake/otlp/decode';
