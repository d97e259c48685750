/** A payment request's code as a person may paste it: the bare code, or the whole `drop://pay?code=…` link. */
export function paymentCodeFrom(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  if (/^[A-Za-z0-9_-]{8,64}$/.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.protocol !== 'drop:' || (url.host !== 'pay' && url.pathname.replace(/^\/+/, '') !== 'pay')) return undefined;
    const code = url.searchParams.get('code') ?? '';
    return /^[A-Za-z0-9_-]{8,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
