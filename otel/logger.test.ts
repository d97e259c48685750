import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig } from './config';
import { createLogger } from './logger';

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

/** A logger writing its JSON lines into an array (no SDK: the lines alone). */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(parseTelemetryConfig({ OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'info' }, '1.2.3'), {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

/** A driver's error as pg gives it: a code, and the client it came from. */
class DriverError extends Error {
  readonly code = 'ECONNREFUSED';
  readonly client = { connectionParameters: { host: '10.0.0.5', password: 'hunter2' }, _events: {} };
  constructor(message: string) {
    super(message);
    this.name = 'DriverError';
  }
}

describe('errors in log lines', () => {
  it('are serialized (type, message, stack, code, cause) before the redaction: nothing the error carries, secrets masked', () => {
    const { logger, lines } = capturingLogger();
    const driver = new DriverError('connect failed token=abc123');
    logger.error({ err: new Error('query failed', { cause: driver }) }, 'wrapped');
    logger.warn({ error: new TypeError('bad sid=s3cr3t') }, 'under error');
    const [wrapped, other] = lines;
    expect(wrapped!.err).toEqual({
      type: 'Error',
      message: 'query failed',
      stack: expect.stringMatching(/^Error: query failed\n/),
      cause: {
        type: 'DriverError',
        message: 'connect failed token=[REDACTED]',
        stack: expect.stringMatching(/^DriverError: connect failed token=\[REDACTED\]\n/),
        code: 'ECONNREFUSED',
      },
    });
    expect(other!.error).toMatchObject({ type: 'TypeError', message: 'bad sid=[REDACTED]' });
    const text = JSON.stringify(lines);
    for (const leak of ['abc123', 's3cr3t', 'hunter2', 'connectionParameters', '_events']) expect(text).not.toContain(leak);
  });

  it("keep an error's plain fields (Next's digest, a driver's detail) and nothing it holds", () => {
    const { logger, lines } = capturingLogger();
    const rendered = Object.assign(new Error('render failed'), { digest: '360240861', detail: 'key (email)=(a@b.test) token=abc123' });
    logger.error({ err: Object.assign(rendered, { client: new DriverError('x').client, retry: () => undefined }) }, 'page failed');
    expect(lines[0]!.err).toMatchObject({
      type: 'Error',
      message: 'render failed',
      digest: '360240861',
      detail: expect.stringContaining('token=[REDACTED]'),
    });
    expect(lines[0]!.err).not.toHaveProperty('client');
    expect(lines[0]!.err).not.toHaveProperty('retry');
    expect(JSON.stringify(lines)).not.toMatch(/abc123|hunter2|connectionParameters/);
  });

  it('give a call without a message the error’s message as its message, redacted', () => {
    const { logger, lines } = capturingLogger();
    logger.error(new DriverError('connect failed token=abc123'));
    logger.error({ err: new Error('password: hunter2 refused') });
    expect(lines.map((line) => line.msg)).toEqual(['connect failed token=[REDACTED]', 'password: [REDACTED] refused']);
    expect(lines[0]!.err).toMatchObject({ type: 'DriverError', code: 'ECONNREFUSED' });
    expect(JSON.stringify(lines)).not.toMatch(/abc123|hunter2/);
  });
});
