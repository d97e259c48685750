#!/usr/bin/env node
// Prints the SHA-256 of FILE in hex. Node's OpenSSL uses the CPU's SHA instructions where present, several times
// faster than coreutils' sha256sum on a large backup; the .sha256 files stay sha256sum-compatible.
// Usage: node sha256.mjs FILE [--elapsed]   (--elapsed: then a space and the milliseconds the hashing took; backup.sh
// runs it in the background, at the same time as the integrity check, and reports that duration)
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [file, flag] = process.argv.slice(2);
const started = performance.now();
const hash = crypto.createHash('sha256');
try {
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  const elapsed = flag === '--elapsed' ? ` ${Math.round(performance.now() - started)}` : '';
  process.stdout.write(`${hash.digest('hex')}${elapsed}\n`);
} catch (error) {
  process.stderr.write(`sha256: ${error.message}\n`);
  process.exit(1);
}
