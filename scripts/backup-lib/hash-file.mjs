// SHA-256 of a file, read in 4 MiB chunks with the next read already in flight while the current chunk is hashed.
// Node's OpenSSL uses the CPU's SHA instructions where present (~1.8 GB/s here, coreutils' sha256sum ~0.3 GB/s);
// the .sha256 files stay sha256sum-compatible.
import crypto from 'node:crypto';
import fs from 'node:fs';

const CHUNK = 4 * 1024 * 1024;

/** Resolves to the hex digest; onProgress(bytesHashed) after every chunk. */
export async function sha256File(file, onProgress = () => {}) {
  const handle = await fs.promises.open(file, 'r');
  try {
    const hash = crypto.createHash('sha256');
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let position = 0;
    let turn = 0;
    let pending = handle.read(buffers[turn], 0, CHUNK, position);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      position += bytesRead;
      turn ^= 1;
      pending = handle.read(buffers[turn], 0, CHUNK, position);
      hash.update(buffer.subarray(0, bytesRead));
      onProgress(position);
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** Errors that mean the disk (or the quota) is full: the scripts answer them with "no space", exit 2. */
export const isNoSpace = (error) => error?.code === 'ENOSPC' || error?.code === 'EDQUOT' || error?.code === 'EFBIG';

function noSpace(to, written, cause) {
  const error = new Error(`no space left to write ${to} (${written} bytes written${cause ? `: ${cause.code}` : ''})`);
  error.code = 'ENOSPC';
  return error;
}

/**
 * Writes all of `chunk` at `position`: a write may store fewer bytes than asked (a disk filling up), so it goes on
 * from where it stopped; a write that stores nothing is a full disk.
 */
export async function writeFully(handle, chunk, position, to) {
  let done = 0;
  while (done < chunk.length) {
    let bytesWritten;
    try {
      ({ bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done));
    } catch (error) {
      throw isNoSpace(error) ? noSpace(to, position + done, error) : error;
    }
    if (bytesWritten === 0) throw noSpace(to, position + done);
    done += bytesWritten;
  }
}

/** Copies FROM to TO (created, must not exist) and resolves to the SHA-256 of the bytes written, in one pass:
 *  the write of chunk n, the read of chunk n+1 and the hashing overlap. Every write is checked to the byte (a short
 *  write goes on, a full disk is an ENOSPC error), the copy is flushed (fsync) and its size checked against the
 *  bytes read. onProgress(bytesCopied) after every chunk. */
export async function copyAndSha256(from, to, onProgress = () => {}) {
  const input = await fs.promises.open(from, 'r');
  let output;
  try {
    output = await fs.promises.open(to, 'wx');
    const hash = crypto.createHash('sha256');
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let position = 0;
    let turn = 0;
    let writing = Promise.resolve();
    for (;;) {
      const { bytesRead, buffer } = await input.read(buffers[turn], 0, CHUNK, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await writing; // the other buffer is free again
      writing = writeFully(output, chunk, position, to);
      position += bytesRead;
      turn ^= 1;
      onProgress(position);
    }
    await writing;
    try {
      await output.sync();
    } catch (error) {
      throw isNoSpace(error) ? noSpace(to, position, error) : error;
    }
    const { size } = await output.stat();
    if (size !== position) throw new Error(`${to} holds ${size} bytes after writing ${position}`);
    return hash.digest('hex');
  } finally {
    await output?.close();
    await input.close();
  }
}
