import { isAuthenticAuditRow, toAuditEntryView, NDJSON_CONTENT_TYPE, auditNdjsonStream, listAuditEntries, revealAuditRows } from '@audit';
import { getAuditKeyring, getAuditMacKeys } from '@/server/auth/audit-keys';
import { auditFilters, auditListParams } from '@/server/http/audit-params';
import { parseWith, queryObject } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

const DEFAULT_LIMIT = 50;

export const GET = route({ access: 'admin' }, async ({ req, db }) => {
  const params = parseWith(auditListParams, queryObject(req.nextUrl.searchParams, ['action']));
  const filters = auditFilters(params);
  const keyring = getAuditKeyring();
  const macKeys = getAuditMacKeys();
  if (params.format === 'ndjson') {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return new Response(
      auditNdjsonStream(db.db, filters, (rows) => revealAuditRows(db.db, keyring, rows), macKeys),
      {
        headers: {
          'Content-Type': NDJSON_CONTENT_TYPE,
          'Content-Disposition': `attachment; filename="drop-audit-${stamp}.ndjson"`,
          'Cache-Control': 'no-store',
        },
      },
    );
  }
  const page = await listAuditEntries(db.db, filters, { limit: params.limit ?? DEFAULT_LIMIT, cursor: params.cursor });
  // Judged on the stored rows: the hash covers the encrypted fields, not the revealed ones.
  const authentic = page.entries.map((row) => isAuthenticAuditRow(macKeys, row));
  const entries = await revealAuditRows(db.db, keyring, page.entries);
  return json(
    { entries: entries.map((row, i) => toAuditEntryView(row, authentic[i])), nextCursor: page.nextCursor, prevCursor: page.prevCursor },
    200,
    {
      'Cache-Control': 'no-store',
    },
  );
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
