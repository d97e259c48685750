import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * Reads a request body with a size limit that holds twice: on the bytes received, checked while they stream in
 * (a Content-Length over the limit is refused before any byte is read), and on the decompressed size of a gzip
 * body, checked by zlib while it inflates, so a small gzip bomb stops at the limit instead of filling memory.
 */

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const gunzip = promisify(zlib.gunzip) as (buffer: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

function tooLarge(maxBytes: number, what: string): BodyError {
  return new BodyError(413, 'payload_too_large', `${what} is larger than ${maxBytes} bytes`);
}

function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes, 'the request body'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        reject(tooLarge(maxBytes, 'the request body'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new BodyError(400, 'body_unreadable', `the request body could not be read: ${error.message}`));
    };
    const onAborted = () => onError(new Error('the client went away'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** The body, decompressed: gzip (what the collector sends) or none. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'identity') {
    throw new BodyError(415, 'unsupported_encoding', `content-encoding ${encoding} is not supported (use gzip or none)`);
  }
  const raw = await readRaw(req, maxBytes);
  if (encoding === 'identity') return raw;
  try {
    return await gunzip(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes, 'the decompressed request body');
    throw new BodyError(400, 'malformed_gzip', `the gzip body could not be decompressed: ${(error as Error).message}`);
  }
}
