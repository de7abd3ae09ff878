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

/**
 * The defaults, here once: config/self-service-schema.ts writes them into the file's
 * schema, and code that builds the actions without a config section (tests, the CLI) gets
 * the same ones.
 */
export const DEFAULT_SELF_SERVICE_SETTINGS: SelfServiceSettings = Object.freeze({
  // Above a webhook's usual round trip (a few hundred ms), below a user's patience.
  answerMs: 1500,
  codeLifetime: '1d',
  // A user who mistyped twice gets a third; a script naming one user cannot spam their phone.
  requestsPerUserPerHour: 3,
});

/**
 * The bounds of the numeric settings, here once: the config schema enforces them on the
 * file (with its line), and the actions check them again for settings built in code.
 */
export const SELF_SERVICE_BOUNDS = Object.freeze({
  // A page held longer than 10 s looks broken; a provider slower than that is answered by its health.
  answerMs: Object.freeze({ minimum: 100, maximum: 10_000 }),
  requestsPerUserPerHour: Object.freeze({ minimum: 1, maximum: 100 }),
});

/** What is wrong with settings (for the web layer's config checks), or undefined. */
export function selfServiceSettingsProblem(settings: SelfServiceSettings): string | undefined {
  const outside = (value: number, { minimum, maximum }: { minimum: number; maximum: number }): boolean => !Number.isInteger(value) || value < minimum || value > maximum;
  const { answerMs, requestsPerUserPerHour } = SELF_SERVICE_BOUNDS;
  if (outside(settings.answerMs, answerMs)) return `answerMs must be a whole number of milliseconds from ${answerMs.minimum} to ${answerMs.maximum}`;
  if (outside(settings.requestsPerUserPerHour, requestsPerUserPerHour)) return `requestsPerUserPerHour must be ${requestsPerUserPerHour.minimum} to ${requestsPerUserPerHour.maximum}`;
  const lifetime = lifetimeProblem('online-authcode', settings.codeLifetime);
  return lifetime === undefined ? undefined : `codeLifetime: ${lifetime}`;
}
