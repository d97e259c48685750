import type { Instrumentation } from 'next';

export async function register() {
  // Node.js only: the edge runtime has no NodeSDK, and Drop runs nothing there.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { registerNodeTelemetry } = await import('@otel/register');
    await registerNodeTelemetry();
    const { checkServerConfig } = await import('./server/startup-check');
    const problems = checkServerConfig();
    if (problems.length > 0) {
      const { getLogger } = await import('@otel');
      const logger = getLogger();
      for (const problem of problems) logger.fatal({ 'event.name': 'config.invalid' }, `config: ${problem}`);
      logger.flush();
      process.exit(1);
    }
  }
}

/** Errors of pages and server components, to Sentry when SENTRY_DSN is set (otel/sentry/request-error.ts). */
export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { reportRequestError } = await import('@otel/register');
  await reportRequestError(error, request, context);
};
