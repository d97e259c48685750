import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The Docker image runs the standalone server; `next start` (demo, tests) uses the regular build.
  output: process.env.NEXT_OUTPUT === 'standalone' ? 'standalone' : undefined,
  poweredByHeader: false,
  // forbidden() in server components renders app/forbidden.tsx with status 403 (the admin pages use it).
  experimental: { authInterrupts: true },
  // Native modules and drivers stay outside the server bundle.
  serverExternalPackages: ['better-sqlite3', 'pg', '@node-rs/argon2', 'pino', 'pino-pretty'],
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
