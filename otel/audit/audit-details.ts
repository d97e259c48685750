/**
 * The one way details reach an audit row: through the redaction policy, then to JSON text.
 *
 * Interim policy until the shared one (`otel/redact.ts`) lands: secrets are replaced by keys and by shape,
 * email addresses keep their first character and domain. Details should carry ids, amounts and reasons only;
 * this is the safety net for the day someone passes more.
 */
export type AuditDetails = Record<string, unknown>;

export const REDACTED = '[REDACTED]';

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|csrf|api[-_]?key|document[-_]?number|card[-_]?number|iban|cvv|otp|pin$/i;
const JWT = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/;
const EMAIL = /^([^@\s])[^@\s]*@([^@\s]+)$/;
const MAX_DEPTH = 6;

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    if (JWT.test(value)) return REDACTED;
    const email = EMAIL.exec(value);
    return email ? `${email[1]}***@${email[2]}` : value;
  }
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' || typeof value === 'boolean' ? value : value === null ? null : String(value);
  }
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}

/** Details as the JSON object text stored in `audit_log.details`. */
export function redactDetails(details: AuditDetails = {}): string {
  return JSON.stringify(redactValue(details, 0));
}
