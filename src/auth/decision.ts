import { kindFromWire, type CodeKind } from '../store/records.js';

/** How a user got in. */
export type Method = 'token' | CodeKind;

/** The outcome of one authentication, as stored for retransmissions and as audited. */
export type AuthenticationOutcome =
  | { readonly result: 'accept'; readonly method: Method; readonly codeId: string | undefined }
  | { readonly result: 'reject'; readonly reason: string; readonly lockedNow: boolean };

/** Parses decide.lua's `A|method|code id` / `R|reason[|locked]`. */
export function parseDecision(stored: string): AuthenticationOutcome {
  const [verdict, detail = '', extra = ''] = stored.split('|');
  if (verdict === 'A') {
    const method: Method = detail === 'token' ? 'token' : (kindFromWire(detail) ?? 'token');
    return { result: 'accept', method, codeId: extra === '' ? undefined : extra };
  }
  return { result: 'reject', reason: detail === '' ? 'rejected' : detail, lockedNow: extra === 'locked' };
}
