import { describe, expect, it } from 'vitest';
import { demoEnv, demoExports } from './demo-env.mjs';

const make = { secret: () => 'made-secret', signingKeyFile: () => '/data/.audit-signing-key.pem' };

describe("the demo's environment", () => {
  it('opts out of Next telemetry, exports nothing and makes the secrets when the caller set none', () => {
    const env = demoEnv({ PATH: '/usr/bin' }, make);
    expect(env).toEqual({
      PATH: '/usr/bin',
      AUTH_SECRET: 'made-secret',
      AUDIT_SIGNING_KEY_FILE: '/data/.audit-signing-key.pem',
      DEMO_PASSWORD: 'drop-demo-password',
      COOKIE_SECURE: 'false',
      DROP_DEMO: '1',
      NEXT_TELEMETRY_DISABLED: '1',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
  });

  it("keeps what the caller set, LOG_FORMAT and a named backend's exporters included", () => {
    const base = {
      AUTH_SECRET: 'mine',
      AUDIT_SIGNING_KEY: 'pem',
      NEXT_TELEMETRY_DISABLED: '0',
      LOG_FORMAT: 'pretty',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    };
    const env = demoEnv(base, {
      secret: () => {
        throw new Error('not needed');
      },
      signingKeyFile: () => {
        throw new Error('not needed');
      },
    });
    expect(env).toMatchObject(base);
    expect(env.AUDIT_SIGNING_KEY_FILE).toBeUndefined();
    expect(env.OTEL_TRACES_EXPORTER).toBeUndefined();
    expect(demoExports(base)).toBe(true);
    expect(demoExports({ SENTRY_DSN: 'https://k@sentry.example/1' })).toBe(true);
    expect(demoExports({})).toBe(false);
  });
});
