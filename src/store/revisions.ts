import { randomBytes } from 'node:crypto';

/**
 * Values for a user record's revision field (record-format.ts USER_FIELDS.revision) that
 * no other write has used, from any process: this process's random prefix and a counter,
 * so a unique revision costs no round trip.
 */
export class Revisions {
  private readonly prefix = randomBytes(9).toString('base64url');
  private counter = 0;

  next(): string {
    this.counter += 1;
    return `${this.prefix}.${this.counter.toString(36)}`;
  }
}
