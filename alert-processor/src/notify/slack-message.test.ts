import { describe, expect, it } from 'vitest';
import { buildGroupMessage, buildSlackMessage, formatDuration, MAX_GROUP } from './slack-message';
import type { LifecycleAlert, SpikeAlert } from '../rules/rules';
import type { SpikeState } from '../store/state-store';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const links = {
  sentryIssuesUrl: 'https://acme.sentry.io/issues/?project=4242',
  traceUrlTemplate: 'http://localhost:16686/trace/{traceId}',
};
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLWJ5dGVz';
const AT = Date.parse('2026-03-01T12:34:56.789Z');

const spike = (overrides: Partial<SpikeState> = {}): SpikeState => ({
  service: 'drop',
  status: 'open',
  openedAtMs: AT - 5_000,
  notified: false,
  suppressed: false,
  failingRequests: 9,
  peakInWindow: 7,
  sampleTraceId: TRACE_ID,
  sampleDescription: 'POST /api/admin/debug/error (DeliberateError)',
  belowSinceMs: null,
  resolvedAtMs: null,
  lastFailureMs: null,
  ...overrides,
});

const critical = (overrides: Partial<SpikeState> = {}): SpikeAlert => ({
  type: 'error_spike',
  service: 'drop',
  atMs: AT,
  inWindow: 6,
  threshold: 5,
  windowMs: 60_000,
  spike: spike(overrides),
});

const texts = (value: unknown): string => JSON.stringify(value);

describe('Slack message', () => {
  it('critical: emoji, severity, what, ISO time, counts, Sentry and trace links — in blocks and in the fallback text', () => {
    const message = buildSlackMessage(critical(), links);
    expect(message.text.split('\n')[0]).toBe('🚨 CRITICAL: drop: error spike — 6 failing requests in the last 1m (alert above 5).');
    expect(message.text).toContain('Time: 2026-03-01T12:34:56.789Z');
    expect(message.text).toContain('Failing requests: 6 in 1m (threshold 5)');
    expect(message.text).toContain(`Sentry: ${links.sentryIssuesUrl}`);
    expect(message.text).toContain(`Trace ${TRACE_ID}: http://localhost:16686/trace/${TRACE_ID}`);

    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🚨 CRITICAL: drop: error spike', emoji: true },
    });
    const fields = (message.blocks[2] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toContain('*Time (UTC)*\n2026-03-01T12:34:56.789Z');
    expect(fields).toContain('*Failing requests*\n6 in 1m (threshold 5)');
    const actions = message.blocks.find((b) => b.type === 'actions') as { elements: { url: string }[] };
    expect(actions.elements.map((e) => e.url)).toEqual([links.sentryIssuesUrl, `http://localhost:16686/trace/${TRACE_ID}`]);
  });

  it('resolved: totals of the spike and how long it lasted', () => {
    const message = buildSlackMessage(
      { ...critical({ status: 'resolved', resolvedAtMs: AT + 95_000 }), type: 'error_spike_resolved', atMs: AT + 95_000, inWindow: 0 },
      links,
    );
    expect(message.text.split('\n')[0]).toBe(
      '✅ RESOLVED: drop: error spike over — At most 5 failing requests per 1m for a full window. The spike lasted 1m 40s.',
    );
    expect(message.text).toContain('Failing requests: 9 during the spike (peak 7 in 1m)');
  });

  it('lifecycle: info for started, warning for stopping, no trace link', () => {
    const alert = (type: 'app.started' | 'app.stopping'): LifecycleAlert => ({
      type,
      service: 'drop',
      atMs: AT,
      event: { kind: 'lifecycle', event: type, service: 'drop', timeMs: AT - 10, version: '1.2.3', environment: 'production' },
    });
    const started = buildSlackMessage(alert('app.started'), links);
    expect(started.text.split('\n')[0]).toBe('ℹ️ INFO: drop started — drop started (version 1.2.3, environment production).');
    const stopping = buildSlackMessage(alert('app.stopping'), links);
    expect(stopping.text.split('\n')[0]).toMatch(/^⚠️ WARNING: drop is stopping — /);
    expect(texts(stopping)).not.toContain('16686');
    expect(stopping.text).toContain(`Sentry: ${links.sentryIssuesUrl}`);
  });

  it('without links configured there are no link lines and no buttons', () => {
    const message = buildSlackMessage(critical(), {});
    expect(message.text).not.toMatch(/Sentry:|Trace /);
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);
  });

  it('passes everything through the shared redaction: tokens and card numbers in a description are masked', () => {
    const message = buildSlackMessage(
      critical({ sampleDescription: `login failed for 4111 1111 1111 1111 with ${JWT} ?token=abc` }),
      links,
    );
    const all = texts(message);
    expect(all).not.toContain('4111 1111 1111 1111');
    expect(all).not.toContain(JWT);
    expect(all).not.toContain('token=abc');
    expect(all).toContain('[REDACTED:card]');
    expect(all).toContain('[REDACTED:jwt]');
    // The trace id, 32 hex digits, is not mistaken for a secret.
    expect(all).toContain(TRACE_ID);
  });

  it('escapes mrkdwn control characters from the data', () => {
    const message = buildSlackMessage(critical({ sampleDescription: 'GET /a?<b>&c' }), links);
    const fields = (message.blocks[2] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toContain('*Example*\nGET /a?&lt;b&gt;&amp;c');
  });

  it('markup and links in every field from telemetry reach Slack as text: no mention, no link, in the fallback text, header and blocks', () => {
    const evil = (field: string) =>
      `${field} <!channel> <!here> <@U012ABC> <https://evil.test/deploy|Open runbook> https://evil.test/x www.evil.com evil.com/a ?token=s3cr3t & *bold*`;
    const started: LifecycleAlert = {
      type: 'app.started',
      service: evil('svc'),
      atMs: AT,
      event: { kind: 'lifecycle', event: 'app.started', service: evil('svc'), timeMs: AT, version: evil('ver'), environment: evil('env') },
    };
    const spikeAlert = { ...critical({ service: evil('svc'), sampleDescription: evil('desc') }), service: evil('svc') };
    for (const message of [
      buildSlackMessage(started, links),
      buildSlackMessage(spikeAlert, links),
      buildGroupMessage([spikeAlert, { ...spikeAlert, service: evil('svc2') }], links),
    ]) {
      const strings = JSON.stringify(message);
      for (const markup of [
        '<!channel>',
        '<!here>',
        '<@U012ABC>',
        '<https://evil',
        'https://evil',
        'www.evil.com',
        'evil.com/',
        's3cr3t',
      ]) {
        expect(strings).not.toContain(markup);
      }
      // Every `<…>` left is a link the processor built from the configuration.
      const links_ = [...strings.matchAll(/<([^>]*)>/g)].map((m) => m[1]!.split('|')[0]);
      for (const url of links_) expect(url).toMatch(/^http:\/\/localhost:16686\/trace\/[0-9a-f]{32}$/);
      // What was said is still readable: escaped and defanged, not dropped.
      expect(message.text).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;@U012ABC&gt;');
      expect(message.text).toContain('https[:]//evil[.]test/x');
      expect(message.text).toContain('www[.]evil[.]com');
      // And every button URL is a configured one.
      const buttons = message.blocks.flatMap((b) => (b.type === 'actions' ? (b as { elements: { url: string }[] }).elements : []));
      for (const button of buttons) expect([links.sentryIssuesUrl, `http://localhost:16686/trace/${TRACE_ID}`]).toContain(button.url);
    }
  });

  it('links a trace only for a well-formed trace id', () => {
    expect(texts(buildSlackMessage(critical({ sampleTraceId: '' }), links))).not.toContain('16686');
    expect(texts(buildSlackMessage(critical({ sampleTraceId: '../../admin' }), links))).not.toContain('16686');
  });

  it('formats durations for people', () => {
    expect([formatDuration(4_400), formatDuration(60_000), formatDuration(95_000), formatDuration(3_720_000)]).toEqual([
      '4s',
      '1m',
      '1m 35s',
      '1h 2m',
    ]);
  });

  it('a group: the count and the services in the header line, then each alert with its time, summary and trace link', () => {
    const other = '0af7651916cd43dd8448eb211c80319c';
    const alerts = [
      critical(),
      { ...critical({ sampleTraceId: other, service: 'drop-worker' }), service: 'drop-worker', inWindow: 9, atMs: AT + 2_000 },
    ];
    const message = buildGroupMessage(alerts, links);
    const lines = message.text.split('\n');
    expect(lines[0]).toBe('🚨 CRITICAL: error spike × 2 — drop, drop-worker');
    expect(lines[1]).toBe(
      `• drop: error spike (2026-03-01T12:34:56.789Z) — 6 failing requests in the last 1m (alert above 5). Trace: http://localhost:16686/trace/${TRACE_ID}`,
    );
    expect(lines[2]).toMatch(
      /^• drop-worker: error spike \(2026-03-01T12:34:58\.789Z\) — 9 failing requests .* Trace: http:\/\/localhost:16686\/trace\/0af7/,
    );
    expect(lines.at(-1)).toBe(`Sentry: ${links.sentryIssuesUrl}`);
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🚨 CRITICAL: error spike × 2', emoji: true } });
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'actions']);
    expect(texts(message.blocks[3])).toContain(`<http://localhost:16686/trace/${other}|${other}>`);
  });

  it('a group of one is the ordinary message; a group stays within Slack’s limits and is redacted', () => {
    expect(buildGroupMessage([critical()], links)).toEqual(buildSlackMessage(critical(), links));
    const many = Array.from({ length: MAX_GROUP + 5 }, (_, i) => ({ ...critical(), service: i === 1 ? `svc-1 ${JWT}` : `svc-${i}` }));
    const message = buildGroupMessage(many, links);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.text.length).toBeLessThanOrEqual(3000);
    expect(message.text.split('\n')[0]).toMatch(/^🚨 CRITICAL: error spike × 25 — svc-0, svc-1/);
    expect(texts(message)).not.toContain(JWT);
    expect(texts(message)).toContain('svc-1 [REDACTED:jwt]');
  });
});
