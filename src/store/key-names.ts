/**
 * Redis key names. Every key of one user carries the same hash tag, `{user}`, so in a
 * Redis Cluster they live in one slot and a Lua script can touch them together.
 *
 * `{`, `}` and `%` in a user name are percent-encoded: a raw `}` would end the tag early
 * and an empty tag would make Cluster hash the whole key, splitting one user's keys over
 * several slots.
 */
export class KeyNames {
  constructor(readonly prefix: string = 'rg:') {}

  private static tag(user: string): string {
    return user.replace(/[%{}]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  }

  user(user: string): string {
    return `${this.prefix}user:{${KeyNames.tag(user)}}`;
  }

  codes(user: string): string {
    return `${this.prefix}codes:{${KeyNames.tag(user)}}`;
  }

  /** Pending request codes and challenge States of one user. */
  challenges(user: string): string {
    return `${this.prefix}chal:{${KeyNames.tag(user)}}`;
  }

  /** The decision taken for one request, for retransmissions (see decide.lua). */
  decision(user: string, fingerprint: string): string {
    return `${this.prefix}req:{${KeyNames.tag(user)}}:${fingerprint}`;
  }

  /**
   * The record an unknown user's login reads instead of its own (see StandInRecords).
   * `tag` puts it in a chosen Cluster slot.
   */
  standInUser(tag: string): string {
    return `${this.prefix}stand-in:{${tag}}`;
  }

  standInCodes(tag: string): string {
    return `${this.prefix}stand-in-codes:{${tag}}`;
  }

  /** Stream of admin actions (capped). */
  audit(): string {
    return `${this.prefix}audit`;
  }

  /** Sorted set of user names, for `user list`. Not per user: it has a slot of its own. */
  users(): string {
    return `${this.prefix}users`;
  }
}
