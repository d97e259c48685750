import { z } from 'zod';
import { CORRELATION, isTraceId } from '@otel';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, AUDIT_PAGE_MAX, decodeAuditCursor } from '@audit';

const HAS_ZONE = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/** ISO 8601 date or date-time; without a zone (what a datetime-local field sends) it is read as UTC. */
const isoInstant = z
  .union([z.iso.datetime({ offset: true, local: true }), z.iso.date()], {
    error: 'Use an ISO 8601 date or date-time, e.g. 2026-01-31T12:00:00Z',
  })
  .transform((text) => Date.parse(text.length === 10 || HAS_ZONE.test(text) ? text : `${text}Z`));

/** Query parameters of GET /api/admin/audit. `action` may repeat; the others are given at most once. */
export const auditListParams = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
    cursor: z.string().transform((text, ctx) => {
      const cursor = decodeAuditCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'Unknown cursor: use nextCursor or prevCursor from a previous page' });
      return cursor ?? z.NEVER;
    }),
    user_id: z.string().min(1).max(100),
    action: z.array(z.enum(AUDIT_ACTIONS)),
    outcome: z.enum(AUDIT_OUTCOMES),
    [CORRELATION.auditColumn]: z.string().refine(isTraceId, 'A request id is a trace id: 32 lowercase hex characters, not all zero'),
    from: isoInstant,
    to: isoInstant,
    format: z.enum(['json', 'ndjson']),
  })
  .partial()
  .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, { message: '`from` must not be after `to`', path: ['from'] })
  .refine((p) => p.format !== 'ndjson' || (p.limit === undefined && p.cursor === undefined), {
    message: 'limit and cursor apply to pages; the ndjson export streams every matching entry',
    path: ['format'],
  });

export type AuditListParams = z.output<typeof auditListParams>;

/** The filters part of the parameters, in the layer's terms. */
export function auditFilters(params: AuditListParams) {
  return {
    userId: params.user_id,
    actions: params.action,
    outcome: params.outcome,
    requestId: params[CORRELATION.auditColumn],
    from: params.from,
    to: params.to,
  };
}
