import { randomBytes } from 'node:crypto';
import { encodeBase32 } from '../credentials/otp/base32.js';
import { otpauthUri } from '../credentials/otp/otpauth-uri.js';
import { decodeTokenSecret, periodProblem } from '../credentials/otp/token-rules.js';
import type { TokenRecord } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';
import { AdminError } from './admin-error.js';
import type { TokenAssignment } from './credential-service-types.js';

const invalid = (message: string): AdminError => new AdminError('RADGATE_ADMIN_INVALID_INPUT', message);

/**
 * A new token record (its secret sealed) and its enrolment URI, checked, not yet stored:
 * for `token assign` and a self-service registration alike.
 */
export function newToken(user: string, assignment: TokenAssignment, options: { readonly keyring: Keyring; readonly tokenIssuer: string; readonly now: number }): { token: TokenRecord; uri: string } {
  const { keyring, tokenIssuer, now } = options;
  const type = assignment.type ?? 'totp';
  const digits = assignment.digits ?? 6;
  const period = assignment.period ?? 30;
  const algorithm = assignment.algorithm ?? 'sha1';
  if (digits !== 6 && digits !== 8) throw invalid('a token has 6 or 8 digits');
  const badPeriod = periodProblem(period);
  if (badPeriod !== undefined) throw invalid(badPeriod);
  if (assignment.expiresAt !== undefined && assignment.expiresAt.getTime() <= now) throw invalid('the token expiry date is in the past');
  const secret = assignment.secret === undefined ? randomBytes(20) : decodeTokenSecret(assignment.secret);
  if (!Buffer.isBuffer(secret)) throw invalid(secret.problem);
  const serial = randomBytes(5).toString('hex').toUpperCase();
  const token: TokenRecord = {
    type,
    serial,
    encryptedSecret: keyring.encryptTokenSecret(user, secret),
    digits,
    period,
    algorithm,
    state: 'active',
    expiresAt: assignment.expiresAt?.getTime() ?? 0,
    lastStep: -1,
    assignedAt: now,
  };
  const uri = otpauthUri({ type, issuer: tokenIssuer, account: user, secret: encodeBase32(secret), digits, algorithm, period, counter: 0 });
  return { token, uri };
}
