/** The audit page's filters by name, as the form labels them. */
const LABELS: Record<string, string> = {
  user_id: 'User',
  action: 'Action',
  outcome: 'Outcome',
  request_id: 'Request id',
  from: 'From',
  to: 'To',
  cursor: 'Page',
  limit: 'Page size',
  format: 'Format',
};

export interface FilterIssue {
  /** The parameter, e.g. `from` or `action.0` (zod's path, joined). */
  path: string;
  message: string;
}

/**
 * A problem with the filters in the words of the form a person filled in, naming the field and what they
 * typed, instead of the parameter names and validator phrases the API answers with.
 */
export function filterProblemInWords(issue: FilterIssue, query: URLSearchParams): string {
  const [name = '', index] = issue.path.split('.');
  const label = LABELS[name];
  if (!label) return issue.message;
  const values = query.getAll(name);
  const typed = values[index === undefined ? 0 : Number(index)] ?? values[0] ?? '';
  if (/at most once/.test(issue.message)) return `${label}: give one value only (the address has ${values.length}).`;
  switch (name) {
    case 'from':
    case 'to':
      if (/after/.test(issue.message)) return '“From” is later than “To”: no entry can match. Pick a start before the end.';
      return `${label}: “${typed}” is not a date. Pick one in the calendar, or type it as 2026-01-31 or 2026-01-31T12:00 (UTC).`;
    case 'request_id':
      return `Request id: “${typed}” is not a request id. A request id is 32 characters of 0–9 and a–f, as in the x-request-id header or a log line's trace_id.`;
    case 'action':
      return `Action: there is no action “${typed}”. Choose one from the list.`;
    case 'outcome':
      return `Outcome: “${typed}” is neither success nor failure.`;
    case 'cursor':
      return 'Page: this page link is no longer valid. Start again from the newest entries.';
    case 'limit':
      return `Page size: “${typed}” is not a number of entries the page can show.`;
    default:
      return `${label}: ${issue.message}`;
  }
}
