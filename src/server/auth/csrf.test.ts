import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../config';
import { isSameOrigin } from './csrf';

const headers = (h: Record<string, string>) => new Headers(h);
const settings = (env: Record<string, string>) => parseServerConfig(env).config;
const direct = settings({});

describe('isSameOrigin', () => {
  it('accepts an Origin naming the Host, and a request with neither Origin nor Referer', () => {
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'https://drop.example' }), direct)).toBe(true);
    expect(isSameOrigin(headers({ host: 'drop.example' }), direct)).toBe(true);
  });

  it('refuses another origin, an opaque one and garbage', () => {
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'https://evil.example' }), direct)).toBe(false);
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'null' }), direct)).toBe(false);
    expect(isSameOrigin(headers({ host: 'drop.example', referer: 'not a url' }), direct)).toBe(false);
  });

  it('ignores X-Forwarded-Host without a trusted proxy: the client may have sent it', () => {
    const config = settings({ TRUSTED_PROXY_COUNT: '' });
    const h = headers({ host: 'drop.example', 'x-forwarded-host': 'evil.example', origin: 'https://evil.example' });
    expect(isSameOrigin(h, config)).toBe(false);
  });

  it('behind one trusted proxy, accepts the host that proxy put last in X-Forwarded-Host, not one the client added', () => {
    const config = settings({ TRUSTED_PROXY_COUNT: '1' });
    expect(isSameOrigin(headers({ host: 'app:3000', 'x-forwarded-host': 'drop.example', origin: 'https://drop.example' }), config)).toBe(
      true,
    );
    const spoofed = headers({ host: 'app:3000', 'x-forwarded-host': 'evil.example, drop.example', origin: 'https://evil.example' });
    expect(isSameOrigin(spoofed, config)).toBe(false);
  });

  it('behind two trusted proxies, takes the second entry from the right (the outer proxy)', () => {
    const config = settings({ TRUSTED_PROXY_COUNT: '2' });
    const h = (origin: string) => headers({ host: 'app:3000', 'x-forwarded-host': 'evil.example, drop.example, lb.internal', origin });
    expect(isSameOrigin(h('https://drop.example'), config)).toBe(true);
    expect(isSameOrigin(h('https://evil.example'), config)).toBe(false);
  });

  it('behind two trusted proxies, ignores an X-Forwarded-Host list shorter than two (overwritten or bypassed)', () => {
    const config = settings({ TRUSTED_PROXY_COUNT: '2' });
    const h = headers({ host: 'app:3000', 'x-forwarded-host': 'drop.example', origin: 'https://drop.example' });
    expect(isSameOrigin(h, config)).toBe(false);
    expect(isSameOrigin(headers({ host: 'app:3000', 'x-forwarded-host': 'drop.example', origin: 'http://app:3000' }), config)).toBe(true);
  });

  it('always accepts APP_ORIGIN, whatever the Host', () => {
    const config = settings({ APP_ORIGIN: 'https://drop.example' });
    expect(isSameOrigin(headers({ host: 'localhost:3000', origin: 'https://drop.example' }), config)).toBe(true);
    expect(isSameOrigin(headers({ host: 'localhost:3000', origin: 'https://other.example' }), config)).toBe(false);
  });
});
