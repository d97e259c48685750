// The browser's monitoring settings come from the server's one telemetry configuration, parsed at boot: an
// invalid NEXT_PUBLIC_SENTRY_DSN is one otel.config warning (not dropped silently), and the browser's
// tracesSampleRate is the ratio the server samples at, also for parentbased_traceidratio with an empty argument
// (once the server sampled every trace there and the browser none).
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/stack';

const DSN = 'http://0123456789abcdef@127.0.0.1:9/42';

describe('browser config: parentbased_traceidratio with an empty argument', () => {
  const stack = useStack({
    otlp: { traces: true },
    env: {
      NEXT_PUBLIC_SENTRY_DSN: DSN,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '',
      SENTRY_DSN: undefined,
    },
  });

  it('serves the ratio the server samples new traces at', async () => {
    const { app, otlp, client } = stack();
    const config = await client().get('/api/client-config');
    expect(config.status).toBe(200);
    expect(config.body.sentry).toMatchObject({ dsn: DSN, tracesSampleRate: 1 });

    // The server samples every new trace: a request without traceparent is exported.
    const health = await client().get('/api/health');
    const traceId = health.headers.get('x-request-id');
    await otlp.waitFor(() => otlp.spans.some((span) => span.traceId === traceId), 10_000, 'the /api/health span');
    expect(app.logRecords().filter((r) => r['event.name'] === 'otel.config')).toEqual([]);
  });
});

describe('browser config: an invalid NEXT_PUBLIC_SENTRY_DSN', () => {
  const stack = useStack({ env: { NEXT_PUBLIC_SENTRY_DSN: 'https://sentry.example.com/not-a-project', SENTRY_DSN: undefined } });

  it('is one otel.config warning at boot, and the browser gets no Sentry', async () => {
    const { app, client } = stack();
    expect(app.logRecords().filter((r) => r['event.name'] === 'otel.config')).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'NEXT_PUBLIC_SENTRY_DSN is not a valid Sentry DSN (https://<key>@<host>/<projectId>); Sentry stays off',
      }),
    ]);
    expect((await client().get('/api/client-config')).body).toEqual({ sentry: null });
  });
});
