import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerConfig } from './config';

const CWD = '/srv/drop';

describe('parseServerConfig', () => {
  it('has the documented defaults (development)', () => {
    const { config, problems } = parseServerConfig({}, CWD);
    expect(problems).toEqual([]);
    expect(config).toEqual({
      production: false,
      database: { dialect: 'sqlite', file: path.join(CWD, 'data/drop.db') },
      pgPoolMax: 10,
      secureCookies: false,
      sessionTtlMs: 24 * 7 * 3_600_000,
      trustedProxyCount: 0,
      appOriginHost: undefined,
      auditWriteMode: 'chained',
      auditSealGatherMs: 2,
      traceUrlTemplate: undefined,
      auditCheckpointEvery: 1000,
      auditCheckpointMs: 300_000,
      showDemoAccounts: true,
      loginFailuresPerAddress: 20,
      passwordHashesPerAddress: 60,
      auditMacLegacyUntil: 0,
    });
  });

  it('production: secure cookies, and the demo accounts only with DROP_DEMO=1', () => {
    expect(parseServerConfig({ NODE_ENV: 'production' }, CWD).config).toMatchObject({
      production: true,
      secureCookies: true,
      showDemoAccounts: false,
    });
    expect(parseServerConfig({ NODE_ENV: 'production', DROP_DEMO: '1' }, CWD).config.showDemoAccounts).toBe(true);
    expect(parseServerConfig({ NODE_ENV: 'production', DROP_DEMO: '0' }, CWD).config.showDemoAccounts).toBe(false);
  });

  it('reads every variable', () => {
    const { config, problems } = parseServerConfig(
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://drop@db:5432/drop',
        PG_POOL_MAX: '25',
        COOKIE_SECURE: 'false',
        SESSION_TTL_HOURS: '12',
        TRUSTED_PROXY_COUNT: '2',
        APP_ORIGIN: 'https://drop.example.com',
        AUDIT_WRITE_MODE: 'sequenced',
        AUDIT_SEAL_GATHER_MS: '5',
        TRACE_URL_TEMPLATE: 'https://tempo.example/trace/{traceId}',
        AUDIT_CHECKPOINT_EVERY: '50',
        AUDIT_CHECKPOINT_SECONDS: '60',
        DROP_DEMO: '1',
        LOGIN_FAILURES_PER_ADDRESS: '50',
        PASSWORD_HASHES_PER_ADDRESS: '500',
        AUDIT_MAC_LEGACY_UNTIL: '1200',
      },
      CWD,
    );
    expect(problems).toEqual([]);
    expect(config).toEqual({
      production: true,
      database: { dialect: 'postgres', connectionString: 'postgres://drop@db:5432/drop' },
      pgPoolMax: 25,
      secureCookies: false,
      sessionTtlMs: 12 * 3_600_000,
      trustedProxyCount: 2,
      appOriginHost: 'drop.example.com',
      appOrigin: 'https://drop.example.com',
      auditWriteMode: 'sequenced',
      auditSealGatherMs: 5,
      traceUrlTemplate: 'https://tempo.example/trace/{traceId}',
      auditCheckpointEvery: 50,
      auditCheckpointMs: 60_000,
      showDemoAccounts: true,
      loginFailuresPerAddress: 50,
      passwordHashesPerAddress: 500,
      auditMacLegacyUntil: 1200,
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be unset'],
    [{ PG_POOL_MAX: '0' }, 'PG_POOL_MAX must be an integer between 1 and 1000, got "0"'],
    [{ PG_POOL_MAX: '2.5' }, 'PG_POOL_MAX must be an integer between 1 and 1000, got "2.5"'],
    [{ COOKIE_SECURE: 'yes' }, 'COOKIE_SECURE must be true or false, got "yes"'],
    [{ SESSION_TTL_HOURS: '-1' }, 'SESSION_TTL_HOURS must be an integer between 1 and 8760, got "-1"'],
    [{ TRUSTED_PROXY_COUNT: 'two' }, 'TRUSTED_PROXY_COUNT must be an integer between 0 and 10, got "two"'],
    [{ APP_ORIGIN: 'not a url' }, 'APP_ORIGIN must be an origin such as https://drop.example.com, got "not a url"'],
    [{ AUDIT_WRITE_MODE: 'fast' }, 'AUDIT_WRITE_MODE must be chained or sequenced, got "fast"'],
    [{ AUDIT_SEAL_GATHER_MS: '5000' }, 'AUDIT_SEAL_GATHER_MS must be an integer between 0 and 1000, got "5000"'],
    [{ TRACE_URL_TEMPLATE: 'https://tempo.example/trace/' }, 'TRACE_URL_TEMPLATE must be an http(s) URL containing {traceId}'],
    [{ AUDIT_CHECKPOINT_EVERY: '0' }, 'AUDIT_CHECKPOINT_EVERY must be an integer between 1 and 1000000000, got "0"'],
    [{ AUDIT_CHECKPOINT_SECONDS: 'soon' }, 'AUDIT_CHECKPOINT_SECONDS must be an integer between 1 and 1000000, got "soon"'],
    [{ NODE_ENV: 'production', DROP_DEMO: 'yes' }, 'DROP_DEMO must be 1 or 0, got "yes"'],
    [{ LOGIN_FAILURES_PER_ADDRESS: '0' }, 'LOGIN_FAILURES_PER_ADDRESS must be an integer between 1 and 1000000, got "0"'],
    [{ PASSWORD_HASHES_PER_ADDRESS: 'many' }, 'PASSWORD_HASHES_PER_ADDRESS must be an integer between 1 and 1000000, got "many"'],
    [{ AUDIT_MAC_LEGACY_UNTIL: '-1' }, 'AUDIT_MAC_LEGACY_UNTIL must be an integer between 0 and'],
  ])('%o is one problem naming the variable', (env, message) => {
    const { problems } = parseServerConfig(env, CWD);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('names every bad value, one line each', () => {
    const { problems } = parseServerConfig({ PG_POOL_MAX: 'x', AUDIT_CHECKPOINT_EVERY: 'y', TRACE_URL_TEMPLATE: 'z' }, CWD);
    expect(problems).toHaveLength(3);
  });
});
