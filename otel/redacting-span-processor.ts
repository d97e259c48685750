import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { redactAttribute } from './redact';

type MutableAttributes = Record<string, unknown>;

function redactInPlace(attributes: MutableAttributes | undefined): void {
  if (!attributes) return;
  for (const [key, value] of Object.entries(attributes)) {
    const clean = redactAttribute(key, value);
    if (clean !== value) attributes[key] = clean;
  }
}

/**
 * Applies the shared redaction policy to every span (Next's own included) while it is ending, before any
 * exporter sees it: attributes, event attributes (exception messages and stacks among them) and the status message.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    redactInPlace(span.attributes as MutableAttributes);
    for (const event of span.events) redactInPlace(event.attributes as MutableAttributes | undefined);
    if (span.status.message) span.status.message = String(redactAttribute('status', span.status.message));
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
