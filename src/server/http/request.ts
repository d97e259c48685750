import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { serverConfig } from '../config';
import type { RequestContext } from '../domain/context';
import { HttpError } from './errors';
import { trustedForwardedEntry, validIp } from './forwarded';
import { peerAddress } from './peer-address';

export const MAX_JSON_BYTES = 16 * 1024;

export class ValidationError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super('The request is invalid');
    this.name = 'ValidationError';
  }
}

export function toValidationError(error: z.ZodError): ValidationError {
  return new ValidationError(error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw toValidationError(result.error);
  return result.data;
}

/**
 * The URL's query parameters as an object for a zod schema: names in `repeatable` always become arrays, any other
 * name given twice is a 400 (it is ambiguous which one counts).
 */
export function queryObject(params: URLSearchParams, repeatable: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    if (repeatable.includes(key)) out[key] = values;
    else if (values.length === 1) out[key] = values[0]!;
    else throw new ValidationError([{ path: key, message: `Give ${key} at most once` }]);
  }
  return out;
}

/** Reads a JSON body of bounded size and validates it; every failure is a 4xx with a clear code. */
export async function readJson<S extends z.ZodType>(req: NextRequest, schema: S): Promise<z.output<S>> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json');
  }
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  const text = await readAtMost(req, MAX_JSON_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError([{ path: '', message: 'Body is not valid JSON' }]);
  }
  return parseWith(schema, body);
}

const tooLarge = () => new HttpError(413, 'payload_too_large', `The body must be at most ${MAX_JSON_BYTES} bytes`);

/**
 * The body as UTF-8 text, read chunk by chunk and abandoned as soon as it passes `maxBytes`: a chunked body
 * declares no length, and reading it whole first would let one request fill the server's memory.
 */
async function readAtMost(req: NextRequest, maxBytes: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The caller's address, or null when it is not a valid IP address. With no trusted proxy (`proxies` 0) it is the
 * TCP peer's address and X-Forwarded-For is ignored (the client wrote it); behind N proxies that append to
 * X-Forwarded-For, the N-th entry from the right (what the outermost proxy saw). A process without the server hook
 * (unit tests) falls back to X-Forwarded-For's rightmost entry, which Next sets to the socket address when absent.
 */
export function clientIp(headers: Headers, proxies = serverConfig().trustedProxyCount): string | null {
  if (proxies === 0) {
    const peer = peerAddress(headers);
    if (peer !== undefined) return validIp(peer);
  }
  return validIp(trustedForwardedEntry(headers.get('x-forwarded-for'), Math.max(proxies, 1)));
}

export function requestContext(req: NextRequest): RequestContext {
  return { ip: clientIp(req.headers), userAgent: req.headers.get('user-agent') };
}
