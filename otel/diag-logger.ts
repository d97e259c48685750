import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { ATTR_EVENT_NAME, EVENT_OTEL_DIAGNOSTIC } from './semconv';

const THROTTLE_MS = 60_000;

/** First words of a diag message, so "export failed: ECONNREFUSED 127.0.0.1:4318" repeats as one key. */
function messageKey(message: string): string {
  return message.slice(0, 60);
}

/** The SDK reports exceptions as their JSON (`{"stack":…,"message":…}`): keep the message. */
function readableMessage(raw: string): string {
  if (!raw.startsWith('{')) return raw;
  try {
    const parsed = JSON.parse(raw) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : raw;
  } catch {
    return raw;
  }
}

/**
 * Routes the SDK's own diagnostics (export failures above all) into the app's logger, at most once a
 * minute per kind of message, with a count of what was suppressed in between. With no collector listening
 * this is one line a minute, not one per request.
 */
export class ThrottledDiagLogger implements DiagLogger {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private write(level: 'error' | 'warn' | 'info' | 'debug', raw: string, args: unknown[]): void {
    const message = readableMessage(raw);
    const key = `${level}:${messageKey(message)}`;
    const seen = this.lastLogged.get(key);
    const now = this.now();
    if (seen && now - seen.at < THROTTLE_MS) {
      seen.suppressed += 1;
      return;
    }
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    const detail = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)));
    this.logger[level](
      {
        [ATTR_EVENT_NAME]: EVENT_OTEL_DIAGNOSTIC,
        detail: detail.length ? detail.join(' ') : undefined,
        suppressed_since_last: seen?.suppressed ?? 0,
      },
      `opentelemetry: ${message}`,
    );
  }

  error = (message: string, ...args: unknown[]) => this.write('error', message, args);
  warn = (message: string, ...args: unknown[]) => this.write('warn', message, args);
  info = (message: string, ...args: unknown[]) => this.write('info', message, args);
  debug = (message: string, ...args: unknown[]) => this.write('debug', message, args);
  verbose = (message: string, ...args: unknown[]) => this.write('debug', message, args);
}
