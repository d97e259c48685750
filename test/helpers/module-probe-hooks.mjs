// Module resolution hooks of module-probe.mjs (they run on Node's loader thread): report @sentry/* imports.
import { writeSync } from 'node:fs';

const seen = new Set();

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const match = /node_modules\/(@sentry\/[^/]+)\//.exec(result.url);
  if (match && !seen.has(match[1])) {
    seen.add(match[1]);
    writeSync(2, `[module-probe] loaded ${match[1]}\n`);
  }
  return result;
}
