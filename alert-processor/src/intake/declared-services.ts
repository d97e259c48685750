import type { Attributes } from './otlp/decode';
import type { Rejected } from './server';
import { serviceOf } from '../rules/signals';
import type { ThrottledLog } from './throttled-log';

/**
 * Only the services the operator declared (ALERT_SERVICES) raise alerts and are watched by the heartbeat. Records
 * of any other `service.name` — a one-off job, a typo, a sender forging a name — are counted and reported in a
 * throttled warning (`alerts.undeclared_service`, with the count), and answered as rejected in the OTLP partial
 * success, so neither an error spike nor a dead-man alarm can be raised or kept quiet under a name nobody declared.
 */
export class DeclaredServices {
  private readonly declared: ReadonlySet<string>;

  constructor(
    services: readonly string[],
    private readonly log: ThrottledLog,
  ) {
    this.declared = new Set(services);
  }

  has(service: string): boolean {
    return this.declared.has(service);
  }

  /** The records of declared services; the others counted, and named in the returned rejection. */
  filter<T extends { resource: Attributes }>(records: T[], what: 'log records' | 'spans' | 'metrics'): { kept: T[]; rejected?: Rejected } {
    let undeclared: Map<string, number> | undefined;
    let last: Attributes | undefined;
    let lastDeclared = true;
    let lastService = '';
    const kept: T[] = [];
    for (const record of records) {
      // Records of one resource share its attributes object: judge each resource once.
      if (record.resource !== last) {
        last = record.resource;
        lastService = serviceOf(record.resource);
        lastDeclared = this.declared.has(lastService);
      }
      if (lastDeclared) kept.push(record);
      else (undeclared ??= new Map()).set(lastService, (undeclared.get(lastService) ?? 0) + 1);
    }
    if (!undeclared) return { kept };
    let count = 0;
    for (const [service, n] of undeclared) {
      count += n;
      const name = service.slice(0, 100);
      this.log.warn(
        `undeclared:${name}`,
        { 'event.name': 'alerts.undeclared_service', 'service.name': name, what },
        `${what} of a service not in ALERT_SERVICES: counted, not alerted`,
        n,
      );
    }
    const names = [...undeclared.keys()].map((service) => service.slice(0, 100));
    return {
      kept,
      rejected: { count, reason: `service.name not in ALERT_SERVICES (counted, not alerted): ${names.slice(0, 5).join(', ')}` },
    };
  }
}
