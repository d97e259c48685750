import { browserTelemetryConfig } from '@otel';
import { json } from '@/server/http/respond';
import { answered } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

/**
 * The browser's monitoring settings, read from the server's environment at run time so that one build serves
 * every environment: `{ sentry: { dsn, environment, release, tracesSampleRate } | null }`. Public by design (a DSN
 * only lets one send events); fetched once per page load by instrumentation-client.ts, cached for 5 minutes.
 */
export const GET = answered(async () => {
  const { sentry } = browserTelemetryConfig();
  return json({ sentry: sentry ?? null }, 200, { 'Cache-Control': 'public, max-age=300' });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
