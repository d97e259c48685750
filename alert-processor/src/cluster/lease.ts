import { sql } from 'kysely';
import type { SharedDb } from '../store/shared-database';

/**
 * The sender's lease: one row, held by one replica until it expires. The holder renews it every third of its
 * length; any replica takes it once it has expired (a holder that crashed, or lost the database). A graceful
 * stop gives it up at once. Replicas' clocks are assumed to agree to well under the lease length (NTP).
 */
export class Lease {
  private held = false;

  constructor(
    private readonly db: SharedDb,
    readonly holder: string,
    readonly lengthMs: number,
    private readonly name = 'alert-sender',
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Takes or renews the lease; true when this replica holds it now. Throws when the database does not answer. */
  async acquire(now: number): Promise<boolean> {
    try {
      const row = await sql<{ holder: string }>`
        INSERT INTO alert_lease (name, holder, expires_at_ms) VALUES (${this.name}, ${this.holder}, ${now + this.lengthMs})
        ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at_ms = EXCLUDED.expires_at_ms
        WHERE alert_lease.holder = EXCLUDED.holder OR alert_lease.expires_at_ms < ${now}
        RETURNING holder`.execute(this.db);
      this.held = row.rows[0]?.holder === this.holder;
    } catch (error) {
      this.held = false;
      throw error;
    }
    return this.held;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.db
      .updateTable('alert_lease')
      .set({ expires_at_ms: 0 })
      .where('name', '=', this.name)
      .where('holder', '=', this.holder)
      .execute();
  }
}
