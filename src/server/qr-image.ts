import QRCode from 'qrcode';

/**
 * The QR code of a payment URI as an SVG data: URL, for an <img> (the pages' CSP allows data: images). Medium
 * error correction: it still scans from a phone screen with glare or a scratch.
 */
export async function qrCodeDataUrl(payload: string): Promise<string> {
  const svg = await QRCode.toString(payload, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 2,
    color: { dark: '#1d2433', light: '#ffffff' },
  });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}
