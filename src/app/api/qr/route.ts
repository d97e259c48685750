import { inTransaction } from '@/server/db/transaction';
import { payPageUrl } from '@/lib/payment-link';
import { createPaymentRequest } from '@/server/domain/qr';
import { publicOrigin } from '@/server/http/public-origin';
import { readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { qrBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  const input = await readJson(req, qrBody);
  const { request, payload } = await inTransaction(db.db, (tx) => createPaymentRequest(tx, actor, input));
  const origin = publicOrigin(req.headers);
  // `payUrl`: the https link to this app's /pay page (what the QR code holds); `payload`: the drop:// link, as before.
  return json({ code: request.code, payload, payUrl: origin ? payPageUrl(origin, request.code) : null, request }, 201);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
