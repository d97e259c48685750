// Progress of long work on stderr: "[tool] label 45% 812 MB/s" rewritten in place, only when stderr is a terminal
// (logs and CI get the JSON summary line instead, not a line every few hundred milliseconds).
const REDRAW_EVERY_MS = 200;
const MB = 1024 * 1024;

/**
 * progress(tool, label, totalBytes) → { update(doneBytes), done() }. totalBytes 0 or unknown: MB and MB/s
 * without a percentage.
 */
export function progress(tool, label, totalBytes = 0, stream = process.stderr) {
  const started = performance.now();
  let lastDraw = 0;
  let drawn = false;
  const draw = (doneBytes) => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
    const rate = `${(doneBytes / MB / seconds).toFixed(0)} MB/s`;
    const amount =
      totalBytes > 0
        ? `${Math.min(100, Math.floor((doneBytes / totalBytes) * 100))}% of ${(totalBytes / MB).toFixed(0)} MB`
        : `${(doneBytes / MB).toFixed(0)} MB`;
    stream.write(`\r\x1b[K[${tool}] ${label} ${amount}, ${rate}`);
    drawn = true;
  };
  return {
    update(doneBytes) {
      if (!stream.isTTY) return;
      const now = performance.now();
      if (now - lastDraw < REDRAW_EVERY_MS) return;
      lastDraw = now;
      draw(doneBytes);
    },
    done(doneBytes) {
      if (!stream.isTTY) return;
      if (doneBytes !== undefined) draw(doneBytes);
      if (drawn) stream.write('\n');
    },
  };
}

/**
 * elapsed(tool, label) → { stop() }: for work of unknown length (an integrity check, a pg_restore), "[tool] label
 * 12 s" redrawn every second from `started` on, only when the stream is a terminal.
 */
export function elapsed(tool, label, stream = process.stderr, started = performance.now()) {
  if (!stream.isTTY) return { stop() {} };
  const draw = () => stream.write(`\r\x1b[K[${tool}] ${label} ${Math.floor((performance.now() - started) / 1000)} s`);
  draw();
  const timer = setInterval(draw, 1000);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      draw();
      stream.write('\n');
    },
  };
}
