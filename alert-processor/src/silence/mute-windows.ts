import { LABELS, matches, type Matcher } from './silence-matchers';
import type { Alert } from '../rules/rules';

/**
 * Recurring mute windows from ALERT_MUTE_WINDOWS: while one is active, the alerts it matches are not sent
 * (counted and logged instead, like a silence). Syntax, entries separated by `;`:
 *
 *   DAYS HH:MM-HH:MM [TIMEZONE] [label=value ...]
 *
 * - DAYS: `Mon`, `Mon-Fri`, `Sat,Sun`, or `*` (every day); three-letter English names, any case.
 * - The range is local time in TIMEZONE (`UTC`, the default, or an IANA name such as `Europe/Berlin`: daylight
 *   saving time is followed). `24:00` ends at midnight. An end at or before the start runs past midnight into
 *   the next day: `Mon-Fri 22:00-06:00` mutes from Monday 22:00 to Saturday 06:00, nights only.
 * - Optional matchers (`service.name=drop-batch`, `alert.severity=info`) narrow the window to matching alerts;
 *   without any it mutes every alert.
 *
 * Example: `Sat,Sun 00:00-24:00 UTC alert.severity=info; Mon-Fri 22:00-06:00 Europe/Berlin service.name=drop-batch`.
 */

export interface MuteWindow {
  /** The entry as written (logged, and shown by GET /api/silences). */
  spec: string;
  /** 0 = Sunday … 6 = Saturday: the days the window starts on. */
  days: Set<number>;
  startMinute: number;
  endMinute: number;
  timeZone: string;
  matchers: Matcher[];
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseDays(token: string): Set<number> | string {
  if (token === '*') return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  for (const part of token.toLowerCase().split(',')) {
    const [from, to, extra] = part.split('-');
    const start = DAY_NAMES.indexOf(from ?? '');
    const end = to === undefined ? start : DAY_NAMES.indexOf(to);
    if (start < 0 || end < 0 || extra !== undefined) return `"${part}" is not a day or a range of days (Mon, Mon-Fri, Sat,Sun, *)`;
    // Fri-Mon wraps over the weekend.
    for (let day = start; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === end) break;
    }
  }
  return days;
}

function parseMinute(value: string): number | undefined {
  const match = /^(\d{2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const minute = Number(match[1]) * 60 + Number(match[2]);
  return Number(match[2]) < 60 && minute <= 24 * 60 ? minute : undefined;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** One entry; a string says what is wrong with it. */
export function parseMuteWindow(spec: string): MuteWindow | string {
  const tokens = spec.trim().split(/\s+/);
  const [dayToken, rangeToken, ...rest] = tokens;
  if (!dayToken || !rangeToken) return `"${spec}" is not DAYS HH:MM-HH:MM [TIMEZONE] [label=value ...]`;
  const days = parseDays(dayToken);
  if (typeof days === 'string') return days;
  const [from, to, extra] = rangeToken.split('-');
  const startMinute = parseMinute(from ?? '');
  const endMinute = parseMinute(to ?? '');
  if (startMinute === undefined || endMinute === undefined || extra !== undefined || startMinute === 24 * 60) {
    return `"${rangeToken}" is not a time range HH:MM-HH:MM (00:00 to 24:00)`;
  }
  if (startMinute === endMinute) return `"${rangeToken}" is empty (use 00:00-24:00 for a whole day)`;
  let timeZone = 'UTC';
  const matchers: Matcher[] = [];
  for (const [i, token] of rest.entries()) {
    const equals = token.indexOf('=');
    if (equals > 0) {
      const name = token.slice(0, equals);
      if (!(LABELS as readonly string[]).includes(name)) return `"${name}" is not a label (${LABELS.join(', ')})`;
      matchers.push({ name, value: token.slice(equals + 1) });
    } else if (i === 0 && validTimeZone(token)) {
      timeZone = token;
    } else {
      return `"${token}" is neither a time zone (UTC, Europe/Berlin) right after the range nor a label=value matcher`;
    }
  }
  return { spec: tokens.join(' '), days, startMinute, endMinute, timeZone, matchers };
}

/** ALERT_MUTE_WINDOWS: the valid entries, and a warning for each invalid one (which is ignored). */
export function parseMuteWindows(raw: string | undefined): { windows: MuteWindow[]; warnings: string[] } {
  const windows: MuteWindow[] = [];
  const warnings: string[] = [];
  for (const entry of (raw ?? '').split(';')) {
    if (!entry.trim()) continue;
    const parsed = parseMuteWindow(entry);
    if (typeof parsed === 'string') warnings.push(`ALERT_MUTE_WINDOWS: ${parsed}; this window is ignored`);
    else windows.push(parsed);
  }
  return { windows, warnings };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday (0 = Sunday) and minute of the day at `now` in the time zone. */
function localTime(now: number, timeZone: string): { day: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(now)) {
    if (part.type === 'weekday') day = DAY_NAMES.indexOf(part.value.toLowerCase());
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function isActive(window: MuteWindow, now: number): boolean {
  const { day, minute } = localTime(now, window.timeZone);
  if (window.startMinute < window.endMinute) return window.days.has(day) && minute >= window.startMinute && minute < window.endMinute;
  // Past midnight: the part before midnight on a listed day, or the part after it on the day after one.
  return (window.days.has(day) && minute >= window.startMinute) || (window.days.has((day + 6) % 7) && minute < window.endMinute);
}

/** The first window active now that matches the alert. */
export function activeMuteWindow(windows: readonly MuteWindow[], alert: Alert, now: number): MuteWindow | undefined {
  return windows.find((window) => matches(window.matchers, alert) && isActive(window, now));
}
