import { countOutcome, type BusinessMetric } from '@otel';
import { DomainError } from './errors';

/**
 * Runs one business operation and counts it on its metric (drop.transfers, drop.qr.payments, drop.auth.logins) by
 * outcome: `success`, the domain error's code (`insufficient_funds`, `invalid_credentials`, …), or `error` for
 * anything unexpected. Counted after the operation's transaction has committed or failed.
 */
export async function counted<T>(metric: BusinessMetric, operation: () => Promise<T>): Promise<T> {
  try {
    const result = await operation();
    countOutcome(metric, 'success');
    return result;
  } catch (error) {
    countOutcome(metric, error instanceof DomainError ? error.code : 'error');
    throw error;
  }
}
