import type { SelfServiceRefusal } from '../self-service.js';

/**
 * What a refused PIN reset or token registration says, and its status. `refused` is one
 * message whatever the cause (unknown user, wrong or used code, wrong PIN, locked), so the
 * page tells an attacker nothing about a user; `checked` names what the form asked for.
 */
export function refusalAnswer(refusal: SelfServiceRefusal, checked: string): { readonly status: number; readonly problem: string } {
  switch (refusal.why) {
    case 'refused':
      return { status: 400, problem: `That did not work. Check ${checked} and try again: a code works once, and only until it expires. Or request a new code.` };
    case 'pin-policy':
      return { status: 400, problem: refusal.message };
    case 'pin-mismatch':
      return { status: 400, problem: 'The two new PINs differ. Type the same PIN twice.' };
    case 'unavailable':
      return { status: 503, problem: 'The service is unavailable just now and nothing was changed. Try again in a moment.' };
  }
}
