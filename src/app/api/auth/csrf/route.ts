import { NextResponse } from 'next/server';
import { serverConfig } from '@/server/config';
import { CSRF_COOKIE, issueCsrfToken } from '@/server/auth/csrf';
import { answered } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

// answered(), not route(): the token is stateless, so a client gets one (and then a clear 503 for its request)
// while the database is away.
export const GET = answered(async () => {
  const csrfToken = issueCsrfToken();
  const res = NextResponse.json({ csrfToken });
  res.cookies.set(CSRF_COOKIE, csrfToken, { httpOnly: true, sameSite: 'lax', secure: serverConfig().secureCookies, path: '/' });
  res.headers.set('Cache-Control', 'no-store');
  return res;
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
