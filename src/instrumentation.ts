import type { Instrumentation } from 'next';

export async function register() {
  // Node.js only: the edge runtime has no NodeSDK, and Drop runs nothing there.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { registerNodeTelemetry } = await import('../otel/register');
    await registerNodeTelemetry();
  }
}

/** Errors of pages and server components, to Sentry when SENTRY_DSN is set (otel/sentry/request-error.ts). */
export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { reportRequestError } = await import('../otel/sentry/request-error');
  await reportRequestError(error, request, context);
};
