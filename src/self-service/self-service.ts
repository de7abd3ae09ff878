/**
 * What the self-service pages ask of the gateway's store (issue 18; SPEC "People who are
 * not admins"): three actions a user takes with no operator account, each audited as a
 * self-service action. The web layer (src/self-service/web/) only renders these answers;
 * every rule (rate limits per user, PIN policy, lockout, code consumption, the same answer
 * for unknown users) is enforced behind this interface, in one place.
 */

/** Who is asking, as far as the web layer knows: for the audit stream and per-source limits. */
export interface SelfServiceRequest {
  /** The client's address (after the console's trusted-proxy rules, if any). */
  readonly source: string;
}

/**
 * The answer to "send me a code". It never depends on whether the user exists or has a
 * mobile number on record: an unknown name, a user without a number and a real user get
 * the same answer, after the same time (see SelfService.requestCode).
 * - `sent`: a code is on its way if the name has a number on record.
 * - `could-not-send`: the SMS provider is failing; try later or call the helpdesk.
 * - `rate-limited`: too many requests for this name (the per-user limit, kept in Redis so
 *   that it holds across gateway instances); the per-source limit is the web layer's.
 */
export type CodeRequestAnswer = 'sent' | 'could-not-send' | 'rate-limited';

/** Why a PIN reset or a token registration was refused, as the page may say it. */
export type SelfServiceRefusal =
  /** Unknown user, wrong or used code, wrong PIN, locked or disabled user: one answer for all. */
  | { readonly why: 'refused' }
  /** The new PIN breaks the PIN policy; the message says how (it names no user state). */
  | { readonly why: 'pin-policy'; readonly message: string }
  /** The two new PINs typed differ. */
  | { readonly why: 'pin-mismatch' }
  /** The store is unavailable: nothing was changed, try again. */
  | { readonly why: 'unavailable' };

export type PinResetResult = { readonly ok: true } | ({ readonly ok: false } & SelfServiceRefusal);

/** A new TOTP token: its otpauth:// URI is shown once, as text and as a QR code. */
export type TokenRegistrationResult = { readonly ok: true; readonly serial: string; readonly uri: string } | ({ readonly ok: false } & SelfServiceRefusal);

export interface SelfService {
  /**
   * Issues an online authorization code (same kind, length and lifetime rules as one the
   * helpdesk issues; single use) and sends it by SMS to the number on record. Resolves no
   * earlier than the configured answer time after the call, whoever the name belongs to,
   * and no later than it plus a little: a provider that hangs is given up on in the
   * background, never by holding the page.
   */
  requestCode(user: string, request: SelfServiceRequest): Promise<CodeRequestAnswer>;

  /**
   * Sets a new PIN with an online authorization code: the code is consumed atomically
   * (single use, everywhere); a wrong code counts toward the user's lockout.
   */
  resetPin(user: string, code: string, newPin: string, newPinAgain: string, request: SelfServiceRequest): Promise<PinResetResult>;

  /**
   * Assigns a new TOTP token with an online authorization code and the PIN: the old token
   * stops working; the code is consumed; a wrong code or PIN counts toward the lockout.
   */
  registerToken(user: string, code: string, pin: string, request: SelfServiceRequest): Promise<TokenRegistrationResult>;
}
