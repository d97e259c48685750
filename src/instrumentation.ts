import type { Instrumentation } from 'next';

export async function register() {
  // Node.js only: the edge runtime has no NodeSDK, and Drop runs nothing there.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // bench:overhead only: a peer's set-up instead of Drop's layer, loaded by Node at run time from bench/peers
    // (a path the bundler never follows), so the production build carries none of it. Read here, not in the one
    // ServerConfig: it decides what boots, before the layer or the app's config exists, and only benchmarks set it.
    // First, before any request: every request is stamped with its TCP peer's address (rate limits, audit).
    const { installPeerAddressHeader } = await import('./server/http/peer-address');
    installPeerAddressHeader();
    const peer = process.env.DROP_BENCH_PEER;
    let announceStarted = () => {};
    if (peer) {
      const entry = `${process.cwd()}/bench/peers/index.mjs`;
      const { registerPeer } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ entry)) as {
        registerPeer(name: string): Promise<void>;
      };
      try {
        await registerPeer(peer);
      } catch (error) {
        // Next would log a failed register() and serve 500s: a bench run against a misnamed peer must not start.
        const { getLogger } = await import('@otel');
        const logger = getLogger();
        logger.fatal({ 'event.name': 'config.invalid' }, `config: ${error instanceof Error ? error.message : String(error)}`);
        logger.flush();
        process.exit(1);
      }
    } else {
      const { registerNodeTelemetry } = await import('@otel/register');
      ({ announceStarted } = await registerNodeTelemetry());
    }
    const { checkServerConfig } = await import('./server/startup-check');
    const problems = await checkServerConfig();
    if (problems.length > 0) {
      const { getLogger } = await import('@otel');
      const logger = getLogger();
      for (const problem of problems) logger.fatal({ 'event.name': 'config.invalid' }, `config: ${problem}`);
      logger.flush();
      process.exit(1);
    }
    announceStarted();
    const { startAuditBackgroundWork } = await import('./server/audit-background');
    await startAuditBackgroundWork();
  }
}

/** Errors of pages and server components, to Sentry when SENTRY_DSN is set (otel/sentry/request-error.ts). */
export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { reportRequestError } = await import('@otel/register');
  await reportRequestError(error, request, context);
};
