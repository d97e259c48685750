import type { ExportResult } from '@opentelemetry/core';

interface Exporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * Serialises and sends each batch in a task of its own. The batch processors export synchronously inside the
 * span.end() or log call that fills a batch (512 items: every few seconds under load), so without this the
 * request that happens to end the 512th span waits for the whole batch's protobuf encoding before it can answer.
 * The work is the same and on the same thread; it just runs after that request's own, from the event loop.
 */
export class DeferredExporter<T> implements Exporter<T> {
  constructor(private readonly inner: Exporter<T>) {}

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    // setImmediate keeps the caller's async context, so the processor's suppressTracing still covers the send.
    setImmediate(() => this.inner.export(items, resultCallback));
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
