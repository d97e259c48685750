/**
 * The collector's redaction rules (otel-collector.yaml, `processors.redaction/shared-rules`), derived from the app's
 * policy in redact.ts, so the second line of defence masks what the first one does: the same sensitive keys, the same
 * secret-named query parameters and `name=value` / `name: value` pairs in free text. `npm run collector:redaction`
 * writes them into the file; a test fails when the file and the policy disagree.
 *
 * The collector's redaction processor matches Go (RE2) regular expressions and masks the whole match with `****`: no
 * look-behind, so a masked pair loses its name too (`?token=…` reads `****`), and a name is not decoded from
 * percent-encoding. The patterns use only syntax RE2 and JavaScript read alike (a leading `(?i)` aside), so the test
 * can run them here too.
 */
import { SAFE_KEYS, SECRET_NAME_WORDS, SENSITIVE_KEYS, SENSITIVE_KEY_PARTS } from './redact';

/** One rule and the comment written above it in the YAML. */
export interface CollectorRule {
  pattern: string;
  why: string;
}

export interface CollectorRedactionRules {
  blocked_key_patterns: CollectorRule[];
  ignored_key_patterns: CollectorRule[];
  blocked_values: CollectorRule[];
}

/** Separators a key is normalized without (redact.ts' normalizeKey: `-`, `_`, `.`, white space). */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A normalized word, its letters optionally separated as normalizeKey allows (inside a `(?i)` pattern). */
const spread = (word: string, separators: string) => [...word].map(escape).join(separators);
const byLength = (words: Iterable<string>) => [...words].sort((a, b) => b.length - a.length || a.localeCompare(b));
const alternatives = (words: Iterable<string>) => `(?:${byLength(words).join('|')})`;

/**
 * A name that has a secret word as a word of its own (isSecretName: a name is split at separators and where a lower
 * case letter or digit meets an upper case one, `accessToken` → access, token; `SESSIONID` → sessionid). Case matters
 * for that split, so the pattern is case-sensitive and lists each word as `token`, `Token` and `TOKEN`. `chars` is the
 * class of a name's characters, `boundary` the non-alphanumeric ones among them.
 */
function secretWordName(chars: string, boundary: string): string {
  const words = [...SECRET_NAME_WORDS];
  const lower = alternatives(words);
  const capital = alternatives(words.map((w) => w[0]!.toUpperCase() + w.slice(1)));
  const upper = alternatives(words.map((w) => w.toUpperCase()));
  const before = `(?:${chars}*${boundary})?`;
  const camelBefore = `${chars}*[a-z0-9]`;
  const after = `(?:${boundary}${chars}*)?`;
  const afterOrCamel = `(?:${boundary}${chars}*|[A-Z]${chars}*)?`;
  return `(?:${before}(?:${lower}|${capital})${afterOrCamel}|${before}${upper}${after}|${camelBefore}${capital}${afterOrCamel}|${camelBefore}${upper}${after})`;
}

/** A name that contains a sensitive key fragment once normalized (isSensitiveKey's parts), for a `(?i)` pattern. */
const fragmentName = (chars: string) => `${chars}*${alternatives(SENSITIVE_KEY_PARTS.map((part) => spread(part, '[-_.]*')))}${chars}*`;
/** A name that is a short sensitive key (isSensitiveKey's whole keys), whole or as its last dotted segment, for `(?i)`. */
const wholeKeyName = (chars: string) =>
  `(?:${chars}*\\.)?[-_.]*${alternatives([...SENSITIVE_KEYS].map((key) => spread(key, '[-_.]*')))}[-_.]*`;

/** A pair's value (redact.ts' VALUE): quoted, or up to a separator, `Bearer x` as one. */
const AUTH_SCHEME = '(?:(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]|[Tt][Oo][Kk][Ee][Nn])[ \\t]+)?';
const VALUE_CHAR = `[^\\s&;,"'<>()\\[\\]{}]`;
const PAIR_VALUE = `(?:"[^"]*"|'[^']*'|${AUTH_SCHEME}${VALUE_CHAR}+)`;
/** After a bare `name: `, a value that is not `//…` (`https://host` is not a pair). */
const COLON_VALUE = `(?:"[^"]*"|'[^']*'|${AUTH_SCHEME}(?:/[^/\\s&;,"'<>()\\[\\]{}]|[^/\\s&;,"'<>()\\[\\]{}])${VALUE_CHAR}*)`;
/** What follows a pair's name: `=`, a quoted name's `:`, or a bare name's `: ` (a space: `session:7c1e…` is a reference). */
const PAIR_REST = `(?:[ \\t]*=[ \\t]*${PAIR_VALUE}|["'][ \\t]*:[ \\t]*${PAIR_VALUE}|[ \\t]*:[ \\t]+${COLON_VALUE})`;

const QUERY_NAME_CHAR = '[^=&#;\\s]';
const QUERY_NAME_BOUNDARY = '[^A-Za-z0-9=&#;\\s]';
const TEXT_NAME_CHAR = '[\\w.-]';
const TEXT_NAME_BOUNDARY = '[_.-]';

/** The rules, in the order the processor applies them (query parameters before pairs, so `?token=…` reads `****`). */
export function collectorRedactionRules(): CollectorRedactionRules {
  const query = (name: string) => `[?&;]${name}=[^&#;\\s]*`;
  // No look-behind in RE2: the character before the name is part of the match (and masked), so that `monkey=1` is not
  // read as `key=1`.
  const pair = (name: string) => `(?:^|[^\\w.%-])["']?${name}["']?${PAIR_REST}`;
  return {
    blocked_key_patterns: [
      ...SENSITIVE_KEY_PARTS.map((part) => ({ pattern: `(?i)${spread(part, '[-_. ]*')}`, why: `a key containing "${part}"` })),
      {
        pattern: `(?i)(^|\\.)[-_ ]*(${byLength(SENSITIVE_KEYS)
          .map((key) => spread(key, '[-_ ]*'))
          .join('|')})[-_ ]*$`,
        why: 'short keys, whole or as the last dotted segment (`pin`, not `shipping`)',
      },
    ],
    ignored_key_patterns: [
      {
        pattern: `(?i)^(${[...SAFE_KEYS].map((key) => spread(key, '[-_. ]*')).join('|')})$`,
        why: 'ids that look like card numbers or secrets and are neither',
      },
    ],
    blocked_values: [
      {
        pattern: '\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*',
        why: "JWTs (a base64url '{\"' header, payload, signature)",
      },
      {
        pattern: '\\b[2-9](?:[ -]?[0-9]){12,18}\\b',
        why: 'card numbers: 13-19 digits, grouped by spaces or dashes; no Luhn check in a regex, so every candidate but those starting with 1 (epoch timestamps)',
      },
      {
        pattern: query(secretWordName(QUERY_NAME_CHAR, QUERY_NAME_BOUNDARY)),
        why: 'query parameters named with a secret word (`?sid=`, `&X-Amz-Signature=`)',
      },
      { pattern: `(?i)${query(fragmentName(QUERY_NAME_CHAR))}`, why: 'query parameters with a sensitive key fragment (`&oldpassword=`)' },
      { pattern: `(?i)${query(wholeKeyName(QUERY_NAME_CHAR))}`, why: 'query parameters named with a short sensitive key (`&pin=`)' },
      {
        pattern: pair(secretWordName(TEXT_NAME_CHAR, TEXT_NAME_BOUNDARY)),
        why: 'pairs in text named with a secret word (`token=…`, `"sid":"…"`, `password: …`)',
      },
      { pattern: `(?i)${pair(fragmentName(TEXT_NAME_CHAR))}`, why: 'pairs in text with a sensitive key fragment' },
      { pattern: `(?i)${pair(wholeKeyName(TEXT_NAME_CHAR))}`, why: 'pairs in text named with a short sensitive key' },
      { pattern: '//[^\\s:@/]+:[^\\s@/]+@', why: "the password of a URL's userinfo (`scheme://user:password@host`)" },
    ],
  };
}

const BEGIN = '    # BEGIN rules generated from otel/redact.ts';
const END = '    # END rules generated from otel/redact.ts';

/** The YAML lines between the markers of otel-collector.yaml's redaction processor. */
export function renderCollectorRules(rules: CollectorRedactionRules): string {
  const quoted = (pattern: string) => `'${pattern.replaceAll("'", "''")}'`;
  return Object.entries(rules)
    .map(
      ([key, list]: [string, CollectorRule[]]) =>
        `    ${key}:\n${list.map((rule) => `      # ${rule.why}\n      - ${quoted(rule.pattern)}\n`).join('')}`,
    )
    .join('');
}

/** The file's text with the generated block replaced. */
export function withCollectorRules(yamlText: string, rules: CollectorRedactionRules): string {
  const begin = yamlText.indexOf(BEGIN);
  const end = yamlText.indexOf(END);
  if (begin < 0 || end < begin) throw new Error('otel-collector.yaml: the markers of the generated redaction rules are missing');
  const afterBegin = yamlText.indexOf('\n', begin) + 1;
  return yamlText.slice(0, afterBegin) + renderCollectorRules(rules) + yamlText.slice(end);
}

/** A rule as JavaScript compiles it (a leading `(?i)` becomes the `i` flag), to run the collector's rules in tests. */
export function compileCollectorPattern(pattern: string, flags = ''): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), `i${flags}`) : new RegExp(pattern, flags);
}
