import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSameOrigin } from './csrf';

const headers = (h: Record<string, string>) => new Headers(h);

describe('isSameOrigin', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('accepts an Origin naming the Host, and a request with neither Origin nor Referer', () => {
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'https://drop.example' }))).toBe(true);
    expect(isSameOrigin(headers({ host: 'drop.example' }))).toBe(true);
  });

  it('refuses another origin, an opaque one and garbage', () => {
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'https://evil.example' }))).toBe(false);
    expect(isSameOrigin(headers({ host: 'drop.example', origin: 'null' }))).toBe(false);
    expect(isSameOrigin(headers({ host: 'drop.example', referer: 'not a url' }))).toBe(false);
  });

  it('ignores X-Forwarded-Host without a trusted proxy: the client may have sent it', () => {
    vi.stubEnv('TRUSTED_PROXY_COUNT', '');
    const h = headers({ host: 'drop.example', 'x-forwarded-host': 'evil.example', origin: 'https://evil.example' });
    expect(isSameOrigin(h)).toBe(false);
  });

  it('behind one trusted proxy, accepts the host that proxy put last in X-Forwarded-Host, not one the client added', () => {
    vi.stubEnv('TRUSTED_PROXY_COUNT', '1');
    expect(isSameOrigin(headers({ host: 'app:3000', 'x-forwarded-host': 'drop.example', origin: 'https://drop.example' }))).toBe(true);
    const spoofed = headers({ host: 'app:3000', 'x-forwarded-host': 'evil.example, drop.example', origin: 'https://evil.example' });
    expect(isSameOrigin(spoofed)).toBe(false);
  });

  it('behind two trusted proxies, takes the second entry from the right (the outer proxy)', () => {
    vi.stubEnv('TRUSTED_PROXY_COUNT', '2');
    const h = (origin: string) => headers({ host: 'app:3000', 'x-forwarded-host': 'evil.example, drop.example, lb.internal', origin });
    expect(isSameOrigin(h('https://drop.example'))).toBe(true);
    expect(isSameOrigin(h('https://evil.example'))).toBe(false);
  });

  it('always accepts APP_ORIGIN, whatever the Host', () => {
    vi.stubEnv('APP_ORIGIN', 'https://drop.example');
    expect(isSameOrigin(headers({ host: 'localhost:3000', origin: 'https://drop.example' }))).toBe(true);
    expect(isSameOrigin(headers({ host: 'localhost:3000', origin: 'https://other.example' }))).toBe(false);
  });
});
