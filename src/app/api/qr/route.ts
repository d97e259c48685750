import { inTransaction } from '@/server/db/transaction';
import { createPaymentRequest } from '@/server/domain/qr';
import { readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { qrBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  const input = await readJson(req, qrBody);
  const { request, payload } = await inTransaction(db.db, (tx) => createPaymentRequest(tx, actor, input));
  return json({ code: request.code, payload, request }, 201);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
