import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorRedactionRules, compileCollectorPattern, withCollectorRules } from './collector-rules';
import { HARMLESS, SECRETS, SENSITIVE_AND_SAFE_KEYS } from '../test/helpers/redaction-corpus';
import { isSensitiveKey, redactString } from './redact';

const FILE = path.resolve(import.meta.dirname, '..', 'otel-collector.yaml');
const rules = collectorRedactionRules();

/** What the collector's redaction processor does to a string value: each blocked value, in order, masked with ****. */
const collectorMasks = (value: string) =>
  rules.blocked_values.reduce((text, rule) => text.replace(compileCollectorPattern(rule.pattern, 'g'), '****'), value);
/** Whether the processor masks an attribute by its key (ignored keys are never touched). */
const collectorBlocksKey = (key: string) =>
  !rules.ignored_key_patterns.some((rule) => compileCollectorPattern(rule.pattern).test(key)) &&
  rules.blocked_key_patterns.some((rule) => compileCollectorPattern(rule.pattern).test(key));

describe('the collector’s redaction rules (otel-collector.yaml) and the app’s policy (redact.ts)', () => {
  it('are generated from the policy: the file holds exactly what otel/collector-rules.ts makes of it', () => {
    const text = fs.readFileSync(FILE, 'utf8');
    expect(withCollectorRules(text, rules), 'run npm run collector:redaction').toBe(text);
    const processor = (parse(text) as { processors: Record<string, Record<string, unknown>> }).processors['redaction/shared-rules']!;
    for (const [key, list] of Object.entries(rules)) expect(processor[key]).toEqual(list.map((rule: { pattern: string }) => rule.pattern));
  });

  it.each(SECRETS)('mask what the app masks: %s', (text, secret) => {
    expect(redactString(text)).not.toContain(secret);
    expect(collectorMasks(text)).not.toContain(secret);
  });

  it.each(HARMLESS)('leave alone what the app leaves alone: %s', (text) => {
    expect(redactString(text)).toBe(text);
    expect(collectorMasks(text)).toBe(text);
  });

  it('judge keys as the app does', () => {
    const keys = SENSITIVE_AND_SAFE_KEYS;
    expect(keys.filter(collectorBlocksKey)).toEqual(keys.filter(isSensitiveKey));
  });
});
