/**
 * Drop's one redaction policy. Every sink — log lines, span attributes, Sentry events, audit details,
 * alert messages — passes data through here, so a secret masked in one place is masked in all of them.
 *
 * - Keys: sensitive names (password, token, cookie, card number, …) are masked whatever their case or
 *   separators, at any depth.
 * - Values: JWT-shaped strings and Luhn-valid 13–19 digit card numbers are masked wherever they appear.
 */

import { decodeURIComponentSafe } from './decode-uri';

export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 12;

/** Key fragments: a normalized key (lower case, no `-`, `_` or `.`) containing one of these is sensitive. */
const SENSITIVE_KEY_PARTS = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'cardnumber',
  'documentnumber',
  'iban',
  'cvv',
  'cvc',
];
/** Whole keys, too short to match as fragments without false positives (`pan` in `company`). */
const SENSITIVE_KEYS = new Set(['pan', 'pin', 'ssn', 'dsn', 'sentrydsn']);
/** Ids that look like long hex or digit runs but are not secrets. */
const SAFE_KEYS = new Set(['traceid', 'spanid', 'traceflags', 'requestid', 'csrftokenpresent']);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

// Attribute and field names repeat endlessly (every span has the same dozen): remember the verdicts.
const keyVerdicts = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 5_000;

export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = judgeKey(key);
    if (keyVerdicts.size >= KEY_CACHE_LIMIT) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

function judgeKey(key: string): boolean {
  const normalized = normalizeKey(key);
  if (SAFE_KEYS.has(normalized)) return false;
  if (SENSITIVE_KEYS.has(normalized)) return true;
  // Dotted attribute names: judge the last segment too (`http.request.header.cookie`).
  const last = normalizeKey(key.split('.').pop() ?? key);
  if (SENSITIVE_KEYS.has(last)) return true;
  return SENSITIVE_KEY_PARTS.some((part) => normalized.includes(part));
}

const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
// 13–19 digits, optionally grouped by single spaces or dashes, not glued to other letters or digits.
const CARD_CANDIDATE = /(?<![A-Za-z0-9])\d(?:[ -]?\d){12,18}(?![A-Za-z0-9])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// `?token=…&password=…` in URLs and query strings: mask the values of sensitive parameter names.
const QUERY_PARAM = /([?&;]([^=&#;\s]+)=)([^&#;\s]*)/g;

export function redactString(value: string): string {
  let out = value;
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAM, (match, prefix: string, name: string) =>
      isSensitiveKey(decodeURIComponentSafe(name)) ? `${prefix}${REDACTED}` : match,
    );
  }
  if (out.includes('eyJ')) out = out.replace(JWT_PATTERN, '[REDACTED:jwt]');
  if (/\d{4}/.test(out)) {
    out = out.replace(CARD_CANDIDATE, (match) => {
      const digits = match.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? '[REDACTED:card]' : match;
    });
  }
  return out;
}

function redactError(error: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactString(error.message) };
  if (error.stack) out.stack = redactString(error.stack);
  for (const [key, value] of Object.entries(error)) out[key] = redactEntry(key, value, seen, depth + 1);
  if ('cause' in error && error.cause !== undefined) out.cause = redactValue(error.cause, seen, depth + 1);
  return out;
}

function redactEntry(key: string, value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (isSensitiveKey(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  return redactValue(value, seen, depth);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, seen, depth);
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
    if (value instanceof Date) return value;
    if (value instanceof Map) {
      return Object.fromEntries([...value].map(([k, v]) => [String(k), redactEntry(String(k), v, seen, depth + 1)]));
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return redactValue((value as { toJSON(): unknown }).toJSON(), seen, depth + 1);
    }
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = redactEntry(key, entry, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** A redacted deep copy: the input is never modified. */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet(), 0) as T;
}

/** Redacts one attribute value given its key: the shape used by span attributes and header maps. */
export function redactAttribute(key: string, value: unknown): unknown {
  // Fast path for the common case, a primitive: no traversal state needed.
  if (value === null || value === undefined) return value;
  if (typeof value !== 'object') {
    if (value !== '' && isSensitiveKey(key)) return REDACTED;
    return typeof value === 'string' ? redactString(value) : value;
  }
  return redactEntry(key, value, new WeakSet(), 0);
}
