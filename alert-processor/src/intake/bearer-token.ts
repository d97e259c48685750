import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/**
 * Checks `Authorization: Bearer <token>` against a secret in constant time (the intake's ALERTS_INTAKE_TOKEN, the
 * silences API's ALERTS_API_TOKEN). Digests are compared, so the time taken says nothing about the secret's length
 * or how much of it a guess got right.
 */
export type BearerCheck = 'ok' | 'missing' | 'wrong';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function bearerChecker(secret: string): (req: http.IncomingMessage) => BearerCheck {
  const expected = digest(secret);
  return (req) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!presented) return 'missing';
    return timingSafeEqual(digest(presented), expected) ? 'ok' : 'wrong';
  };
}
