import type { Logger } from 'pino';
import type { Telemetry } from './sdk';
import { ATTR_EVENT_NAME, EVENT_APP_STARTED, EVENT_APP_STOPPING, EVENT_APP_STOP_TIMEOUT } from './semconv';

export interface LifecycleOptions {
  logger: Logger;
  telemetry: Telemetry | undefined;
  shutdownTimeoutMs: number;
  version: string;
  environment: string;
}

const installedKey = Symbol.for('drop.lifecycle');
const stoppingKey = Symbol.for('drop.lifecycle.stopping');
type LifecycleGlobal = typeof globalThis & { [installedKey]?: boolean; [stoppingKey]?: boolean };

/**
 * True once a stop signal arrived. Responses then carry `Connection: close`, so keep-alive clients let go
 * and Next's server.close() can finish draining instead of waiting on sockets that never go idle.
 */
export function isShuttingDown(): boolean {
  return (globalThis as LifecycleGlobal)[stoppingKey] === true;
}

/**
 * Logs `app.started`: called by the app once its own configuration check passed, so a process that a bad setting
 * stops never announces (or alerts) a start.
 */
export function announceStarted(logger: Logger, options: Pick<LifecycleOptions, 'version' | 'environment'>): void {
  logger.info({ [ATTR_EVENT_NAME]: EVENT_APP_STARTED }, `${EVENT_APP_STARTED}: version ${options.version} (${options.environment})`);
}

/**
 * Makes SIGTERM/SIGINT a graceful stop: `app.stopping` is logged at once; Next's own
 * signal handler then stops accepting connections and waits for in-flight requests, and finally calls
 * process.exit — which is where this layer flushes the tracer and logger providers (bounded in time) and
 * exits 0. Intercepting exit, rather than racing Next with a handler of our own, is what guarantees the
 * flush happens after the last request has finished and nothing exported is lost.
 */
export function installLifecycle(options: LifecycleOptions): void {
  const g = globalThis as LifecycleGlobal;
  if (g[installedKey]) return;
  g[installedKey] = true;

  const { logger } = options;

  let stopping = false;
  const realExit = process.exit.bind(process);

  const flushAndExit = async (code: number) => {
    await options.telemetry?.shutdown(options.shutdownTimeoutMs);
    realExit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    g[stoppingKey] = true;
    logger.info({ [ATTR_EVENT_NAME]: EVENT_APP_STOPPING, signal }, EVENT_APP_STOPPING);
    process.exit = ((code?: number) => {
      // Next exits with 128+signal after a clean drain; a graceful stop is a success for the supervisor.
      const exitCode = code !== undefined && code >= 128 ? 0 : (code ?? 0);
      void flushAndExit(exitCode);
      return undefined as never;
    }) as typeof process.exit;
    // Without Next's handler (NEXT_MANUAL_SIG_HANDLE, or a custom server), nobody else drains: do it here.
    if (process.listenerCount(signal) <= 1) void flushAndExit(0);
    // Never hang: if draining takes too long, flush and go.
    setTimeout(() => {
      logger.warn({ [ATTR_EVENT_NAME]: EVENT_APP_STOP_TIMEOUT }, 'in-flight requests did not finish in time; exiting');
      void flushAndExit(1);
    }, options.shutdownTimeoutMs * 2).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
