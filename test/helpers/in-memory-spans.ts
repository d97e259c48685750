import { context, trace, type Span } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';

/**
 * A real OpenTelemetry tracer in this test process (AsyncLocalStorage context, in-memory exporter), so domain
 * tests see the spans and span events the code under test produces. Installed once per test file.
 */
let installed: { exporter: tracing.InMemorySpanExporter; provider: node.NodeTracerProvider } | undefined;

export function installInMemoryTracing() {
  if (!installed) {
    const exporter = new tracing.InMemorySpanExporter();
    const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
    provider.register();
    installed = { exporter, provider };
  }
  return installed.exporter;
}

/**
 * Runs `work` inside a new active span (like a request's span) and ends it; resolves to the span's trace id and
 * what `work` returned or threw.
 */
export async function inSpan<T>(name: string, work: () => Promise<T>): Promise<{ traceId: string; result?: T; error?: unknown }> {
  installInMemoryTracing();
  const span: Span = trace.getTracer('test').startSpan(name);
  const traceId = span.spanContext().traceId;
  try {
    return { traceId, result: await context.with(trace.setSpan(context.active(), span), work) };
  } catch (error) {
    return { traceId, error };
  } finally {
    span.end();
  }
}

/** The events named `audit.*` on the finished spans, with the span's trace id. */
export function exportedAuditEvents(exporter: tracing.InMemorySpanExporter) {
  return exporter
    .getFinishedSpans()
    .flatMap((span) =>
      span.events
        .filter((event) => event.name.startsWith('audit.'))
        .map((event) => ({ name: event.name, attributes: event.attributes ?? {}, traceId: span.spanContext().traceId })),
    );
}
