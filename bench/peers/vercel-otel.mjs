// Peer of the overhead bench: what `@vercel/otel`'s documented set-up records in Drop's build — Next's spans and
// fetch spans, exported over OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_ENDPOINT. No DB spans, no OTLP logs.
// Started by Node before Next (`node --import bench/peers/vercel-otel.mjs`, see bench/overhead-variants.ts); Drop's
// layer finds its SDK registered and steps aside. No production file knows this exists.
import { registerOTel } from '@vercel/otel';
import { hideDropSpans } from './without-drop-spans.mjs';

registerOTel({ serviceName: 'drop' });
hideDropSpans();
