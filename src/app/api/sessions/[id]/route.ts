import { attemptRevokeSession } from '@/server/domain/sessions';
import { noContent } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { clearSessionCookie } from '@/server/http/session-cookie';
import { otherMethods } from '@/server/http/methods';

export const DELETE = route({ access: 'user', params: ['id'] }, async ({ db, actor, params }) => {
  await attemptRevokeSession(db.db, actor, params.id);
  const res = noContent();
  if (params.id === actor.sessionId) clearSessionCookie(res);
  return res;
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods({ DELETE });
