/**
 * One service's failing requests in a sliding time window, counted by distinct trace id: a failing request
 * produces an error access log AND an error span (and maybe more error spans or logs), all with the same trace
 * id, and must count once. Records without a trace id count one each.
 *
 * A Map keeps insertion order; a key seen again is moved to the end, so the oldest entries are always first and
 * pruning stops at the first entry still inside the window. Memory is bounded by MAX_ENTRIES.
 */
export class ErrorWindow {
  static readonly MAX_ENTRIES = 100_000;
  private readonly lastSeen = new Map<string, number>();
  private anonymous = 0;
  /** The latest failure that has a trace id: the example an alert links to. */
  sample: { traceId: string; description: string } | undefined;

  constructor(private readonly windowMs: number) {}

  /** Records one failing record; true when it is a request not yet in the window. */
  add(traceId: string, description: string, now: number): boolean {
    const key = traceId || `\u0000${++this.anonymous}`;
    const isNew = !this.lastSeen.delete(key);
    this.lastSeen.set(key, now);
    if (traceId) this.sample = { traceId, description };
    if (this.lastSeen.size > ErrorWindow.MAX_ENTRIES) {
      const oldest = this.lastSeen.keys().next().value;
      if (oldest !== undefined) this.lastSeen.delete(oldest);
    }
    return isNew;
  }

  /** Distinct failing requests seen within the window ending now. */
  count(now: number): number {
    const cutoff = now - this.windowMs;
    for (const [key, seenAt] of this.lastSeen) {
      if (seenAt > cutoff) break;
      this.lastSeen.delete(key);
    }
    if (this.lastSeen.size === 0) this.sample = undefined;
    return this.lastSeen.size;
  }

  get isEmpty(): boolean {
    return this.lastSeen.size === 0;
  }
}
