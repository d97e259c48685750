import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The alert processor reads an event's name from the OTLP EventName field or the `event.name` attribute
// (docs/MONITORING.md): the collector's filter must keep a record named either way.
const FILE = path.resolve(import.meta.dirname, '..', 'otel-collector.yaml');

describe('otel-collector.yaml filter/alert-worthy', () => {
  it('keeps every event it names by EventName by its event.name attribute too, and the reverse', () => {
    const config = parse(fs.readFileSync(FILE, 'utf8')) as { processors: Record<string, { log_conditions: string[] }> };
    const condition = config.processors['filter/alert-worthy']!.log_conditions.join('\n');
    const names = (pattern: RegExp) => new Set([...condition.matchAll(pattern)].map((match) => match[1]!));
    const byField = names(/log\.event_name == "([^"]+)"/g);
    const byAttribute = names(/log\.attributes\["event\.name"\] == "([^"]+)"/g);
    expect(byField.size).toBeGreaterThan(0);
    expect([...byAttribute].sort()).toEqual([...byField].sort());
  });
});
