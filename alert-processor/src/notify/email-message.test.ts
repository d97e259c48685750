import { describe, expect, it } from 'vitest';
import { buildEmail } from './email-message';
import type { LifecycleAlert, SpikeAlert } from '../rules/rules';

const AT = Date.parse('2026-03-01T12:34:56.789Z');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const links = {
  sentryIssuesUrl: 'https://acme.sentry.io/issues/?project=7',
  traceUrlTemplate: 'http://localhost:16686/trace/{traceId}',
  runbookUrl: 'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md',
};
const critical = (service = 'drop', description = 'POST /api/transfers (Error)'): SpikeAlert => ({
  type: 'error_spike',
  service,
  atMs: AT,
  inWindow: 6,
  threshold: 5,
  windowMs: 60_000,
  spike: {
    service,
    status: 'open',
    openedAtMs: AT,
    notified: false,
    suppressed: false,
    failingRequests: 6,
    peakInWindow: 6,
    sampleTraceId: TRACE_ID,
    sampleDescription: description,
    belowSinceMs: null,
    resolvedAtMs: null,
    lastFailureMs: null,
  },
});

describe('alert email', () => {
  it('subject, plain text and HTML with the trace, Sentry and runbook links', () => {
    const email = buildEmail([critical()], links);
    expect(email.subject).toBe('🚨 [CRITICAL] drop: error spike');
    expect(email.text).toContain('drop: error spike — 6 failing requests in the last 1m (alert above 5).');
    expect(email.text).toContain(`Trace ${TRACE_ID}: http://localhost:16686/trace/${TRACE_ID}`);
    expect(email.text).toContain('Runbook: https://git.example.com/drop/blob/main/docs/RUNBOOKS.md#error-spike');
    expect(email.html).toContain(`<a href="http://localhost:16686/trace/${TRACE_ID}">${TRACE_ID}</a>`);
    expect(email.html).toContain('<a href="https://acme.sentry.io/issues/?project=7">Sentry issues</a>');
  });

  it('telemetry is text: HTML escaped, URLs defanged, secrets redacted; the subject is one line', () => {
    const evil = '<img src=x onerror=alert(1)> "quoted" https://evil.test/x ?token=s3cr3t\r\nBcc: victim@evil.test';
    const started: LifecycleAlert = {
      type: 'app.started',
      service: `drop\r\nBcc: x@evil.test`,
      atMs: AT,
      event: { kind: 'lifecycle', event: 'app.started', service: 'drop', timeMs: AT, version: evil },
    };
    for (const email of [buildEmail([critical('drop', evil)], links), buildEmail([started], links)]) {
      expect(email.html).not.toContain('<img');
      expect(email.html).not.toContain('https://evil');
      expect(`${email.text}${email.html}${email.subject}`).not.toContain('s3cr3t');
      expect(email.subject).not.toMatch(/[\r\n]/);
      for (const [, href] of email.html.matchAll(/href="([^"]*)"/g))
        expect(href).toMatch(/^(http:\/\/localhost:16686|https:\/\/acme\.sentry\.io|https:\/\/git\.example\.com)\//);
    }
    expect(buildEmail([critical('drop', evil)], links).html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
  });

  it('a group: the count and the services in the subject, each alert in the body', () => {
    const email = buildEmail([critical('drop'), critical('drop-backup')], links);
    expect(email.subject).toBe('🚨 [CRITICAL] 2 alerts (error_spike): drop, drop-backup');
    expect(email.text.match(/error spike —/g)).toHaveLength(2);
  });
});
