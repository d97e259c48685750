import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Creates the logger with LOG_FORMAT=pretty in a fresh Node process (the logger writes to fd 1), optionally with
 * pino-pretty missing as in the production image (a require hook refusing it), and returns what it wrote.
 */
function runWithPrettyLogs({ prettyMissing }: { prettyMissing: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-logger-'));
  const hook = path.join(dir, 'no-pino-pretty.cjs');
  fs.writeFileSync(
    hook,
    `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'pino-pretty') throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
  return load.call(this, request, ...rest);
};
`,
  );
  const script = path.join(dir, 'log.ts');
  fs.writeFileSync(
    script,
    `import { parseTelemetryConfig } from ${JSON.stringify(path.join(root, 'otel/config'))};
import { createLogger } from ${JSON.stringify(path.join(root, 'otel/logger'))};
createLogger(parseTelemetryConfig({ LOG_FORMAT: 'pretty', OTEL_SDK_DISABLED: 'true' }, '1.2.3')).info('first line');
`,
  );
  try {
    return execFileSync(process.execPath, [...(prettyMissing ? ['--require', hook] : []), '--import', 'tsx', script], {
      cwd: root,
      encoding: 'utf8',
      // Nothing inherited (NODE_OPTIONS, LOG_FORMAT…): the config comes from the script alone.
      env: { PATH: process.env.PATH, NO_COLOR: '1' } as unknown as NodeJS.ProcessEnv,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('LOG_FORMAT=pretty', () => {
  it('without pino-pretty: logs JSON, and its first line says why', () => {
    const lines = runWithPrettyLogs({ prettyMissing: true })
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        'event.name': 'otel.config',
        msg: 'LOG_FORMAT=pretty needs pino-pretty (a dev dependency, not in the production image); logging JSON',
      }),
      expect.objectContaining({ level: 'info', msg: 'first line', 'service.version': '1.2.3' }),
    ]);
  });

  it('with pino-pretty: pretty lines and no warning', () => {
    const output = runWithPrettyLogs({ prettyMissing: false });
    expect(output).toMatch(/INFO.*first line/);
    expect(output).not.toContain('needs pino-pretty');
    expect(() => JSON.parse(output.split('\n')[0]!)).toThrow();
  });
});
