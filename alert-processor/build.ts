/**
 * npm run alerts:build — bundles the alert processor into one ES module, alert-processor/dist/main.mjs, with
 * esbuild: its code (its OTLP decoder included), the layer's logger, configuration and redaction, pino, protobufjs
 * and pg. better-sqlite3 (native) stays outside, the image already has it for the app; so do pg's optional native
 * binding pg-native (never installed) and pino-pretty (a development dependency). The OTLP schema the decoder reads at run time
 * (src/intake/otlp/otlp.proto, found beside the code through import.meta.dirname) is copied next to the bundle.
 * The Dockerfile runs this in its build stage; test/helpers/alert-processor-process.ts runs it before spawning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
export const distDir = path.join(root, 'alert-processor', 'dist');
export const entryFile = path.join(distDir, 'main.mjs');

export async function buildAlertProcessor(): Promise<string> {
  fs.rmSync(distDir, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(root, 'alert-processor', 'src', 'main.ts')],
    outfile: entryFile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // pino-pretty: an optional development dependency the logger requires inside a try; never in the image.
    // pg-native: pg's optional native binding, required inside a try; the pure-JavaScript client is used.
    external: ['better-sqlite3', 'pino-pretty', 'pg-native'],
    // Bundled CommonJS packages (pino, protobufjs) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __dropCreateRequire } from 'node:module'; const require = __dropCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(root, 'alert-processor', 'src', 'intake', 'otlp', 'otlp.proto'), path.join(distDir, 'otlp.proto'));
  return entryFile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  buildAlertProcessor().then(
    (file) => process.stderr.write(`[alerts:build] ${path.relative(root, file)}\n`),
    (error: unknown) => {
      process.stderr.write(`[alerts:build] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
