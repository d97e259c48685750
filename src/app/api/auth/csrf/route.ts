import { NextResponse } from 'next/server';
import { serverConfig } from '@/server/config';
import { CSRF_COOKIE, issueCsrfToken } from '@/server/auth/csrf';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const GET = route({ access: 'public' }, async () => {
  const csrfToken = issueCsrfToken();
  const res = NextResponse.json({ csrfToken });
  res.cookies.set(CSRF_COOKIE, csrfToken, { httpOnly: true, sameSite: 'lax', secure: serverConfig().secureCookies, path: '/' });
  res.headers.set('Cache-Control', 'no-store');
  return res;
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
