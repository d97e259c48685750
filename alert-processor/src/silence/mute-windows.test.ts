import { describe, expect, it } from 'vitest';
import { activeMuteWindow, isActive, parseMuteWindow, parseMuteWindows, type MuteWindow } from './mute-windows';
import type { LifecycleAlert } from '../rules/rules';

const window = (spec: string): MuteWindow => {
  const parsed = parseMuteWindow(spec);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};
const at = (iso: string) => Date.parse(iso);
const started = (service = 'drop'): LifecycleAlert => ({
  type: 'app.started',
  service,
  atMs: 0,
  event: { kind: 'lifecycle', event: 'app.started', service, timeMs: 0, environment: 'production' },
});

describe('mute windows (ALERT_MUTE_WINDOWS)', () => {
  it('a whole day in UTC: Saturday 00:00 to Sunday 00:00', () => {
    const saturday = window('Sat 00:00-24:00 UTC');
    // 2026-03-07 is a Saturday.
    expect(isActive(saturday, at('2026-03-06T23:59:59Z'))).toBe(false);
    expect(isActive(saturday, at('2026-03-07T00:00:00Z'))).toBe(true);
    expect(isActive(saturday, at('2026-03-07T23:59:59Z'))).toBe(true);
    expect(isActive(saturday, at('2026-03-08T00:00:00Z'))).toBe(false);
  });

  it('day lists and ranges, the time zone defaulting to UTC', () => {
    const weekend = window('sat,SUN 00:00-24:00');
    expect(weekend.timeZone).toBe('UTC');
    expect(isActive(weekend, at('2026-03-08T12:00:00Z'))).toBe(true);
    expect(isActive(weekend, at('2026-03-09T12:00:00Z'))).toBe(false);
    const workdays = window('Mon-Fri 09:00-17:30');
    expect(isActive(workdays, at('2026-03-09T17:29:00Z'))).toBe(true);
    expect(isActive(workdays, at('2026-03-09T17:30:00Z'))).toBe(false);
    expect(isActive(workdays, at('2026-03-07T10:00:00Z'))).toBe(false);
    const wrapping = window('Fri-Mon 12:00-13:00');
    expect([...wrapping.days].sort()).toEqual([0, 1, 5, 6]);
    expect(isActive(window('* 12:00-13:00'), at('2026-03-11T12:30:00Z'))).toBe(true);
  });

  it('past midnight: the night after each listed day, not the morning of the first one', () => {
    const nights = window('Mon-Fri 22:00-06:00 UTC');
    expect(isActive(nights, at('2026-03-09T05:00:00Z'))).toBe(false); // Monday morning: Sunday is not listed
    expect(isActive(nights, at('2026-03-09T22:00:00Z'))).toBe(true); // Monday night
    expect(isActive(nights, at('2026-03-10T05:59:00Z'))).toBe(true); // into Tuesday
    expect(isActive(nights, at('2026-03-10T06:00:00Z'))).toBe(false);
    expect(isActive(nights, at('2026-03-14T05:00:00Z'))).toBe(true); // Friday night into Saturday
    expect(isActive(nights, at('2026-03-14T22:30:00Z'))).toBe(false); // Saturday night
  });

  it('an IANA time zone follows daylight saving time', () => {
    const berlinMorning = window('Sun 02:30-03:30 Europe/Berlin');
    // Winter (UTC+1): 02:45 local is 01:45 UTC.
    expect(isActive(berlinMorning, at('2026-01-04T01:45:00Z'))).toBe(true);
    expect(isActive(berlinMorning, at('2026-01-04T02:45:00Z'))).toBe(false);
    // Summer (UTC+2): 03:00 local is 01:00 UTC.
    expect(isActive(berlinMorning, at('2026-07-05T01:00:00Z'))).toBe(true);
    expect(isActive(berlinMorning, at('2026-07-05T02:00:00Z'))).toBe(false);
  });

  it('matchers narrow a window to the alerts they match', () => {
    const windows = [window('* 00:00-24:00 UTC service.name=drop-batch deployment.environment.name=production')];
    expect(activeMuteWindow(windows, started('drop-batch'), at('2026-03-07T10:00:00Z'))?.spec).toBe(
      '* 00:00-24:00 UTC service.name=drop-batch deployment.environment.name=production',
    );
    expect(activeMuteWindow(windows, started('drop'), at('2026-03-07T10:00:00Z'))).toBeUndefined();
  });

  it('several entries separated by ";"; each invalid one is named in a warning and ignored', () => {
    const { windows, warnings } = parseMuteWindows(
      'Sat 00:00-24:00 UTC; Funday 00:00-24:00; Mon 25:00-26:00; Mon 10:00-10:00; Mon 10:00-11:00 Mars/Olympus; Mon 10:00-11:00 color=red; Tue; ;Sun 01:00-02:00 America/New_York',
    );
    expect(windows.map((w) => w.spec)).toEqual(['Sat 00:00-24:00 UTC', 'Sun 01:00-02:00 America/New_York']);
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatch(/^ALERT_MUTE_WINDOWS: "funday" is not a day/);
    expect(warnings[1]).toMatch(/"25:00-26:00" is not a time range/);
    expect(warnings[2]).toMatch(/is empty/);
    expect(warnings[3]).toMatch(/"Mars\/Olympus" is neither a time zone/);
    expect(warnings[4]).toMatch(/"color" is not a label/);
    expect(warnings[5]).toMatch(/is not DAYS HH:MM-HH:MM/);
    expect(parseMuteWindows(undefined)).toEqual({ windows: [], warnings: [] });
  });
});
