import { listSessions } from '@/server/domain/sessions';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const GET = route({ access: 'user' }, async ({ db, actor }) => {
  return json({ sessions: await listSessions(db.db, actor.userId, actor.sessionId) });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
