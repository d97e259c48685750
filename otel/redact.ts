/**
 * Drop's one redaction policy. Every sink — log lines, span attributes, Sentry events, audit details,
 * alert messages — passes data through here, so a secret masked in one place is masked in all of them.
 *
 * - Keys: sensitive names (password, token, cookie, card number, …) are masked whatever their case or
 *   separators, at any depth.
 * - Text (every string: messages, URLs, span attributes, error messages and stacks): the value of a secret-named
 *   query parameter or `name=value` / `name: value` pair (isSecretName: a name pattern, not a list of parameters),
 *   JWT-shaped strings and Luhn-valid 13–19 digit card numbers are masked wherever they appear.
 */

import { decodeURIComponentSafe } from './decode-uri';

export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 12;

/** Key fragments: a normalized key (lower case, no `-`, `_` or `.`) containing one of these is sensitive. */
export const SENSITIVE_KEY_PARTS: readonly string[] = [
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
  'credential',
  'passphrase',
  'passcode',
];
/** Whole keys, too short to match as fragments without false positives (`pan` in `company`). */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set(['pan', 'pin', 'ssn', 'dsn', 'sentrydsn', 'otp', 'pwd', 'pass', 'jwt']);
/** Ids that look like long hex or digit runs but are not secrets. */
export const SAFE_KEYS: ReadonlySet<string> = new Set(['traceid', 'spanid', 'traceflags', 'requestid', 'csrftokenpresent']);

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

/**
 * Words that make a query parameter or a `name=value` in text secret: a name is split into words (separators and
 * camelCase), and any of them being one of these is enough (`session`, `sid`, `X-Amz-Signature`, `otp_code`,
 * `client-credentials`, `api_key`, `accessToken`). Broader than the keys above, because in text a name never
 * stands for an id we must keep (structured keys such as `audit.checkpoint.key_id` are judged by isSensitiveKey).
 */
export const SECRET_NAME_WORDS: ReadonlySet<string> = new Set([
  'auth',
  'authorization',
  'bearer',
  'cookie',
  'cred',
  'creds',
  'credential',
  'credentials',
  'jwt',
  'key',
  'apikey',
  'otp',
  'totp',
  'hotp',
  'pass',
  'passcode',
  'passphrase',
  'passwd',
  'password',
  'pin',
  'pwd',
  'secret',
  'session',
  'sess',
  'sessionid',
  'sid',
  'sig',
  'signature',
  'token',
]);

const nameVerdicts = new Map<string, boolean>();

/** Whether a query parameter or text `name=value` name names a secret (SECRET_NAME_WORDS, or a sensitive key). */
export function isSecretName(name: string): boolean {
  let verdict = nameVerdicts.get(name);
  if (verdict === undefined) {
    const words = name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/);
    verdict = words.some((word) => SECRET_NAME_WORDS.has(word)) || isSensitiveKey(name);
    if (nameVerdicts.size >= KEY_CACHE_LIMIT) nameVerdicts.clear();
    nameVerdicts.set(name, verdict);
  }
  return verdict;
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

// `?token=…&sid=…` in URLs and query strings (a parameter name may be percent-encoded): mask secret-named values.
const QUERY_PARAM = /([?&;]([^=&#;\s]+)=)([^&#;\s]*)/g;
// `name=value`, `name: value`, `"name":"value"` in free text (error messages, log bodies, a bare query string): the
// name not glued to a word before it; its value (VALUE) up to a separator or the closing quote, `Bearer x` as one.
const TEXT_PAIR = /(?<![\w.%-])(["']?)([A-Za-z_][\w.-]{0,63})\1([ \t]*[=:][ \t]*)/g;
const VALUE = /"[^"]*"|'[^']*'|(?:(?:bearer|basic|token)[ \t]+)?[^\s&;,"'<>()[\]{}]+/iy;
// `scheme://user:password@host`: the password of a URL's userinfo.
const URL_PASSWORD = /(\/\/[^\s:@/]+:)([^\s@/]+)(@)/g;

/** The text with the value of every secret-named pair masked; a pair whose name is not secret is scanned on inside its value. */
function redactTextPairs(text: string): string {
  let out = '';
  let last = 0;
  TEXT_PAIR.lastIndex = 0;
  for (let match = TEXT_PAIR.exec(text); match; match = TEXT_PAIR.exec(text)) {
    const [whole, nameQuote = '', name = '', separator = ''] = match;
    // `type:id` (`session:7c1e…`, an audit resource) is a reference, not a pair: a bare `:` pair needs a space after it.
    if (separator.trim() === ':' && !nameQuote && !/:[ \t]/.test(separator)) continue;
    if (!isSecretName(name)) continue;
    const valueStart = match.index + whole.length;
    VALUE.lastIndex = valueStart;
    const value = VALUE.exec(text)?.[0];
    // `https://host` and `12:30` are not pairs.
    if (!value || (separator.trim() === ':' && value.startsWith('//'))) continue;
    const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
    out += `${text.slice(last, valueStart)}${quote}${REDACTED}${quote}`;
    last = valueStart + value.length;
    TEXT_PAIR.lastIndex = last;
  }
  return last === 0 ? text : out + text.slice(last);
}

export function redactString(value: string): string {
  let out = value;
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAM, (match, prefix: string, name: string) =>
      isSecretName(decodeURIComponentSafe(name)) ? `${prefix}${REDACTED}` : match,
    );
  }
  if (out.includes('=') || out.includes(':')) out = redactTextPairs(out);
  if (out.includes('@')) out = out.replace(URL_PASSWORD, `$1${REDACTED}$3`);
  if (out.includes('eyJ')) out = out.replace(JWT_PATTERN, '[REDACTED:jwt]');
  if (/\d{4}/.test(out)) {
    out = out.replace(CARD_CANDIDATE, (match) => {
      const digits = match.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? '[REDACTED:card]' : match;
    });
  }
  return out;
}

/**
 * An error's own plain fields (a driver's `code` and `detail`, Next's `digest`), without `name` and `cause`, which
 * are read on their own: never the objects or functions it holds (a driver's client, socket or pool).
 */
export function errorPlainFields(error: Error): [string, unknown][] {
  return Object.entries(error).filter(
    ([key, value]) => key !== 'name' && key !== 'cause' && (value === null || (typeof value !== 'object' && typeof value !== 'function')),
  );
}

function redactError(error: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactString(error.message) };
  if (error.stack) out.stack = redactString(error.stack);
  for (const [key, value] of errorPlainFields(error)) out[key] = redactEntry(key, value, seen, depth + 1);
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

/**
 * An email address reduced to what lets an operator spot a pattern without naming the person: `alice@drop.test` →
 * `a***@drop.test` (the first character and the domain). Used for addresses that belong to no account (a refused
 * sign-in, a transfer to a stranger) wherever they are recorded or alerted on.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Network(address: string): string | undefined {
  const match = IPV4.exec(address);
  if (!match) return undefined;
  const octets = match.slice(1, 4).map(Number);
  if (octets.some((octet) => octet > 255) || Number(match[4]) > 255) return undefined;
  return `${octets.join('.')}.0/24`;
}

function ipv6Network(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0] ?? '';
  if (!bare.includes(':') || !/^[0-9a-fA-F:.]+$/.test(bare)) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped) return ipv4Network(mapped[1]!);
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  if (groups.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const prefix = groups.slice(0, 3).map((group) => parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/48`;
}

/**
 * A client address reduced to its network, the form in which an address may leave the app's own records (the
 * audit trail keeps the full one, encrypted): IPv4 to its /24 (`203.0.113.7` → `203.0.113.0/24`), IPv6 to its /48
 * (`2001:db8:1:2::7` → `2001:db8:1::/48`), an IPv4-mapped IPv6 address as IPv4. Enough to see that failures come
 * from one place and to block it at the edge; not enough to single out a household. Anything else is `unknown`.
 */
export function maskClientAddress(address: string | null | undefined): string {
  const trimmed = (address ?? '').trim();
  return ipv4Network(trimmed) ?? ipv6Network(trimmed) ?? 'unknown';
}
