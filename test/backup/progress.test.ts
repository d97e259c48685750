// The progress meters of the backup scripts, drawn on a fake terminal (a stream with isTTY) and on a log (without).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { elapsed, progress } from '../../scripts/backup-lib/progress.mjs';

const MB = 1024 * 1024;

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (chunk: string) => chunks.push(chunk), text: () => chunks.join('') };
}

afterEach(() => vi.useRealTimers());

describe('progress()', () => {
  it('on a terminal: percent of the total and MB/s, rewritten in place, 100 % and a newline when done', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const stream = fakeStream(true);
    const meter = progress('backup', 'copy', 200 * MB, stream);
    vi.advanceTimersByTime(1000);
    meter.update(50 * MB);
    expect(stream.chunks.at(-1)).toBe('\r\x1b[K[backup] copy 25% of 200 MB, 50 MB/s');
    vi.advanceTimersByTime(50);
    meter.update(60 * MB); // within 200 ms of the last redraw: not drawn
    expect(stream.chunks).toHaveLength(1);
    vi.advanceTimersByTime(950);
    meter.done(200 * MB);
    expect(stream.chunks.slice(1)).toEqual(['\r\x1b[K[backup] copy 100% of 200 MB, 100 MB/s', '\n']);
  });

  it('an unknown total: MB and MB/s without a percentage', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const stream = fakeStream(true);
    const meter = progress('backup', 'dump', 0, stream);
    vi.advanceTimersByTime(2000);
    meter.done(30 * MB);
    expect(stream.text()).toBe('\r\x1b[K[backup] dump 30 MB, 15 MB/s\n');
  });

  it('not a terminal: writes nothing (the JSON summary line reports instead)', () => {
    const stream = fakeStream(false);
    const meter = progress('backup', 'copy', 10 * MB, stream);
    meter.update(5 * MB);
    meter.done(10 * MB);
    expect(stream.chunks).toEqual([]);
  });
});

describe('elapsed()', () => {
  it('on a terminal: the seconds elapsed, redrawn every second, a newline when stopped', () => {
    vi.useFakeTimers({ toFake: ['performance', 'setInterval', 'clearInterval'] });
    const stream = fakeStream(true);
    const ticker = elapsed('drill', 'PRAGMA integrity_check', stream);
    vi.advanceTimersByTime(2500);
    ticker.stop();
    vi.advanceTimersByTime(5000); // stopped: no more redraws
    expect(stream.chunks).toEqual([
      '\r\x1b[K[drill] PRAGMA integrity_check 0 s',
      '\r\x1b[K[drill] PRAGMA integrity_check 1 s',
      '\r\x1b[K[drill] PRAGMA integrity_check 2 s',
      '\r\x1b[K[drill] PRAGMA integrity_check 2 s',
      '\n',
    ]);
  });

  it('not a terminal: writes nothing', () => {
    const stream = fakeStream(false);
    elapsed('drill', 'pg_restore', stream).stop();
    expect(stream.chunks).toEqual([]);
  });
});
