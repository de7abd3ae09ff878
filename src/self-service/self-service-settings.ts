import { lifetimeProblem } from '../credentials/codes/lifetime-bounds.js';

/**
 * How the actions behind the self-service pages behave (issue 18). The web layer maps the
 * `self_service` section of the config onto this; every field has a default.
 */
export interface SelfServiceSettings {
  /**
   * Every code request is answered this long after it arrived, whoever the name is, so the
   * time tells nothing (README "Self-service"); the SMS goes out in the background.
   */
  readonly answerMs: number;
  /** Lifetime of a self-service code: an authorization code's bounds, 1 to 31 days or 1month. */
  readonly codeLifetime: string;
  /** Code requests one name may make per hour, across every gateway instance (counted in Redis). */
  readonly requestsPerUserPerHour: number;
}

export const DEFAULT_SELF_SERVICE_SETTINGS: SelfServiceSettings = Object.freeze({
  // Above a webhook's usual round trip (a few hundred ms), below a user's patience.
  answerMs: 1500,
  codeLifetime: '1d',
  // A user who mistyped twice gets a third; a script naming one user cannot spam their phone.
  requestsPerUserPerHour: 3,
});

/** What is wrong with settings (for the web layer's config checks), or undefined. */
export function selfServiceSettingsProblem(settings: SelfServiceSettings): string | undefined {
  if (!Number.isInteger(settings.answerMs) || settings.answerMs < 100 || settings.answerMs > 30_000) return 'answerMs must be a whole number of milliseconds from 100 to 30000';
  if (!Number.isInteger(settings.requestsPerUserPerHour) || settings.requestsPerUserPerHour < 1 || settings.requestsPerUserPerHour > 100) return 'requestsPerUserPerHour must be 1 to 100';
  const lifetime = lifetimeProblem('online-authcode', settings.codeLifetime);
  return lifetime === undefined ? undefined : `codeLifetime: ${lifetime}`;
}
