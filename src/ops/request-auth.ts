import { createHash, timingSafeEqual } from 'node:crypto';
import type { OpsConfig } from '../config/types.js';

/**
 * Checks the Authorization header of an ops request against `ops.credentials_file`:
 * `Basic` (RFC 7617) with the file's "user:password", or `Bearer` (RFC 6750 §2.1) with its
 * token. Both sides are hashed first so the comparison is constant-time whatever the
 * lengths (timingSafeEqual needs equal lengths, and comparing lengths first would tell a
 * prober how long the secret is). Nothing here logs or returns the credentials.
 */
export class RequestAuth {
  private readonly expected: Buffer | undefined;
  /** The WWW-Authenticate challenge of a 401 (RFC 7235 §4.1). */
  readonly challenge: string;

  constructor(private readonly config: Pick<OpsConfig, 'auth' | 'credentials'>) {
    this.expected = config.credentials === undefined ? undefined : digest(config.credentials);
    this.challenge = config.auth === 'basic' ? 'Basic realm="radgate", charset="UTF-8"' : 'Bearer realm="radgate"';
  }

  get required(): boolean {
    return this.config.auth !== 'none';
  }

  allows(header: string | undefined): boolean {
    if (!this.required) return true;
    if (header === undefined || this.expected === undefined) return false;
    const scheme = this.config.auth === 'basic' ? 'basic ' : 'bearer ';
    // RFC 7235 §2.1: the scheme is case-insensitive.
    if (header.slice(0, scheme.length).toLowerCase() !== scheme) return false;
    const presented = header.slice(scheme.length).trim();
    const bytes = this.config.auth === 'basic' ? Buffer.from(presented, 'base64') : Buffer.from(presented, 'utf8');
    return timingSafeEqual(digest(bytes), this.expected);
  }
}

function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}
