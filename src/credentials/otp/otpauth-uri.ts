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
  // encodeURIComponent, not URLSearchParams: form encoding writes a space as "+", which
  // authenticator apps show literally (the Key URI Format's own example uses %20).
  const query: [string, string][] = [
    ['secret', parameters.secret],
    ['issuer', parameters.issuer],
    ['algorithm', parameters.algorithm.toUpperCase()],
    ['digits', String(parameters.digits)],
    parameters.type === 'totp' ? ['period', String(parameters.period ?? 30)] : ['counter', String(parameters.counter ?? 0)],
  ];
  return `otpauth://${parameters.type}/${label}?${query.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`;
}
