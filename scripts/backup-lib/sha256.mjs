#!/usr/bin/env node
// Prints the SHA-256 of FILE in hex. Node's OpenSSL uses the CPU's SHA instructions where present, several times
// faster than coreutils' sha256sum on a large backup; the .sha256 files stay sha256sum-compatible.
// Usage: node sha256.mjs FILE
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [file] = process.argv.slice(2);
const hash = crypto.createHash('sha256');
try {
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  process.stdout.write(`${hash.digest('hex')}\n`);
} catch (error) {
  process.stderr.write(`sha256: ${error.message}\n`);
  process.exit(1);
}
