import type { ErrorEvent } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../redact';
import { scrubBreadcrumb, scrubEvent, scrubSpan } from './scrub';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl';
const CARD = '4111 1111 1111 1111';

describe('scrubEvent', () => {
  const event: ErrorEvent = {
    type: undefined,
    message: `failed for card ${CARD}`,
    user: { id: 'u-1', email: 'alice@drop.test', ip_address: '10.0.0.1', username: 'alice' },
    request: {
      url: 'https://drop.test/api/x?token=abc123&page=2',
      method: 'POST',
      query_string: 'password=hunter2hunter2&page=2',
      cookies: { drop_session: JWT },
      data: { password: 'hunter2hunter2' },
      headers: { authorization: `Bearer ${JWT}`, 'user-agent': 'test', 'x-csrf-token': 'csrf-value-77' },
    },
    exception: {
      values: [
        {
          type: 'Error',
          value: `token ${JWT} rejected`,
          stacktrace: { frames: [{ function: 'f', vars: { password: 'hunter2hunter2' } }] },
        },
      ],
    },
    extra: { documentNumber: 'X1234567', nested: { apiKey: 'k' }, note: `pay ${CARD}` },
    tags: { request_id: '0af7651916cd43dd8448eb211c80319c', card: '4111111111111111' },
    contexts: { trace: { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' } },
    breadcrumbs: [{ category: 'fetch', data: { url: '/api/x?password=p', authorization: 'x' }, message: `cookie ${JWT}` }],
  };

  it('masks secrets in messages, exceptions, request, extra, tags and breadcrumbs, and reduces the user to its id', () => {
    const out = scrubEvent(event);
    const text = JSON.stringify(out);
    for (const secret of [
      JWT,
      CARD,
      '4111111111111111',
      'hunter2hunter2',
      'abc123',
      'X1234567',
      'alice@drop.test',
      '10.0.0.1',
      'csrf-value-77',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(out.user).toEqual({ id: 'u-1' });
    expect(out.request?.cookies).toBeUndefined();
    expect(out.request?.data).toBeUndefined();
    expect(out.request?.headers).toEqual({ authorization: REDACTED, 'user-agent': 'test', 'x-csrf-token': REDACTED });
    expect(out.request?.url).toBe(`https://drop.test/api/x?token=${REDACTED}&page=2`);
    expect(out.request?.query_string).toBe(`password=${REDACTED}&page=2`);
    expect(out.exception?.values?.[0]?.value).toBe('token [REDACTED:jwt] rejected');
    expect(out.exception?.values?.[0]?.stacktrace?.frames?.[0]?.vars).toBeUndefined();
    expect(out.message).toBe('failed for card [REDACTED:card]');
    expect(out.tags?.request_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(out.contexts?.trace).toEqual(event.contexts?.trace);
  });

  it('leaves the input untouched', () => {
    const before = JSON.stringify(event);
    scrubEvent(event);
    expect(JSON.stringify(event)).toBe(before);
  });
});

describe('scrubBreadcrumb and scrubSpan', () => {
  it('masks breadcrumb messages and data', () => {
    expect(scrubBreadcrumb({ message: `card ${CARD}`, data: { url: '/x?token=t1', password: 'p' } })).toEqual({
      message: 'card [REDACTED:card]',
      data: { url: `/x?token=${REDACTED}`, password: REDACTED },
    });
  });

  it('masks span names and attributes the browser streams', () => {
    const span = scrubSpan({
      trace_id: 't',
      span_id: 's',
      name: 'GET /api/x?token=secret1',
      start_timestamp: 1,
      status: 'ok',
      is_segment: false,
      attributes: { 'url.full': 'https://drop.test/api/x?token=secret1', 'http.request.header.cookie': 'drop_session=1' },
    });
    expect(span.name).toBe(`GET /api/x?token=${REDACTED}`);
    expect(span.attributes).toEqual({ 'url.full': `https://drop.test/api/x?token=${REDACTED}`, 'http.request.header.cookie': REDACTED });
  });
});
