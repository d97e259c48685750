import { describe, expect, it } from 'vitest';
import { auditListParams } from '@/server/http/audit-params';
import { filterProblemInWords } from './filter-problems';

/** Validates a query as the page does and puts each problem in words. */
function problems(query: string): string[] {
  const params = new URLSearchParams(query);
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) raw[key] = key === 'action' ? params.getAll(key) : params.get(key)!;
  const parsed = auditListParams.safeParse(raw);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => filterProblemInWords({ path: i.path.join('.'), message: i.message }, params));
}

describe('filterProblemInWords', () => {
  it('names the field and what was typed, in the words of the form', () => {
    expect(problems('from=yesterday')).toEqual([
      'From: “yesterday” is not a date. Pick one in the calendar, or type it as 2026-01-31 or 2026-01-31T12:00 (UTC).',
    ]);
    expect(problems('request_id=abc123')).toEqual([
      "Request id: “abc123” is not a request id. A request id is 32 characters of 0–9 and a–f, as in the x-request-id header or a log line's trace_id.",
    ]);
    expect(problems('action=login_success&action=steal_money')).toEqual([
      'Action: there is no action “steal_money”. Choose one from the list.',
    ]);
    expect(problems('outcome=maybe')).toEqual(['Outcome: “maybe” is neither success nor failure.']);
    expect(problems('cursor=garbage')).toEqual(['Page: this page link is no longer valid. Start again from the newest entries.']);
  });

  it('explains an empty period', () => {
    expect(problems('from=2026-02-01&to=2026-01-01')).toEqual([
      '“From” is later than “To”: no entry can match. Pick a start before the end.',
    ]);
  });

  it('explains a parameter given twice', () => {
    const query = new URLSearchParams('outcome=success&outcome=failure');
    expect(filterProblemInWords({ path: 'outcome', message: 'Give outcome at most once' }, query)).toBe(
      'Outcome: give one value only (the address has 2).',
    );
  });

  it('passes through what it has no words for', () => {
    expect(filterProblemInWords({ path: 'query', message: 'Something odd' }, new URLSearchParams())).toBe('Something odd');
  });

  it('has no problem with good filters', () => {
    expect(problems('from=2026-01-01T00:00:00&to=2026-01-31&outcome=failure&action=login_failure')).toEqual([]);
  });
});
