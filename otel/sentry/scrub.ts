import type { Breadcrumb, Event, StreamedSpanJSON } from '@sentry/core';
import { isSensitiveKey, redact, redactAttribute, redactString, REDACTED } from '../redact';

/**
 * Sentry's `beforeSend`, `beforeSendTransaction`, `beforeBreadcrumb` and `beforeSendSpan`, for the server and the
 * browser alike: the shared redaction policy (otel/redact.ts) applied to everything an event carries. The SDKs
 * are also told not to collect bodies, cookies, local variables or user details in the first place (dataCollection;
 * the browser no query strings either); this is the second line, for what they do collect (the server request's
 * URL and query string) and what code passes in itself (messages, extra, tags).
 *
 * No Node-only import here: the browser bundle uses this file too.
 */

type Request = NonNullable<Event['request']>;

function scrubHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = isSensitiveKey(name) ? REDACTED : redactString(String(value));
  return out;
}

function scrubRequest(request: Request): Request {
  // Bodies and cookies never leave: not even redacted. The query string only with sensitive values masked.
  const { cookies: _cookies, data: _data, headers, url, query_string: query, ...rest } = request;
  const out: Request = { ...rest };
  if (headers) out.headers = scrubHeaders(headers);
  if (url) out.url = redactString(url);
  if (typeof query === 'string') out.query_string = redactString(query.startsWith('?') ? query : `?${query}`).replace(/^\?/, '');
  else if (query !== undefined) out.query_string = redact(query);
  return out;
}

function scrubExceptions(event: Event): void {
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = redactString(exception.value);
    for (const frame of exception.stacktrace?.frames ?? []) delete frame.vars;
  }
}

/** A scrubbed copy of an error or transaction event: the user is reduced to its id, never an email or address. */
export function scrubEvent<T extends Event>(event: T): T {
  const out: T = { ...event };
  if (out.request) out.request = scrubRequest(out.request);
  if (out.user) out.user = out.user.id !== undefined ? { id: out.user.id } : {};
  if (out.message) out.message = redactString(out.message);
  if (out.logentry) out.logentry = redact(out.logentry);
  if (out.transaction) out.transaction = redactString(out.transaction);
  if (out.extra) out.extra = redact(out.extra);
  if (out.contexts) out.contexts = redact(out.contexts);
  if (out.tags) out.tags = redact(out.tags);
  if (out.breadcrumbs) out.breadcrumbs = out.breadcrumbs.map(scrubBreadcrumb);
  if (out.spans) {
    out.spans = out.spans.map((span) => ({
      ...span,
      description: span.description === undefined ? undefined : redactString(span.description),
      data: redact(span.data),
    }));
  }
  scrubExceptions(out);
  return out;
}

export function scrubBreadcrumb(breadcrumb: Breadcrumb): Breadcrumb {
  const out: Breadcrumb = { ...breadcrumb };
  if (out.message) out.message = redactString(out.message);
  if (out.data) out.data = redact(out.data);
  return out;
}

/** Spans the browser SDK streams (pageload, navigation, fetch): names and attributes hold URLs. */
export function scrubSpan(span: StreamedSpanJSON): StreamedSpanJSON {
  const attributes: StreamedSpanJSON['attributes'] = {};
  for (const [key, value] of Object.entries(span.attributes ?? {})) {
    attributes[key] = redactAttribute(key, value) as StreamedSpanJSON['attributes'][string];
  }
  return { ...span, name: redactString(span.name), attributes };
}
