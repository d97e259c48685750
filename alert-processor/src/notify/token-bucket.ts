/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. `take()` resolves when a token is
 * available (Slack allows about one message per second per incoming webhook, short bursts tolerated).
 * `pushBack(ms)` empties the bucket for that long (a 429's Retry-After applies to every message after it).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private blockedUntil = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst = 1,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
  }

  /** Waits for one token and consumes it. */
  async take(): Promise<void> {
    for (;;) {
      const blocked = this.blockedUntil - this.now();
      if (blocked > 0) {
        await this.sleep(blocked);
        continue;
      }
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }

  pushBack(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + ms);
    this.tokens = 0;
    this.updatedAt = Math.max(this.updatedAt, this.blockedUntil);
  }
}
