import type { Attributes } from '@opentelemetry/api';
import { getLogger } from '../logger';

/** Logs a slow statement at warn: its shape (text with placeholders, never values), duration and, via pino, trace_id. */
export function logSlowQuery({ attributes, durationMs }: { attributes: Attributes; durationMs: number }): void {
  getLogger().warn({ 'event.name': 'db.slow_query', ...attributes, duration_ms: Math.round(durationMs * 10) / 10 }, 'slow database query');
}
