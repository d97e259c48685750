import { attemptSubmitKyc } from '@/server/domain/kyc';
import { readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { kycBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  const input = await readJson(req, kycBody);
  const { status } = await attemptSubmitKyc(db.db, actor, input);
  return json({ status }, 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
