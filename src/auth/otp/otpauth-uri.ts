import type { OtpAlgorithm } from './hotp.js';

export interface OtpauthParameters {
  readonly type: 'totp' | 'hotp';
  readonly issuer: string;
  readonly account: string;
  /** Base32, as authenticator apps expect. */
  readonly secret: string;
  readonly digits: number;
  readonly algorithm: OtpAlgorithm;
  readonly period?: number;
  readonly counter?: number;
}

/** The Key URI Format that authenticator apps scan from a QR code (Google Authenticator wiki). */
export function otpauthUri(parameters: OtpauthParameters): string {
  const label = `${encodeURIComponent(parameters.issuer)}:${encodeURIComponent(parameters.account)}`;
  const query = new URLSearchParams({
    secret: parameters.secret,
    issuer: parameters.issuer,
    algorithm: parameters.algorithm.toUpperCase(),
    digits: String(parameters.digits),
  });
  if (parameters.type === 'totp') query.set('period', String(parameters.period ?? 30));
  else query.set('counter', String(parameters.counter ?? 0));
  return `otpauth://${parameters.type}/${label}?${query.toString()}`;
}
