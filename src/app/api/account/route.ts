import { getBalance } from '@/server/domain/money';
import { findUserById, toPublicUser } from '@/server/domain/users';
import { unauthenticated } from '@/server/http/errors';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const GET = route({ access: 'user' }, async ({ db, actor }) => {
  const user = await findUserById(db.db, actor.userId);
  if (!user) throw unauthenticated();
  return json({ user: toPublicUser(user), balanceCents: await getBalance(db.db, actor.userId) });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
