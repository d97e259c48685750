// Preloaded into a test server (NODE_OPTIONS=--import …): prints one stderr line the first time the process loads
// each @sentry/* package, whether through require() or import() — Next loads server externals with import().
import { writeSync } from 'node:fs';
import Module, { register } from 'node:module';

register('./module-probe-hooks.mjs', import.meta.url);

const seen = new Set();
const load = Module._load;
Module._load = function probe(request, parent, ...rest) {
  const resolved = (() => {
    try {
      return Module._resolveFilename(request, parent);
    } catch {
      return request;
    }
  })();
  const match = /node_modules\/(@sentry\/[^/]+)\//.exec(resolved);
  if (match && !seen.has(match[1])) {
    seen.add(match[1]);
    writeSync(2, `[module-probe] loaded ${match[1]}\n`);
  }
  return load.call(this, request, parent, ...rest);
};
