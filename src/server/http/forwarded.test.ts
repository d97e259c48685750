import { describe, expect, it } from 'vitest';
import { clientIp } from './request';
import { MAX_IP_LENGTH, trustedForwardedEntry, validIp } from './forwarded';

const xff = (value?: string) => new Headers(value === undefined ? {} : { 'x-forwarded-for': value });

describe('clientIp', () => {
  describe('with no trusted proxy (TRUSTED_PROXY_COUNT=0)', () => {
    it('takes the rightmost entry: the socket address Next adds, or the client’s own claim', () => {
      expect(clientIp(xff('203.0.113.7'), 0)).toBe('203.0.113.7');
      expect(clientIp(xff('198.51.100.1, 203.0.113.7'), 0)).toBe('203.0.113.7');
      expect(clientIp(xff('2001:db8::1'), 0)).toBe('2001:db8::1');
    });

    it('gives an IPv4-mapped IPv6 address as IPv4', () => {
      expect(clientIp(xff('::ffff:127.0.0.1'), 0)).toBe('127.0.0.1');
      expect(clientIp(xff('::FFFF:192.0.2.1'), 0)).toBe('192.0.2.1');
    });

    it.each([
      ['text', 'not an address'],
      ['markup', '<script>alert(1)</script>'],
      ['an address with a port', '203.0.113.7:4431'],
      ['a bracketed IPv6 address', '[2001:db8::1]'],
      ['an IPv4 address with a leading zero', '010.0.0.1'],
      ['a control character', '203.0.113.7\u001b[31m'],
      ['16 KB of junk', 'x'.repeat(16 * 1024)],
    ])('answers null for %s', (_what, value) => {
      expect(clientIp(xff(value), 0)).toBeNull();
    });

    it('answers null without the header', () => {
      expect(clientIp(xff(), 0)).toBeNull();
      expect(clientIp(xff(' , '), 0)).toBeNull();
    });
  });

  describe('behind one trusted proxy that appends (TRUSTED_PROXY_COUNT=1)', () => {
    it('takes the entry the proxy appended, not a spoofed one to its left', () => {
      expect(clientIp(xff('203.0.113.7'), 1)).toBe('203.0.113.7');
      expect(clientIp(xff('192.0.2.66, 203.0.113.7'), 1)).toBe('203.0.113.7');
    });

    it('answers null when the proxy’s entry is not an address, whatever the client put to its left', () => {
      expect(clientIp(xff('192.0.2.66, junk'), 1)).toBeNull();
    });
  });

  describe('behind two trusted proxies (TRUSTED_PROXY_COUNT=2)', () => {
    it('takes the second entry from the right (what the outer proxy saw)', () => {
      expect(clientIp(xff('192.0.2.66, 203.0.113.7, 10.0.0.2'), 2)).toBe('203.0.113.7');
    });

    it('answers null for a list shorter than two (a proxy overwrote the header or was bypassed)', () => {
      expect(clientIp(xff('10.0.0.2'), 2)).toBeNull();
    });
  });
});

describe('trustedForwardedEntry', () => {
  it('is the N-th entry from the right, undefined for N = 0 or a list shorter than N', () => {
    expect(trustedForwardedEntry('a, b, c', 1)).toBe('c');
    expect(trustedForwardedEntry('a, b, c', 3)).toBe('a');
    expect(trustedForwardedEntry('a, b, c', 4)).toBeUndefined();
    expect(trustedForwardedEntry('a, b, c', 0)).toBeUndefined();
    expect(trustedForwardedEntry(null, 1)).toBeUndefined();
  });
});

describe('validIp', () => {
  it('bounds the length: nothing longer than the longest textual address', () => {
    const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255';
    expect(longest).toHaveLength(MAX_IP_LENGTH);
    expect(validIp(longest)).toBe(longest);
    expect(validIp(`fe80::1%${'a'.repeat(MAX_IP_LENGTH)}`)).toBeNull();
  });
});
