import type { Logger } from '@otel';

/**
 * Warnings that a stranger can cause (malformed or unauthenticated requests, records of undeclared services) are
 * logged without flooding the log: the first of a kind at once, the rest of the next `intervalMs` counted and
 * reported in one line when it ends (`count`: how many the line stands for). A kind is a key the caller chooses;
 * at most `maxKeys` are tracked at once, later ones share one key, so memory stays bounded whatever arrives.
 */
interface Pending {
  count: number;
  fields: Record<string, unknown>;
  message: string;
  timer: NodeJS.Timeout;
}

export class ThrottledLog {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 100,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string, count = 1): void {
    const k = this.pending.has(key) || this.pending.size < this.maxKeys ? key : '(other)';
    const entry = this.pending.get(k);
    if (entry) {
      entry.count += count;
      entry.fields = fields;
      entry.message = message;
      return;
    }
    this.logger.warn({ ...fields, count }, message);
    this.pending.set(k, { count: 0, fields, message, timer: this.schedule(k) });
  }

  /** Reports what was counted and not yet logged (at a stop). */
  close(): void {
    for (const [key, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.report(entry);
      this.pending.delete(key);
    }
  }

  private schedule(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const entry = this.pending.get(key);
      if (!entry) return;
      if (entry.count === 0) {
        this.pending.delete(key);
        return;
      }
      this.report(entry);
      entry.count = 0;
      entry.timer = this.schedule(key);
    }, this.intervalMs);
    timer.unref();
    return timer;
  }

  private report(entry: Pending): void {
    if (entry.count === 0) return;
    this.logger.warn(
      { ...entry.fields, count: entry.count },
      `${entry.message} (${entry.count} more in the last ${Math.round(this.intervalMs / 1000)} s; the last one shown)`,
    );
  }
}
