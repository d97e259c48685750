import { describe, expect, it } from 'vitest';
import { formatDateTime, relativeTime } from './time';

describe('formatDateTime', () => {
  const moment = new Date('2026-12-06T13:05:00Z');

  it('writes day, month, year and a 24-hour time in the zone given', () => {
    expect(formatDateTime(moment, 'UTC')).toBe('6 Dec 2026, 13:05');
    expect(formatDateTime(moment, 'Europe/Berlin')).toBe('6 Dec 2026, 14:05');
    expect(formatDateTime(moment, 'America/New_York')).toBe('6 Dec 2026, 08:05');
    expect(formatDateTime(new Date('2026-12-06T23:30:00Z'), 'Asia/Tokyo')).toBe('7 Dec 2026, 08:30');
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('says how long ago or how soon, in the largest whole unit', () => {
    expect(relativeTime(at(-10_000), now)).toBe('just now');
    expect(relativeTime(at(-5 * 60_000), now)).toBe('5 minutes ago');
    expect(relativeTime(at(-3 * 3_600_000), now)).toBe('3 hours ago');
    expect(relativeTime(at(23 * 3_600_000), now)).toBe('in 23 hours');
    expect(relativeTime(at(-86_400_000), now)).toBe('yesterday');
    expect(relativeTime(at(-5 * 86_400_000), now)).toBe('5 days ago');
  });
});
