import type { AlertsDb } from '../store/database';

/**
 * The sender's lease: one row, held by one replica until it expires. The holder renews it every third of its
 * length; any replica takes it once it has expired (a holder that crashed, or lost the database). A graceful
 * stop gives it up at once. Replicas' clocks are assumed to agree to well under the lease length (NTP).
 */
export class Lease {
  private held = false;

  constructor(
    private readonly db: AlertsDb,
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
      // Taken when nobody holds it, renewed by its holder, taken over once it expired; otherwise untouched.
      const row = await this.db
        .insertInto('alert_lease')
        .values({ name: this.name, holder: this.holder, expires_at_ms: now + this.lengthMs })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet((eb) => ({ holder: eb.ref('excluded.holder'), expires_at_ms: eb.ref('excluded.expires_at_ms') }))
            .where((eb) => eb.or([eb('alert_lease.holder', '=', eb.ref('excluded.holder')), eb('alert_lease.expires_at_ms', '<', now)])),
        )
        .returning('holder')
        .executeTakeFirst();
      this.held = row?.holder === this.holder;
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
