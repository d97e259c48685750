import type { NextRequest, NextResponse } from 'next/server';
import { serverConfig } from '../config';
import type { Session } from '../db/schema';
import type { Executor } from '../db/transaction';
import { signSessionToken, verifySessionToken } from '../auth/jwt';
import { findActiveSession } from '../domain/sessions';
import type { Actor } from '../domain/context';
import type { User } from '../db/schema';
import { requestContext } from './request';

export const SESSION_COOKIE = 'drop_session';

export async function setSessionCookie(res: NextResponse, session: Session): Promise<void> {
  const token = await signSessionToken({ userId: session.user_id, sessionId: session.id }, session.expires_at);
  res.cookies.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: serverConfig().secureCookies,
    path: '/',
    expires: new Date(session.expires_at),
  });
}

export function clearSessionCookie(res: NextResponse): void {
  res.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: serverConfig().secureCookies, path: '/', maxAge: 0 });
}

/** The signed-in user behind a session token: valid JWT, and a live server-side session row. */
export async function userFromSessionToken(db: Executor, token: string | undefined): Promise<{ user: User; session: Session } | undefined> {
  if (!token) return undefined;
  const claims = await verifySessionToken(token);
  if (!claims) return undefined;
  return findActiveSession(db, claims.sessionId, claims.userId);
}

export async function authenticate(db: Executor, req: NextRequest): Promise<Actor | undefined> {
  const found = await userFromSessionToken(db, req.cookies.get(SESSION_COOKIE)?.value);
  if (!found) return undefined;
  return { ...requestContext(req), userId: found.user.id, sessionId: found.session.id, role: found.user.role };
}
