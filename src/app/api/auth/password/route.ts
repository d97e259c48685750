import { changePassword } from '@/server/domain/auth';
import { readJson } from '@/server/http/request';
import { noContent } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { changePasswordBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  await changePassword(db, actor, await readJson(req, changePasswordBody));
  return noContent();
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
