import QRCode from 'qrcode';
import { groupCode } from '../credentials/codes/alphabet.js';
import { html, type Html } from './html.js';

/**
 * A TOTP secret as an authenticator app takes it: a QR code rendered here, on the server
 * (a data: URL, so no script and no request carries the secret), and the key as text for
 * a phone that cannot scan. Shown once, in the response to the form that made it.
 */
export async function tokenQr(uri: string, alt: string): Promise<Html> {
  const qr = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
  const secret = new URL(uri).searchParams.get('secret') ?? '';
  return html`<img class="qr" src="${qr}" alt="${alt}">
<p class="hint">Cannot scan? Type this key in the app: <span class="key">${groupCode(secret)}</span></p>`;
}
