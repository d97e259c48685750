import { redact } from '@otel';

/** Ids, amounts and reasons that describe an audited action. */
export type AuditDetails = Record<string, unknown>;

/**
 * The one way details reach an audit row: through Drop's shared redaction policy (otel/redact.ts, the same one
 * logs, spans and alerts use), then to JSON object text. Details should carry ids, amounts and reasons only;
 * the policy is the safety net for the day someone passes more.
 */
export function redactDetails(details: AuditDetails = {}): string {
  return JSON.stringify(redact(details));
}
