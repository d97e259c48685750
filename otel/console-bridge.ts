import { format } from 'node:util';
import type { Logger } from 'pino';
import { ATTR_ERROR_TYPE, ATTR_EVENT_NAME } from './semconv';

/**
 * An error the app expects and has already reported once (the database being away: one `db.unavailable` line per
 * outage). When Next logs it for each page that fails with it, the line is a warning with its type and message, no
 * stack and no cause: an outage must not flood the log with the same trace.
 */
export const EXPECTED_ERROR = Symbol.for('drop.otel.expectedError');

type ConsoleMethod = 'debug' | 'info' | 'log' | 'warn' | 'error';
const LEVELS: Record<ConsoleMethod, 'debug' | 'info' | 'warn' | 'error'> = {
  debug: 'debug',
  info: 'info',
  log: 'info',
  warn: 'warn',
  error: 'error',
};

const ANSI = /\u001b\[[0-9;]*m/g;
/** Next's own log prefixes (⨯ error, ⚠ warn, ✓ event, ▲ ready, ○ wait, » trace). */
const NEXT_PREFIX = /^\s*[⨯⚠✓▲○»]\s*/u;
/** What Next's process handlers print before the error: they become their own event names. */
const PROCESS_EVENTS: Array<[RegExp, string]> = [
  [/^uncaughtException:\s*/, 'process.uncaught_exception'],
  [/^unhandledRejection:\s*/, 'process.unhandled_rejection'],
];

const installedKey = Symbol.for('drop.consoleBridge');
type GlobalWithFlag = typeof globalThis & { [installedKey]?: boolean };

/**
 * Everything Next and libraries print with console.* becomes a JSON line of the one logger — render errors,
 * Next's unhandledRejection/uncaughtException reports — so stdout stays one JSON record per line, each with the
 * trace id of the request it happened in (pino's mixin reads the active context) and through the same redaction.
 * Drop's own code never calls console.* (ESLint no-console).
 */
export function bridgeConsole(logger: Logger): void {
  const g = globalThis as GlobalWithFlag;
  if (g[installedKey]) return;
  g[installedKey] = true;
  for (const method of Object.keys(LEVELS) as ConsoleMethod[]) {
    const level = LEVELS[method];
    // Replacing console's methods is the point of this module; nothing here prints with console.
    // eslint-disable-next-line no-console
    console[method] = (...args: unknown[]) => {
      const errors = args.filter((arg): arg is Error => arg instanceof Error);
      const rest = args.filter((arg) => !(arg instanceof Error));
      let message = (rest.length > 0 ? format(...rest) : '').replace(ANSI, '').replace(NEXT_PREFIX, '').trim();
      let eventName = `console.${method}`;
      for (const [pattern, name] of PROCESS_EVENTS) {
        if (pattern.test(message)) {
          eventName = name;
          message = message.replace(pattern, '');
        }
      }
      const [err] = errors;
      if (!message && err) message = `${err.name}: ${err.message}`;
      if (!message) return;
      if (err && (err as { [EXPECTED_ERROR]?: boolean })[EXPECTED_ERROR]) {
        logger.warn({ [ATTR_EVENT_NAME]: eventName, [ATTR_ERROR_TYPE]: err.name }, `${err.name}: ${err.message}`);
        return;
      }
      logger[level]({ [ATTR_EVENT_NAME]: eventName, ...(err ? { err } : {}) }, message);
    };
  }
}
