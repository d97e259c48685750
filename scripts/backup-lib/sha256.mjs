#!/usr/bin/env node
// Prints the SHA-256 of FILE in hex (sha256sum-compatible digest), with progress on a terminal.
// Usage: node sha256.mjs FILE [--elapsed] [--copy-to DEST]
//   --elapsed: then a space and the milliseconds the hashing took;
//   --copy-to DEST: also copies FILE to DEST (must not exist) in the same pass, hashing the bytes written.
// Exit 0: printed. Exit 4: no space left on DEST's disk. Exit 1: anything else.
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import { copyAndSha256, isNoSpace, sha256File } from './hash-file.mjs';
import { progress } from './progress.mjs';

const { values, positionals } = parseArgs({
  options: { elapsed: { type: 'boolean', default: false }, 'copy-to': { type: 'string' } },
  allowPositionals: true,
});
const [file] = positionals;
const NO_SPACE_EXIT = 4;
const started = performance.now();
try {
  const copyTo = values['copy-to'];
  const size = fs.statSync(file).size;
  const meter = progress(process.env.TOOL_NAME || 'sha256', copyTo ? 'copy + checksum' : 'checksum', size);
  const digest = copyTo ? await copyAndSha256(file, copyTo, meter.update) : await sha256File(file, meter.update);
  meter.done(size);
  const elapsed = values.elapsed ? ` ${Math.round(performance.now() - started)}` : '';
  process.stdout.write(`${digest}${elapsed}\n`);
} catch (error) {
  process.stderr.write(`sha256: ${error.message}\n`);
  // A full disk has its own exit code, so the scripts can say "no space" (and exit 2) instead of guessing.
  process.exit(isNoSpace(error) ? NO_SPACE_EXIT : 1);
}
