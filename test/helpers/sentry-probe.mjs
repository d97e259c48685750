// Preloaded into a test server (NODE_OPTIONS=--import …): when the process exits, prints on stderr whether any
// Sentry SDK code ever set up its global carrier (`globalThis.__SENTRY__`, created by the SDK as it initialises)
// and with which clients. The SDK is bundled into the server's chunks, so a module-load hook would not see it.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const carrier = globalThis.__SENTRY__;
  const versions = carrier ? Object.keys(carrier).filter((key) => key !== 'version') : [];
  const clients = versions.filter((v) => carrier[v]?.defaultCurrentScope?.getClient?.() !== undefined);
  writeSync(2, `[sentry-probe] carrier=${carrier ? 'yes' : 'no'} clients=${clients.length}\n`);
});
