#!/usr/bin/env node
// Container health check for images without curl: exits 0 when the URL answers 200 within 4 s, 1 otherwise.
//   node scripts/docker-healthcheck.mjs                         → http://127.0.0.1:$PORT/api/health (the app)
//   node scripts/docker-healthcheck.mjs http://127.0.0.1:8787/healthz   (another service in the same image)
// Used by the Dockerfile's HEALTHCHECK and docker-compose.yml.
const url = process.argv[2] || `http://127.0.0.1:${process.env.PORT || '3000'}/api/health`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.stdout.write(`${url}: ${response.status}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stdout.write(`${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
