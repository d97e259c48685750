// Drop's own code makes spans through the global API whatever SDK is registered: the DB layer's statement and
// transaction spans (otel/db, tracer "drop-db"). A peer would have none of them in an app of its own (neither
// @vercel/otel nor auto-instrumentations-node instruments Kysely or better-sqlite3), so each peer's provider is
// registered behind this filter, which hands that one tracer out as a no-op.
import { ProxyTracerProvider, trace } from '@opentelemetry/api';

const DROP_TRACERS = new Set(['drop-db']);
// A proxy provider that is never given a delegate hands out tracers that stay no-ops.
const noopTracer = new ProxyTracerProvider().getTracer('drop-db');

export function hideDropSpans() {
  const proxy = trace.getTracerProvider();
  const registered = typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : proxy;
  const filtered = {
    getTracer: (name, version, options) => (DROP_TRACERS.has(name) ? noopTracer : registered.getTracer(name, version, options)),
  };
  trace.disable();
  trace.setGlobalTracerProvider(filtered);
}
