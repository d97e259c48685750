import type { Attributes } from '@opentelemetry/api';
import { getLogger } from '../logger';
import { ATTR_EVENT_NAME, EVENT_DB_SLOW_QUERY } from '../semconv';

/** Logs a slow statement at warn: its shape (text with placeholders, never values), duration and, via pino, trace_id. */
export function logSlowQuery({ attributes, durationMs }: { attributes: Attributes; durationMs: number }): void {
  getLogger().warn(
    { [ATTR_EVENT_NAME]: EVENT_DB_SLOW_QUERY, ...attributes, duration_ms: Math.round(durationMs * 10) / 10 },
    'slow database query',
  );
}
