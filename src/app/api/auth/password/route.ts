import { changePassword } from '@/server/domain/auth';
import { readJson } from '@/server/http/request';
import { noContent } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { changePasswordBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';
import { setSessionCookie } from '@/server/http/session-cookie';

/** 204 with a new session cookie: the session that changed the password is rotated, every other one revoked. */
export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  const { session } = await changePassword(db, actor, await readJson(req, changePasswordBody));
  const res = noContent();
  await setSessionCookie(res, session);
  return res;
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
