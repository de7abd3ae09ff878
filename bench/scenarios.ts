/**
 * What the simulated NAS sends in each scenario. Every workload cycles through many users
 * so that per-user state (replay windows, failure counts) is exercised as in real life,
 * and says which reply each request must get: the generator counts every other reply as
 * unexpected.
 */
import type { LoadRequest, Workload } from './load-generator.js';
import type { CodeUser, PoolUser, TokenUser } from './population.js';
import { currentStep, tokencodeAt } from './totp.js';

/**
 * PIN + the current TOTP code, each user at most once per time step: radgate refuses a
 * step already used (RFC 6238 §5.2 replay prevention), so an honest benchmark needs as
 * many users as logins per 30 s. Users are taken round robin; when the user next in line
 * has already logged in during this step, every user has, and the workload is dry until
 * the step changes.
 */
export class TotpLogins implements Workload {
  private cursor = 0;
  /** The step each user last logged in with (-1: never). */
  readonly lastStep: Float64Array;

  constructor(readonly users: readonly TokenUser[]) {
    if (users.length === 0) throw new Error('TotpLogins needs users');
    this.lastStep = new Float64Array(users.length).fill(-1);
  }

  next(): LoadRequest | undefined {
    const user = this.users[this.cursor]!;
    const step = currentStep(user.period);
    if (this.lastStep[this.cursor]! >= step) return undefined;
    this.lastStep[this.cursor] = step;
    this.cursor = (this.cursor + 1) % this.users.length;
    return { kind: 'access', userName: user.nameBytes, password: Buffer.from(user.pin + tokencodeAt(user.secret, step, user.digits)), expect: 'accept' };
  }

  /** Logins still possible before the step changes. */
  available(): number {
    let count = 0;
    for (let i = 0; i < this.users.length; i++) if (this.lastStep[i]! < currentStep(this.users[i]!.period)) count++;
    return count;
  }

  /** Milliseconds until the next step begins (all users share one period). */
  msToNextStep(): number {
    const periodMs = this.users[0]!.period * 1000;
    return periodMs - (Date.now() % periodMs);
  }
}

/**
 * The TOTP code a user already logged in with, sent again with a new Request
 * Authenticator (a replay, not a retransmission): must be rejected.
 */
export class TotpReplays implements Workload {
  private index = 0;
  private readonly replayable: { user: TokenUser; step: number }[] = [];

  constructor(logins: TotpLogins) {
    logins.users.forEach((user, i) => {
      const step = logins.lastStep[i]!;
      if (step >= 0) this.replayable.push({ user, step });
    });
  }

  get size(): number {
    return this.replayable.length;
  }

  next(): LoadRequest | undefined {
    const entry = this.replayable[this.index++];
    if (entry === undefined) return undefined;
    const { user, step } = entry;
    return { kind: 'access', userName: user.nameBytes, password: Buffer.from(user.pin + tokencodeAt(user.secret, step, user.digits)), expect: 'reject' };
  }
}

/** PIN + emergency tokencode, or an emergency passcode alone: multi-use codes, round robin. */
export class CodeLogins implements Workload {
  private cursor = 0;
  private readonly passwords: Buffer[];

  constructor(
    private readonly users: readonly CodeUser[],
    afterPin: boolean,
  ) {
    if (users.length === 0) throw new Error('CodeLogins needs users');
    // The way users type them: tokencodes after the PIN, passcodes grouped with a hyphen
    // as `code issue` shows them (radgate ignores hyphens and case).
    this.passwords = users.map((user) => Buffer.from(afterPin ? user.pin + user.code : (user.code.match(/.{1,4}/g) ?? []).join('-')));
  }

  next(): LoadRequest {
    const user = this.users[this.cursor]!;
    const password = this.passwords[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.users.length;
    return { kind: 'access', userName: user.nameBytes, password, expect: 'accept' };
  }
}

/**
 * The right PIN followed by a wrong tokencode — the common typo, and the costliest reject
 * for radgate (PIN check, token secret decryption, every step of the window computed).
 * Each reject counts a failure; a user gets at most `perUserBudget` per run so nobody
 * reaches the lockout (max_failures) and every reply stays a plain reject. Call reset()
 * after unlocking the users.
 */
export class WrongTokencodes implements Workload {
  private cursor = 0;
  private readonly uses: Uint32Array;
  /** The wrong password of each user for the step it was worked out for (cached: the generator's CPU is shared with the servers). */
  private readonly wrong: ({ step: number; password: Buffer } | undefined)[];

  constructor(
    private readonly users: readonly TokenUser[],
    private readonly perUserBudget: number,
    private readonly totpWindow: number,
  ) {
    if (users.length === 0) throw new Error('WrongTokencodes needs users');
    this.uses = new Uint32Array(users.length);
    this.wrong = new Array(users.length).fill(undefined);
  }

  reset(): void {
    this.uses.fill(0);
  }

  next(): LoadRequest | undefined {
    const index = this.cursor;
    if (this.uses[index]! >= this.perUserBudget) return undefined;
    this.uses[index]!++;
    this.cursor = (index + 1) % this.users.length;
    const user = this.users[index]!;
    const step = currentStep(user.period);
    let cached = this.wrong[index];
    if (cached?.step !== step) {
      // A code that is none of the codes the server accepts now or in the next step (any
      // step in the window, one more either side for a step change mid-flight).
      const valid = new Set<string>();
      for (let s = step - this.totpWindow - 1; s <= step + this.totpWindow + 1; s++) valid.add(tokencodeAt(user.secret, s, user.digits));
      let guess = (Number(tokencodeAt(user.secret, step, user.digits)) + 500_000) % 10 ** user.digits;
      while (valid.has(String(guess).padStart(user.digits, '0'))) guess = (guess + 1) % 10 ** user.digits;
      cached = { step, password: Buffer.from(user.pin + String(guess).padStart(user.digits, '0')) };
      this.wrong[index] = cached;
    }
    return { kind: 'access', userName: user.nameBytes, password: cached.password, expect: 'reject' };
  }
}

/** The PIN alone: with challenge.enabled, radgate answers Access-Challenge (offline authorization codes). */
export class PinOnly implements Workload {
  private cursor = 0;

  constructor(private readonly users: readonly PoolUser[]) {}

  next(): LoadRequest {
    const user = this.users[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.users.length;
    return { kind: 'access', userName: user.nameBytes, password: Buffer.from(user.pin), expect: 'challenge' };
  }
}

/** Status-Server (RFC 5997): answered with Access-Accept while the server is healthy. */
export class StatusChecks implements Workload {
  next(): LoadRequest {
    return { kind: 'status', expect: 'accept' };
  }
}

/** One fixed user and password (the FreeRADIUS `files` user). */
export class FixedLogin implements Workload {
  private readonly userName: Buffer;
  private readonly password: Buffer;

  constructor(
    userName: string,
    password: string,
    private readonly expect: 'accept' | 'reject',
  ) {
    this.userName = Buffer.from(userName);
    this.password = Buffer.from(password);
  }

  next(): LoadRequest {
    return { kind: 'access', userName: this.userName, password: this.password, expect: this.expect };
  }
}
