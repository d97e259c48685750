import { activeMuteWindow, isActive, type MuteWindow } from './mute-windows';
import type { Alert } from '../rules/rules';
import { isResolution, matches } from './silence-matchers';
import type { Silences } from '../store/silence-store';

/**
 * Decides, when an alert is about to be posted, whether a silence (the API) or a mute window (the config) holds
 * it back, and counts it there: a muted alert is never lost without a trace — the alerter logs it, the silence's
 * row counts it, and GET /api/silences shows the counts. Resolutions are never muted (see isResolution).
 */

export type MutedBy = { kind: 'silence'; id: string; comment: string } | { kind: 'mute_window'; spec: string };

export interface MuteWindowStatus {
  spec: string;
  active: boolean;
  /** Alerts this window held back since the process started. */
  silenced: number;
}

export class Silencer {
  private readonly windowCounts = new Map<MuteWindow, number>();

  constructor(
    private readonly store: Silences,
    private readonly muteWindows: readonly MuteWindow[],
  ) {}

  async mutedBy(alert: Alert, now: number): Promise<MutedBy | undefined> {
    if (isResolution(alert)) return undefined;
    const silence = (await this.store.active(now)).find((candidate) => matches(candidate.matchers, alert));
    if (silence) {
      // The count is a convenience; the alerter's log line is the record. A database gone must not unmute.
      await this.store.recordSilenced(silence.id, now).catch(() => undefined);
      return { kind: 'silence', id: silence.id, comment: silence.comment };
    }
    const window = activeMuteWindow(this.muteWindows, alert, now);
    if (window) {
      this.windowCounts.set(window, (this.windowCounts.get(window) ?? 0) + 1);
      return { kind: 'mute_window', spec: window.spec };
    }
    return undefined;
  }

  muteWindowStatus(now: number): MuteWindowStatus[] {
    return this.muteWindows.map((window) => ({
      spec: window.spec,
      active: isActive(window, now),
      silenced: this.windowCounts.get(window) ?? 0,
    }));
  }
}
