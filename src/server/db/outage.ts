import { getLogger } from '@otel';
import { errorSummary } from './errors';

const outageKey = Symbol.for('drop.databaseOutage');
interface Outage {
  since: number;
}
type GlobalWithOutage = typeof globalThis & { [outageKey]?: Outage };

/** The outage in progress, on globalThis: Next bundles each route separately, and all must share one. */
const state = globalThis as GlobalWithOutage;

export function databaseOutageInProgress(): boolean {
  return state[outageKey] !== undefined;
}

/**
 * The database went away (a request, a background job or the pool saw it). Logged once per outage, however many
 * requests fail meanwhile (each is a 503 database_unavailable in the access log): code and message only.
 */
export function noteDatabaseUnavailable(error: unknown): void {
  if (state[outageKey]) return;
  state[outageKey] = { since: Date.now() };
  const { code, message } = errorSummary(error);
  getLogger().error(
    { 'event.name': 'db.unavailable', 'error.type': code, 'exception.message': message },
    `database unavailable (${code}: ${message}); API requests answer 503 database_unavailable until it is back`,
  );
}

/** The database answered again: ends the outage in progress, with one line saying how long it lasted. */
export function noteDatabaseAvailable(): void {
  const outage = state[outageKey];
  if (!outage) return;
  delete state[outageKey];
  const durationMs = Date.now() - outage.since;
  getLogger().info(
    { 'event.name': 'db.recovered', duration_ms: durationMs },
    `database available again after ${(durationMs / 1000).toFixed(1)} s`,
  );
}
