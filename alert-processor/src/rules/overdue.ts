/** The state of a watched service that reports every `intervalMs` (a backup, a signed audit checkpoint). */
export interface PeriodicState {
  intervalMs: number | null;
  watchedSinceMs: number;
  staleAlerted: boolean;
}

/**
 * The services whose report is overdue now and not yet alerted, each marked alerted: nothing for longer than its
 * interval plus `graceMs` since `last` — or, with none yet, since the watch began — and never counted from before
 * this processor started (its own downtime is not theirs). A service that never said its interval is not judged.
 */
export function markOverdue<S extends PeriodicState>(
  states: Map<string, S>,
  now: number,
  last: (state: S) => number | null,
  graceMs: number,
  startedAtMs: number,
): [string, S][] {
  const overdue: [string, S][] = [];
  for (const [service, state] of states) {
    if (state.staleAlerted || state.intervalMs === null) continue;
    const since = Math.max(last(state) ?? state.watchedSinceMs, startedAtMs);
    if (now - since <= state.intervalMs + graceMs) continue;
    state.staleAlerted = true;
    overdue.push([service, state]);
  }
  return overdue;
}
