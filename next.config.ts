import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The Docker image runs the standalone server; `next start` (demo, tests) uses the regular build.
  output: process.env.NEXT_OUTPUT === 'standalone' ? 'standalone' : undefined,
  poweredByHeader: false,
  // next build type-checks the app without the tests: *.test.ts files import test/helpers, which the Docker build
  // context leaves out (.dockerignore). `npm run typecheck` checks everything, tests included.
  typescript: { tsconfigPath: 'tsconfig.build.json' },
  experimental: {
    // forbidden() in server components renders app/forbidden.tsx with status 403 (the admin pages use it).
    authInterrupts: true,
    // Readable server stack traces for Sentry (uploaded by the Docker build); .next/server is never served.
    serverSourceMaps: true,
  },
  // Browser maps only for an upload (DROP_BROWSER_SOURCE_MAPS=1, set by the Docker build with a Sentry token),
  // which deletes them from .next/static afterwards: maps are never served publicly.
  productionBrowserSourceMaps: process.env.DROP_BROWSER_SOURCE_MAPS === '1',
  // Native modules and drivers stay outside the server bundle.
  // Not @sentry/node: it is bundled into instrumentation's chunks like the OpenTelemetry SDK, and loaded only with
  // SENTRY_DSN. Routes never import it (they reach it through otel/sentry/error-reporter.ts).
  serverExternalPackages: ['better-sqlite3', 'pg', '@node-rs/argon2', 'pino', 'pino-pretty'],
  // Browsers ask for /favicon.ico whenever a page names no icon they can use yet (error pages too): the app's icon,
  // instead of a 404 in the console.
  async rewrites() {
    return [{ source: '/favicon.ico', destination: '/icon.svg' }];
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

export default nextConfig;
