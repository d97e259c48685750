import { describe, expect, it } from 'vitest';
import { defang, escapeSlack, fromTelemetry } from './slack-text';

describe('text from telemetry for Slack', () => {
  it('escapes &, < and > (and only them)', () => {
    expect(escapeSlack('a & b <!channel> <@U1|x> *bold* `code`')).toBe('a &amp; b &lt;!channel&gt; &lt;@U1|x&gt; *bold* `code`');
  });

  it('defangs URLs of any scheme and host names, keeps versions, decimals and sentences', () => {
    expect(defang('see https://evil.test/a?b=c and ftp://x.org, mailto:ops@evil.com')).toBe(
      'see https[:]//evil[.]test/a?b=c and ftp[:]//x[.]org, mailto[:]ops@evil[.]com',
    );
    expect(defang('www.evil.com evil.co.uk/x')).toBe('www[.]evil[.]com evil[.]co[.]uk/x');
    expect(defang('version 1.2.3 took 0.5 s. Then it failed.')).toBe('version 1.2.3 took 0.5 s. Then it failed.');
  });

  it('redacts a token=… in free text (the shared policy, otel/redact.ts)', () => {
    expect(fromTelemetry('login failed: token=abc123secret for <@U1>')).toBe('login failed: token=[REDACTED] for &lt;@U1&gt;');
  });

  it('redacts with the shared policy before escaping: a token in a URL, a JWT, a card number', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
    expect(fromTelemetry(`GET /reset?token=abc&x=<y> ${jwt} 4111 1111 1111 1111`)).toBe(
      'GET /reset?token=[REDACTED]&amp;x=&lt;y&gt; [REDACTED:jwt] [REDACTED:card]',
    );
  });
});
