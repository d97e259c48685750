import { SignJWT, jwtVerify } from 'jose';
import { getAuthSecret } from './secret';

export interface SessionClaims {
  userId: string;
  sessionId: string;
}

const ISSUER = 'drop';
const AUDIENCE = 'drop-session';

export async function signSessionToken(claims: SessionClaims, expiresAtMs: number): Promise<string> {
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAtMs / 1000))
    .sign(getAuthSecret());
}

/** Returns the claims of a valid token, or null for anything else (alg none, bad signature, expired, malformed). */
export async function verifySessionToken(token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, getAuthSecret(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'sid', 'exp'],
    });
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
    return { userId: payload.sub, sessionId: payload.sid };
  } catch {
    return null;
  }
}
