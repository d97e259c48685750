// Peer of the overhead bench: what `@vercel/otel`'s documented set-up records in Drop's build — Next's spans and
// fetch spans, exported over OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT. No DB spans, no OTLP logs.
// Loaded by src/instrumentation.ts only when DROP_BENCH_PEER=vercel-otel (never in production).
import { registerOTel } from '@vercel/otel';
import { hideDropSpans } from './without-drop-spans.mjs';

registerOTel({ serviceName: 'drop' });
hideDropSpans();
