// Peer of the overhead bench: the plain NodeSDK with @opentelemetry/auto-instrumentations-node, spans and logs
// exported over OTLP/HTTP protobuf (OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER=otlp, set by the bench): Next's
// spans, the http server span (this runs before Next loads http), undici, and pino's lines as OTLP log records. No
// DB spans (nothing in the bundle instruments better-sqlite3). fs is left out, as the package's docs advise.
// Started by Node before Next (`node --import bench/peers/node-sdk-auto.mjs`, see bench/overhead-variants.ts);
// Drop's layer finds its SDK registered and steps aside. No production file knows this exists.
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { hideDropSpans } from './without-drop-spans.mjs';

const sdk = new NodeSDK({
  serviceName: 'drop',
  instrumentations: [getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } })],
});
sdk.start();
hideDropSpans();
