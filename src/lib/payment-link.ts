const CODE = /^[A-Za-z0-9_-]{8,64}$/;

/** The link a payee shares and the QR code holds: this app's /pay page for the code, which any phone opens. */
export function payPageUrl(origin: string, code: string): string {
  return `${origin}/pay?code=${encodeURIComponent(code)}`;
}

/**
 * A payment request's code as a person may paste it: the bare code, a `https://…/pay?code=…` link (what the QR
 * code holds), or the older `drop://pay?code=…` link.
 */
export function paymentCodeFrom(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  if (CODE.test(text)) return text;
  try {
    const url = new URL(text);
    const isPayPage = (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === '/pay';
    const isDropLink = url.protocol === 'drop:' && (url.host === 'pay' || url.pathname.replace(/^\/+/, '') === 'pay');
    if (!isPayPage && !isDropLink) return undefined;
    const code = url.searchParams.get('code') ?? '';
    return CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
