import { describe, expect, it } from 'vitest';
import { parseTelemetryConfig, samplingRatio } from '../config';
import { isValidDsn, parseSentryServerConfig, sentryRelease } from './config';

const DSN = 'https://0123456789abcdef0123456789abcdef@o1234567.ingest.us.sentry.io/7654321';

describe('Sentry configuration', () => {
  it('creates nothing without SENTRY_DSN, and says so (without the value) for an invalid one', () => {
    const warnings: string[] = [];
    expect(parseSentryServerConfig({}, '1.2.3', warnings)).toBeUndefined();
    expect(parseSentryServerConfig({ SENTRY_DSN: '  ' }, '1.2.3', warnings)).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(parseSentryServerConfig({ SENTRY_DSN: 'not-a-dsn-secretish' }, '1.2.3', warnings)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SENTRY_DSN');
    expect(warnings[0]).not.toContain('secretish');
  });

  it('accepts DSNs with a key and a numeric project id', () => {
    expect(isValidDsn(DSN)).toBe(true);
    expect(isValidDsn('http://key@127.0.0.1:4567/1')).toBe(true);
    expect(isValidDsn('https://o1.ingest.sentry.io/7')).toBe(false);
    expect(isValidDsn('https://key@o1.ingest.sentry.io/')).toBe(false);
    expect(isValidDsn('ftp://key@host/1')).toBe(false);
  });

  it('takes the environment from SENTRY_ENVIRONMENT, else NODE_ENV', () => {
    expect(parseSentryServerConfig({ SENTRY_DSN: DSN, NODE_ENV: 'production' }, '1.2.3', [])?.environment).toBe('production');
    expect(
      parseSentryServerConfig({ SENTRY_DSN: DSN, NODE_ENV: 'production', SENTRY_ENVIRONMENT: 'staging' }, '1.2.3', [])?.environment,
    ).toBe('staging');
  });

  it('names the release after the version and the git sha when known, unless SENTRY_RELEASE says otherwise', () => {
    expect(sentryRelease({}, '1.2.3')).toBe('drop@1.2.3');
    expect(sentryRelease({ GIT_SHA: 'ABCDEF0123456789abcdef0123456789abcdef01' }, '1.2.3')).toBe('drop@1.2.3+abcdef012345');
    expect(sentryRelease({ SOURCE_COMMIT: '1a2b3c4' }, '1.2.3')).toBe('drop@1.2.3+1a2b3c4');
    expect(sentryRelease({ GIT_SHA: 'not a sha' }, '1.2.3')).toBe('drop@1.2.3');
    expect(sentryRelease({ SENTRY_RELEASE: 'drop-2026.11', GIT_SHA: '1a2b3c4' }, '1.2.3')).toBe('drop-2026.11');
  });

  it('turns SENTRY_TRACES_SAMPLE_RATE into the OTel sampler ratio, unless OTEL_TRACES_SAMPLER is set', () => {
    expect(parseTelemetryConfig({}, '1.2.3').tracesSampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(parseTelemetryConfig({ SENTRY_TRACES_SAMPLE_RATE: '0.25' }, '1.2.3').tracesSampler).toEqual({
      name: 'parentbased_traceidratio',
      ratio: 0.25,
    });
    const explicit = parseTelemetryConfig({ SENTRY_TRACES_SAMPLE_RATE: '0.25', OTEL_TRACES_SAMPLER: 'always_on' }, '1.2.3');
    expect(explicit.tracesSampler).toEqual({ name: 'always_on', ratio: 1 });
    expect(explicit.warnings.join('\n')).toContain('OTEL_TRACES_SAMPLER');
    const invalid = parseTelemetryConfig({ SENTRY_TRACES_SAMPLE_RATE: '1.5' }, '1.2.3');
    expect(invalid.tracesSampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(invalid.warnings.join('\n')).toContain('SENTRY_TRACES_SAMPLE_RATE="1.5"');
  });

  it('gives the browser the ratio the server samples new traces at, from the one parsed sampler', () => {
    const ratio = (env: Record<string, string>) => samplingRatio(parseTelemetryConfig(env, '1.2.3').tracesSampler);
    expect(ratio({})).toBe(1);
    expect(ratio({ SENTRY_TRACES_SAMPLE_RATE: '0.1' })).toBe(0.1);
    expect(
      ratio({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.3', SENTRY_TRACES_SAMPLE_RATE: '0.1' }),
    ).toBe(0.3);
    expect(ratio({ OTEL_TRACES_SAMPLER: 'always_off', SENTRY_TRACES_SAMPLE_RATE: '0.1' })).toBe(0);
    expect(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_always_on', SENTRY_TRACES_SAMPLE_RATE: '0.1' })).toBe(1);
    // Once disagreed: the server sampled every trace and the browser none.
    expect(ratio({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '' })).toBe(1);
  });

  it('serves the browser its own DSN only when NEXT_PUBLIC_SENTRY_DSN is set, parsed with the rest of the config', () => {
    expect(parseTelemetryConfig({ SENTRY_DSN: DSN }, '1.2.3').browserSentry).toBeUndefined();
    expect(
      parseTelemetryConfig({ NEXT_PUBLIC_SENTRY_DSN: DSN, NODE_ENV: 'production', SENTRY_TRACES_SAMPLE_RATE: '0.5' }, '1.2.3')
        .browserSentry,
    ).toEqual({
      dsn: DSN,
      environment: 'production',
      release: 'drop@1.2.3',
      tracesSampleRate: 0.5,
    });
  });

  it('warns once, in the config warnings, about an invalid NEXT_PUBLIC_SENTRY_DSN (the browser gets no Sentry)', () => {
    const config = parseTelemetryConfig({ NEXT_PUBLIC_SENTRY_DSN: 'https://sentry.example.com/not-a-project' }, '1.2.3');
    expect(config.browserSentry).toBeUndefined();
    expect(config.warnings).toEqual([
      'NEXT_PUBLIC_SENTRY_DSN is not a valid Sentry DSN (https://<key>@<host>/<projectId>); Sentry stays off',
    ]);
  });

  it("gives the browser the server's sampling ratio for parentbased_traceidratio with an empty argument", () => {
    const config = parseTelemetryConfig(
      { NEXT_PUBLIC_SENTRY_DSN: DSN, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '' },
      '1.2.3',
    );
    expect(config.tracesSampler).toEqual({ name: 'parentbased_traceidratio', ratio: 1 });
    expect(config.browserSentry?.tracesSampleRate).toBe(1);
  });
});
