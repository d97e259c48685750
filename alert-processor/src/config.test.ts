import { describe, expect, it } from 'vitest';
import { parseAlertsConfig, sentryIssuesUrl } from './config';

describe('parseAlertsConfig', () => {
  it('has the documented defaults', () => {
    const config = parseAlertsConfig({ ALERTS_INTAKE_TOKEN: 'intake-token-0123456789' });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      intakeToken: 'intake-token-0123456789',
      services: ['drop', 'drop-alert-processor', 'drop-backup', 'drop-otel-collector'],
      port: 8787,
      maxBodyBytes: 4 * 1024 * 1024,
      stateFile: 'data/alert-state.db',
      errorThreshold: 5,
      windowMs: 60_000,
      cooldownMs: 600_000,
      auditCheckpointGraceMs: 300_000,
      loginFailuresPerAccount: 10,
      loginFailuresPerNetwork: 20,
      loginWindowMs: 900_000,
      slackWebhookUrl: undefined,
      sentryIssuesUrl: undefined,
      traceUrlTemplate: undefined,
      warnings: [],
      problems: [],
    });
  });

  it('refuses to start without an intake token unless unauthenticated is asked for, with a warning', () => {
    expect(parseAlertsConfig({}).problems).toEqual([
      expect.stringMatching(/^ALERTS_INTAKE_TOKEN is not set: .*ALERTS_INTAKE_UNAUTHENTICATED=true/),
    ]);
    expect(parseAlertsConfig({ ALERTS_INTAKE_TOKEN: 'short' }).problems).toEqual([
      expect.stringMatching(/^ALERTS_INTAKE_TOKEN is shorter than 16 characters/),
    ]);
    expect(parseAlertsConfig({ ALERTS_INTAKE_TOKEN: 'short' }).problems[0]).not.toContain('short"');
    const open = parseAlertsConfig({ ALERTS_INTAKE_UNAUTHENTICATED: 'true' });
    expect(open).toMatchObject({ intakeToken: undefined, problems: [], warnings: [] });
    const both = parseAlertsConfig({ ALERTS_INTAKE_TOKEN: 'intake-token-0123456789', ALERTS_INTAKE_UNAUTHENTICATED: 'true' });
    expect(both).toMatchObject({ intakeToken: 'intake-token-0123456789', problems: [] });
    expect(both.warnings).toEqual([expect.stringContaining('ALERTS_INTAKE_UNAUTHENTICATED=true is ignored')]);
    expect(parseAlertsConfig({ ALERTS_INTAKE_UNAUTHENTICATED: 'yes' }).problems).toHaveLength(1);
  });

  it('reads ALERT_SERVICES as a comma-separated list; an empty list falls back to the default with a warning', () => {
    const token = { ALERTS_INTAKE_TOKEN: 'intake-token-0123456789' };
    expect(parseAlertsConfig({ ...token, ALERT_SERVICES: ' drop , drop-worker,,drop ' }).services).toEqual(['drop', 'drop-worker']);
    const empty = parseAlertsConfig({ ...token, ALERT_SERVICES: ' , ' });
    expect(empty.services).toEqual(['drop', 'drop-alert-processor', 'drop-backup', 'drop-otel-collector']);
    expect(empty.warnings).toEqual([expect.stringContaining('ALERT_SERVICES')]);
  });

  it('reads every variable', () => {
    const config = parseAlertsConfig({
      ALERTS_INTAKE_TOKEN: 'intake-token-0123456789',
      ALERTS_PORT: '9000',
      ALERTS_HOST: '0.0.0.0',
      ALERTS_MAX_BODY_BYTES: '65536',
      ALERTS_STATE_FILE: '/tmp/x.db',
      ALERT_ERROR_THRESHOLD: '10',
      ALERT_WINDOW_SECONDS: '5',
      ALERT_COOLDOWN_SECONDS: '30',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
      SLACK_MAX_ATTEMPTS: '2',
      SLACK_MESSAGES_PER_SECOND: '3',
      SLACK_TIMEOUT_MS: '2500',
      SLACK_MAX_RETRY_AFTER_SECONDS: '7',
      ALERT_HEARTBEAT_MINUTES: '4',
      ALERT_AUDIT_CHECKPOINT_GRACE_SECONDS: '60',
      ALERT_LOGIN_FAILURES_PER_ACCOUNT: '3',
      ALERT_LOGIN_FAILURES_PER_NETWORK: '50',
      ALERT_LOGIN_WINDOW_SECONDS: '300',
      ALERTS_SHUTDOWN_TIMEOUT_MS: '4500',
      TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}',
      SENTRY_ISSUES_URL: 'https://acme.sentry.io/issues/?project=1',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      maxBodyBytes: 65536,
      stateFile: '/tmp/x.db',
      errorThreshold: 10,
      windowMs: 5_000,
      cooldownMs: 30_000,
      slackWebhookUrl: 'https://hooks.slack.com/services/T/B/x',
      slackMaxAttempts: 2,
      slackMessagesPerSecond: 3,
      slackTimeoutMs: 2_500,
      slackMaxRetryAfterMs: 7_000,
      heartbeatMs: 240_000,
      auditCheckpointGraceMs: 60_000,
      loginFailuresPerAccount: 3,
      loginFailuresPerNetwork: 50,
      loginWindowMs: 300_000,
      shutdownTimeoutMs: 4_500,
      traceUrlTemplate: 'http://localhost:16686/trace/{traceId}',
      sentryIssuesUrl: 'https://acme.sentry.io/issues/?project=1',
      warnings: [],
    });
  });

  it('warns about invalid values, keeps the default, and never echoes a webhook URL', () => {
    const config = parseAlertsConfig({
      ALERTS_INTAKE_UNAUTHENTICATED: 'true',
      ALERT_WINDOW_SECONDS: '0',
      ALERT_ERROR_THRESHOLD: 'five',
      SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/secret-part',
      ALERT_LOGIN_FAILURES_PER_ACCOUNT: '0',
      ALERT_LOGIN_WINDOW_SECONDS: 'a while',
    });
    expect(config.windowMs).toBe(60_000);
    expect(config.errorThreshold).toBe(5);
    expect(config.slackWebhookUrl).toBeUndefined();
    expect(config.loginFailuresPerAccount).toBe(10);
    expect(config.loginWindowMs).toBe(900_000);
    expect(config.warnings).toHaveLength(5);
    expect(config.warnings.join('\n')).not.toContain('secret-part');
    expect(config.problems).toEqual([]);
  });

  it('a bad TRACE_URL_TEMPLATE is a problem that stops the process, as in the app (otel/correlation.ts)', () => {
    for (const template of ['http://jaeger/trace/', 'jaeger/trace/{traceId}', 'http://[bad/{traceId}']) {
      const config = parseAlertsConfig({ ALERTS_INTAKE_UNAUTHENTICATED: 'true', TRACE_URL_TEMPLATE: template });
      expect(config.traceUrlTemplate).toBeUndefined();
      expect(config.problems).toEqual([`TRACE_URL_TEMPLATE must be an http(s) URL containing {traceId}, got "${template}"`]);
    }
  });
});

describe('grouping, silences API and mute windows', () => {
  it('ALERT_GROUP_SECONDS (default 0: off), ALERTS_API_TOKEN (16+ characters), ALERT_MUTE_WINDOWS', () => {
    expect(parseAlertsConfig({})).toMatchObject({ groupMs: 0, apiToken: undefined, muteWindows: [] });
    const config = parseAlertsConfig({
      ALERT_GROUP_SECONDS: '30',
      ALERTS_API_TOKEN: ' 0123456789abcdef0123 ',
      ALERT_MUTE_WINDOWS: 'Sat,Sun 00:00-24:00 UTC alert.severity=info; Mon-Fri 22:00-06:00 Europe/Berlin',
    });
    expect(config).toMatchObject({ groupMs: 30_000, apiToken: '0123456789abcdef0123', warnings: [] });
    expect(config.muteWindows.map((w) => w.spec)).toEqual([
      'Sat,Sun 00:00-24:00 UTC alert.severity=info',
      'Mon-Fri 22:00-06:00 Europe/Berlin',
    ]);
  });

  it('a short token leaves the API off, with a warning that does not echo it; bad windows and group values warn', () => {
    const config = parseAlertsConfig({
      ALERTS_API_TOKEN: 'short-secret',
      ALERT_MUTE_WINDOWS: 'Someday 10:00-11:00',
      ALERT_GROUP_SECONDS: '-1',
    });
    expect(config.apiToken).toBeUndefined();
    expect(config.groupMs).toBe(0);
    expect(config.muteWindows).toEqual([]);
    expect(config.warnings).toHaveLength(3);
    expect(config.warnings.join('\n')).not.toContain('short-secret');
  });
});

describe('replicas', () => {
  it('ALERTS_DATABASE_URL (postgres only), ALERTS_LEASE_SECONDS, ALERTS_REPLICA_ID, ALERTS_DATABASE_TIMEOUT_MS', () => {
    expect(parseAlertsConfig({})).toMatchObject({
      databaseUrl: undefined,
      leaseMs: 15_000,
      databaseTimeoutMs: 3_000,
      replicaId: expect.stringMatching(/-\d+$/),
    });
    expect(
      parseAlertsConfig({
        ALERTS_DATABASE_URL: 'postgres://alerts:pw@db:5432/alerts',
        ALERTS_LEASE_SECONDS: '5',
        ALERTS_REPLICA_ID: 'alerts-1',
        ALERTS_DATABASE_TIMEOUT_MS: '1500',
      }),
    ).toMatchObject({
      databaseUrl: 'postgres://alerts:pw@db:5432/alerts',
      leaseMs: 5_000,
      replicaId: 'alerts-1',
      databaseTimeoutMs: 1_500,
      warnings: [],
    });
    const sqlite = parseAlertsConfig({ ALERTS_DATABASE_URL: 'file:/data/secret-pw.db' });
    expect(sqlite.databaseUrl).toBeUndefined();
    expect(sqlite.warnings).toEqual(['ALERTS_DATABASE_URL is not a postgres:// URL; running without replicas (state file only)']);
  });
});

describe('sentryIssuesUrl', () => {
  const DSN = 'https://0123456789abcdef0123456789abcdef@o1234567.ingest.us.sentry.io/7654321';

  it('SENTRY_ISSUES_URL wins', () => {
    expect(sentryIssuesUrl({ SENTRY_ISSUES_URL: 'https://acme.sentry.io/issues/?project=9', SENTRY_DSN: DSN })).toBe(
      'https://acme.sentry.io/issues/?project=9',
    );
  });

  it('from the DSN with the organization slug', () => {
    expect(sentryIssuesUrl({ SENTRY_DSN: DSN, SENTRY_ORG: 'acme' })).toBe('https://acme.sentry.io/issues/?project=7654321');
  });

  it('from the DSN without a slug: Sentry’s orgredirect URL', () => {
    expect(sentryIssuesUrl({ SENTRY_DSN: DSN })).toBe('https://sentry.io/orgredirect/organizations/:orgslug/issues/?project=7654321');
  });

  it('from the collector’s Sentry OTLP endpoint when there is no DSN', () => {
    expect(
      sentryIssuesUrl({
        SENTRY_OTLP_TRACES_ENDPOINT: 'https://o1.ingest.de.sentry.io/api/4242/integration/otlp/v1/traces',
        SENTRY_ORG: 'acme',
      }),
    ).toBe('https://acme.sentry.io/issues/?project=4242');
  });

  it('self-hosted Sentry', () => {
    expect(sentryIssuesUrl({ SENTRY_DSN: 'https://key@sentry.example.com/3' })).toBe(
      'https://sentry.example.com/organizations/sentry/issues/?project=3',
    );
  });

  it('nothing configured: no link', () => {
    expect(sentryIssuesUrl({})).toBeUndefined();
    expect(sentryIssuesUrl({ SENTRY_DSN: 'not a dsn' })).toBeUndefined();
  });
});
