import { describe, expect, it } from 'vitest';
import { publicOrigin } from './public-origin';

const headers = (values: Record<string, string>) => new Headers(values);

describe('publicOrigin', () => {
  it('is APP_ORIGIN when set, whatever the request says', () => {
    const config = { appOrigin: 'https://drop.example.com', trustedProxyCount: 0 };
    expect(publicOrigin(headers({ host: 'evil.test', 'x-forwarded-host': 'evil.test' }), config)).toBe('https://drop.example.com');
  });

  it("is the request's host over http without proxies, ignoring forwarded headers (the client's own claim)", () => {
    const config = { appOrigin: undefined, trustedProxyCount: 0 };
    expect(publicOrigin(headers({ host: '127.0.0.1:3000' }), config)).toBe('http://127.0.0.1:3000');
    expect(publicOrigin(headers({ host: 'Drop.Test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https' }), config)).toBe(
      'http://drop.test',
    );
  });

  it("takes the outermost trusted proxy's host and scheme", () => {
    const config = { appOrigin: undefined, trustedProxyCount: 1 };
    const behindProxy = headers({ host: 'app:3000', 'x-forwarded-host': 'evil.test, pay.drop.test', 'x-forwarded-proto': 'https' });
    expect(publicOrigin(behindProxy, config)).toBe('https://pay.drop.test');
    expect(publicOrigin(headers({ host: 'app:3000', 'x-forwarded-proto': 'https' }), config)).toBe('https://app:3000');
    expect(
      publicOrigin(headers({ host: 'app:3000', 'x-forwarded-host': 'pay.drop.test', 'x-forwarded-proto': 'gopher' }), config),
    ).toBeUndefined();
  });

  it('refuses a host that is not a plain host and port', () => {
    const config = { appOrigin: undefined, trustedProxyCount: 0 };
    for (const host of ['evil.test/path', 'a@b', 'x y', 'evil.test\\@good'])
      expect(publicOrigin(headers({ host }), config)).toBeUndefined();
    expect(publicOrigin(headers({ host: '[::1]:3000' }), config)).toBe('http://[::1]:3000');
  });
});
