import { METRIC_DROP_AUTH_LOGINS } from '@otel';
import { login } from '@/server/domain/auth';
import { counted } from '@/server/domain/business-metrics';
import { toPublicUser } from '@/server/domain/users';
import { readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { loginBody } from '@/server/http/schemas';
import { setSessionCookie } from '@/server/http/session-cookie';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'public' }, async ({ req, db, ctx, identify }) => {
  const input = await readJson(req, loginBody);
  const { user, session } = await counted(METRIC_DROP_AUTH_LOGINS, () => login(db, input, ctx));
  identify(user.id);
  const res = json({ user: toPublicUser(user) });
  await setSessionCookie(res, session);
  return res;
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
