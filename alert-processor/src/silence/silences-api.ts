import type http from 'node:http';
import { z } from 'zod';
import type { Logger } from '@otel';
import { bearerChecker } from '../intake/bearer-token';
import { sendError, sendJson } from '../intake/http-reply';
import { BodyError, readBody } from '../intake/read-body';
import { SEVERITY_OF, type AlertType } from '../rules/rules';
import { ALERT_TYPE_LABEL, LABELS, SEVERITY_LABEL } from './silence-matchers';
import type { Silence, Silences } from '../store/silence-store';
import type { Silencer } from './silencer';

/**
 * The silences API on the processor's HTTP server, behind `Authorization: Bearer <ALERTS_API_TOKEN>`:
 *
 *   POST   /api/silences       {matchers:[{name,value}], endsAt | durationMinutes, startsAt?, comment, createdBy?} → 201
 *   GET    /api/silences       the silences not yet expired (?state=all: also those expired in the last week), and
 *                              the mute windows from ALERT_MUTE_WINDOWS with whether each is active now
 *   GET    /api/silences/:id
 *   DELETE /api/silences/:id   ends the silence now (it stays listed as expired)
 *
 * Without ALERTS_API_TOKEN the API is off: every request gets 403 `silences_api_disabled`. Every error is JSON
 * `{"error":{"code","message"}}` with a 4xx status.
 */

export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_SILENCES = 1000;
export const MAX_DURATION_MS = 90 * 24 * 3600_000;
const PREFIX = '/api/silences';

// Resolutions are never muted (silence-matchers.ts): a matcher on them would mute nothing, so it is refused.
const ALERT_TYPES = (Object.keys(SEVERITY_OF) as AlertType[]).filter((type) => SEVERITY_OF[type] !== 'resolved');
const SEVERITIES = [...new Set(Object.values(SEVERITY_OF))].filter((severity) => severity !== 'resolved');

const matcherSchema = z.strictObject({
  name: z.enum(LABELS, { error: `name must be one of ${LABELS.join(', ')}` }),
  value: z.string().min(1).max(200),
});

const silenceSchema = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1, { error: 'give at least one matcher' }).max(10),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    durationMinutes: z
      .number()
      .int()
      .positive()
      .max(MAX_DURATION_MS / 60_000)
      .optional(),
    comment: z.string().trim().min(1, { error: 'say why (comment)' }).max(500),
    createdBy: z.string().trim().min(1).max(100).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.endsAt === undefined) === (body.durationMinutes === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'give exactly one of endsAt and durationMinutes' });
    }
    for (const [i, matcher] of body.matchers.entries()) {
      if (matcher.name === ALERT_TYPE_LABEL && !(ALERT_TYPES as string[]).includes(matcher.value)) {
        ctx.addIssue({
          code: 'custom',
          path: ['matchers', i, 'value'],
          message: `alert.type is one of ${ALERT_TYPES.join(', ')} (resolutions are never muted)`,
        });
      }
      if (matcher.name === SEVERITY_LABEL && !(SEVERITIES as string[]).includes(matcher.value)) {
        ctx.addIssue({
          code: 'custom',
          path: ['matchers', i, 'value'],
          message: `alert.severity is one of ${SEVERITIES.join(', ')} (resolutions are never muted)`,
        });
      }
    }
  });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function stateOf(silence: Silence, now: number): 'pending' | 'active' | 'expired' {
  if (silence.endsAtMs <= now) return 'expired';
  return silence.startsAtMs > now ? 'pending' : 'active';
}

export function silenceJson(silence: Silence, now: number) {
  return {
    id: silence.id,
    state: stateOf(silence, now),
    matchers: silence.matchers,
    startsAt: iso(silence.startsAtMs),
    endsAt: iso(silence.endsAtMs),
    comment: silence.comment,
    createdBy: silence.createdBy,
    createdAt: iso(silence.createdAtMs),
    silenced: silence.silenced,
    lastSilencedAt: iso(silence.lastSilencedAtMs),
  };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: http.OutgoingHttpHeaders = {},
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface SilencesApiOptions {
  /** undefined: the API is off. */
  token: string | undefined;
  store: Silences;
  silencer: Silencer;
  logger: Logger;
  now?: () => number;
}

export type SilencesApi = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => Promise<void>;

export const isSilencesPath = (path: string) => path === PREFIX || path.startsWith(`${PREFIX}/`);

export function createSilencesApi(options: SilencesApiOptions): SilencesApi {
  const { store, silencer, logger } = options;
  const now = options.now ?? Date.now;
  const check = options.token === undefined ? undefined : bearerChecker(options.token);

  const authorize = (req: http.IncomingMessage) => {
    if (!check) {
      throw new ApiError(
        403,
        'silences_api_disabled',
        'the silences API is disabled: set ALERTS_API_TOKEN on the alert processor to enable it',
      );
    }
    const verdict = check(req);
    if (verdict !== 'ok') {
      logger.warn(
        { 'url.path': req.url?.split('?')[0], reason: verdict === 'wrong' ? 'wrong token' : 'no bearer token' },
        'silences API: request refused',
      );
      throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <ALERTS_API_TOKEN>', {
        'www-authenticate': 'Bearer realm="alert-processor"',
      });
    }
  };

  const readJson = async (req: http.IncomingMessage): Promise<unknown> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'content-type must be application/json');
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyError) throw new ApiError(error.status, error.code, error.message);
      throw error;
    }
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
  };

  const create = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const parsed = silenceSchema.safeParse(await readJson(req));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
      throw new ApiError(
        400,
        'invalid_request',
        issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
        {},
        { issues },
      );
    }
    const body = parsed.data;
    const at = now();
    const startsAtMs = body.startsAt === undefined ? at : Math.max(at, Date.parse(body.startsAt));
    const endsAtMs = body.endsAt === undefined ? startsAtMs + body.durationMinutes! * 60_000 : Date.parse(body.endsAt);
    if (endsAtMs <= startsAtMs) throw new ApiError(400, 'invalid_request', 'endsAt must be after startsAt and in the future');
    if (endsAtMs - startsAtMs > MAX_DURATION_MS)
      throw new ApiError(400, 'invalid_request', `a silence lasts at most ${MAX_DURATION_MS / 86_400_000} days`);
    if ((await store.countUnexpired(at)) >= MAX_SILENCES) {
      throw new ApiError(
        409,
        'too_many_silences',
        `${MAX_SILENCES} silences are in place already: end some first (DELETE /api/silences/:id)`,
      );
    }
    const silence = await store.create(
      { matchers: body.matchers, startsAtMs, endsAtMs, comment: body.comment, createdBy: body.createdBy ?? null },
      at,
    );
    logger.info(
      {
        'event.name': 'alerts.silence_created',
        silence_id: silence.id,
        matchers: silence.matchers,
        starts_at: iso(startsAtMs),
        ends_at: iso(endsAtMs),
        created_by: silence.createdBy,
        comment: silence.comment,
      },
      'silence created',
    );
    sendJson(res, 201, { silence: silenceJson(silence, at) }, { location: `${PREFIX}/${silence.id}` });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    authorize(req);
    const at = now();
    if (path === PREFIX || path === `${PREFIX}/`) {
      if (req.method === 'POST') return create(req, res);
      if (req.method === 'GET') {
        const state = new URL(req.url ?? '/', 'http://x').searchParams.get('state') ?? 'current';
        if (state !== 'current' && state !== 'all') throw new ApiError(400, 'invalid_request', 'state is current (the default) or all');
        await store.purge(at);
        return sendJson(res, 200, {
          silences: (await store.list(at, state === 'all')).map((silence) => silenceJson(silence, at)),
          muteWindows: silencer.muteWindowStatus(at),
        });
      }
      throw new ApiError(405, 'method_not_allowed', 'use GET or POST', { allow: 'GET, POST' });
    }
    // Ids are UUIDs: nothing to percent-decode (and a broken escape must not become a URIError).
    const id = path.slice(PREFIX.length + 1);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new ApiError(404, 'not_found', 'no silence with this id');
    if (req.method === 'GET') {
      const silence = await store.get(id);
      if (!silence) throw new ApiError(404, 'not_found', 'no silence with this id');
      return sendJson(res, 200, { silence: silenceJson(silence, at) });
    }
    if (req.method === 'DELETE') {
      const silence = await store.expire(id, at);
      if (!silence) throw new ApiError(404, 'not_found', 'no silence with this id');
      logger.info({ 'event.name': 'alerts.silence_expired', silence_id: id, silenced: silence.silenced }, 'silence ended');
      return sendJson(res, 200, { silence: silenceJson(silence, at) });
    }
    throw new ApiError(405, 'method_not_allowed', 'use GET or DELETE', { allow: 'GET, DELETE' });
  };

  return async (req, res, path) => {
    try {
      await handle(req, res, path);
    } catch (caught) {
      let error: ApiError;
      if (caught instanceof ApiError) {
        error = caught;
      } else {
        // The one failure that is not the request's: the shared database (replicas) not answering.
        logger.error({ err: caught, 'url.path': path }, 'silences API: the silences could not be read or written');
        error = new ApiError(503, 'unavailable', 'the silences could not be read or written just now; try again', { 'retry-after': '5' });
      }
      // The rest of an oversized body is not read: answer and close the connection.
      if (error.status === 413) req.pause();
      sendError(
        res,
        error.status,
        error.code,
        error.message,
        { ...error.headers, ...(error.status === 413 ? { connection: 'close' } : {}) },
        error.details,
      );
    }
  };
}
