import { browserTelemetryConfig } from '../../../../otel/service-info';
import { json } from '@/server/http/respond';
import { applyApiSecurityHeaders } from '@/server/http/security-headers';

export const dynamic = 'force-dynamic';

/**
 * The browser's monitoring settings, read from the server's environment at run time so that one build serves
 * every environment: `{ sentry: { dsn, environment, release, tracesSampleRate } | null }`. Public by design (a DSN
 * only lets one send events); fetched once per page load by instrumentation-client.ts, cached for 5 minutes.
 */
export function GET() {
  const { sentry } = browserTelemetryConfig();
  const res = json({ sentry: sentry ?? null }, 200, { 'Cache-Control': 'public, max-age=300' });
  applyApiSecurityHeaders(res.headers);
  return res;
}
