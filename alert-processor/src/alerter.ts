import type { Logger } from '../../otel/logger';
import { buildSlackMessage, type AlertLinks } from './message';
import { SEVERITY_OF, type Alert, type AlertRules } from './rules';
import type { SlackClient } from './slack-client';

/**
 * Delivers the alerts the rules hand out, in the background, and reports each outcome back to the rules
 * (a delivered alert consumes its cooldown; a failed one does not and is logged at error). Keeps track of
 * deliveries in flight so that a graceful stop can wait for them.
 */
export class Alerter {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly rules: AlertRules,
    private readonly slack: SlackClient,
    private readonly links: AlertLinks,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  dispatch(alerts: Alert[]): void {
    for (const alert of alerts) {
      const delivery = this.deliver(alert).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves true once every delivery in flight has finished, false if that takes longer than timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      const remaining = deadline - this.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, remaining)));
      await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
      clearTimeout(timer);
    }
    return true;
  }

  private async deliver(alert: Alert): Promise<void> {
    const fields = { 'alert.type': alert.type, 'alert.severity': SEVERITY_OF[alert.type], 'service.name': alert.service };
    try {
      const message = buildSlackMessage(alert, this.links);
      const result = await this.slack.send(message);
      if (result.ok) {
        this.rules.delivered(alert, this.now());
        if (!result.skipped) this.logger.info({ ...fields, attempts: result.attempts }, `alert sent to Slack: ${message.text.split('\n')[0]}`);
        return;
      }
      this.rules.failed(alert, this.now());
      this.logger.error({ ...fields, attempts: result.attempts, reason: result.reason }, 'alert could not be delivered to Slack');
    } catch (error) {
      // Never let one alert take the process down.
      try {
        this.rules.failed(alert, this.now());
      } catch {
        // the state store may be gone during shutdown
      }
      this.logger.error({ ...fields, err: error }, 'alert delivery failed unexpectedly');
    }
  }
}
