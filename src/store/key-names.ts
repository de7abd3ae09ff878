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

  private tagged(kind: string, tag: string): string {
    return `${this.prefix}${kind}:{${tag}}`;
  }

  user(user: string): string {
    return this.tagged('user', KeyNames.tag(user));
  }

  codes(user: string): string {
    return this.tagged('codes', KeyNames.tag(user));
  }

  /** Pending request codes and challenge States of one user. */
  challenges(user: string): string {
    return this.tagged('chal', KeyNames.tag(user));
  }

  /**
   * The user's last login attempts, newest first (a list decide.lua writes with the
   * decision). Tagged like the user's other keys: decide.lua touches it in the same slot.
   */
  attempts(user: string): string {
    return this.tagged('attempts', KeyNames.tag(user));
  }

  /** The outcome of one request, kept for its retransmissions (see decide.lua). */
  outcome(user: string, fingerprint: string): string {
    return `${this.tagged('req', KeyNames.tag(user))}:${fingerprint}`;
  }

  /** decide.lua's keys for one request, the user's tag encoded once (it runs for every login). */
  loginKeys(user: string, fingerprint: string): { user: string; codes: string; outcome: string; challenges: string; attempts: string } {
    const tag = KeyNames.tag(user);
    return {
      user: this.tagged('user', tag),
      codes: this.tagged('codes', tag),
      outcome: `${this.tagged('req', tag)}:${fingerprint}`,
      challenges: this.tagged('chal', tag),
      attempts: this.tagged('attempts', tag),
    };
  }

  /**
   * The record an unknown user's login reads instead of its own (see StandInRecords).
   * `tag` puts it in a chosen Cluster slot.
   */
  standInUser(tag: string): string {
    return this.tagged('stand-in', tag);
  }

  standInCodes(tag: string): string {
    return this.tagged('stand-in-codes', tag);
  }

  /** Where an unknown user's login writes its attempt: bounded, never read (see decide.lua). */
  standInAttempts(tag: string): string {
    return this.tagged('stand-in-attempts', tag);
  }

  /**
   * How many self-service code requests a name made in the current window (a counter with
   * a TTL): kept in Redis so that the per-user limit holds across gateway instances.
   */
  codeRequests(user: string): string {
    return this.tagged('ss-requests', KeyNames.tag(user));
  }

  /** Stream of admin actions (capped). */
  audit(): string {
    return `${this.prefix}audit`;
  }

  /** One helpdesk console operator (console/operators): a hash, tagged so its scripts run in one slot. */
  operator(name: string): string {
    return this.tagged('operator', KeyNames.tag(name));
  }

  /** Sorted set of operator names, by creation time. */
  operators(): string {
    return `${this.prefix}operators`;
  }

  /** One console session, by the SHA-256 of its id: a dump of Redis holds no session id a browser could present. */
  consoleSession(idHash: string): string {
    return `${this.prefix}console-session:${idHash}`;
  }

  /** Sorted set of user names, for `user list`. Not per user: it has a slot of its own. */
  users(): string {
    return `${this.prefix}users`;
  }
}
