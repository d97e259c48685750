import type { Instrumentation } from 'next';

export async function register() {
  // Node.js only: the edge runtime has no NodeSDK, and Drop runs nothing there.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // First, before any request: every request is stamped with its TCP peer's address (rate limits, audit).
    const { installPeerAddressHeader } = await import('./server/http/peer-address');
    installPeerAddressHeader();
    const { registerNodeTelemetry } = await import('@otel/register');
    const { announceStarted } = await registerNodeTelemetry();
    const { checkServerConfig } = await import('./server/startup-check');
    const problems = await checkServerConfig();
    if (problems.length > 0) {
      const { getLogger, ATTR_EVENT_NAME, EVENT_CONFIG_INVALID } = await import('@otel');
      const logger = getLogger();
      for (const problem of problems) logger.fatal({ [ATTR_EVENT_NAME]: EVENT_CONFIG_INVALID }, `config: ${problem}`);
      logger.flush();
      process.exit(1);
    }
    announceStarted();
    const { startAuditBackgroundWork } = await import('./server/audit-background');
    await startAuditBackgroundWork();
    const { startAttemptSweeper } = await import('./server/auth/attempt-sweeper');
    startAttemptSweeper();
  }
}

/** Errors of pages and server components, to Sentry when SENTRY_DSN is set (otel/sentry/request-error.ts). */
export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { reportRequestError } = await import('@otel/register');
  await reportRequestError(error, request, context);
};
