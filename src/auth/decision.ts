import { kindFromWire, type RecordKind } from '../store/records.js';

/** How a user got in: a token, a stored code, or an offline authorization code (challenge). */
export type Method = 'token' | RecordKind | 'offline-authcode';

/** decide.lua's short name for an offline authorization code. */
const OFFLINE_AUTHCODE_WIRE = 'OF';

/** The outcome of one authentication, as stored for retransmissions and as audited. */
export type AuthenticationOutcome =
  | { readonly result: 'accept'; readonly method: Method; readonly codeId: string | undefined }
  | { readonly result: 'challenge'; readonly requestCode: string; readonly state: Buffer }
  | { readonly result: 'reject'; readonly reason: string; readonly lockedNow: boolean };

/** Parses decide.lua's `A|method|code id`, `C|request code|state hex` and `R|reason[|locked]`. */
export function parseDecision(stored: string): AuthenticationOutcome {
  const [verdict, detail = '', extra = ''] = stored.split('|');
  if (verdict === 'A') {
    const method: Method = detail === 'token' ? 'token' : detail === OFFLINE_AUTHCODE_WIRE ? 'offline-authcode' : (kindFromWire(detail) ?? 'token');
    return { result: 'accept', method, codeId: extra === '' ? undefined : extra };
  }
  if (verdict === 'C') return { result: 'challenge', requestCode: detail, state: Buffer.from(extra, 'hex') };
  return { result: 'reject', reason: detail === '' ? 'rejected' : detail, lockedNow: extra === 'locked' };
}
