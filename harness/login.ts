import type { Keyring } from '../src/keys/keyring.js';
import { LoginRoundTrip } from '../src/login/login-round-trip.js';
import { UserCopies } from '../src/login/user-copies.js';
import type { DecideScript } from '../src/store/decide/decide-script.js';
import type { StackOn } from './stack.js';

/**
 * The login round trip (password resolution and decide.lua) on a stack's store, without
 * the UDP server in front: for tests of what a login decides and what it sends to Redis.
 * `maxUsers` is the copies' bound (user_cache.max_users; 0: no copies, every login reads
 * the record first).
 */
export function loginOn(
  stack: StackOn,
  options: { readonly maxUsers: number; readonly outcomeTtlMs?: number; readonly keyring?: Keyring; readonly decider?: Pick<DecideScript, 'decide'> },
): { login: LoginRoundTrip; copies: UserCopies } {
  const copies = new UserCopies({ maxUsers: options.maxUsers, keyring: options.keyring ?? stack.admin.keyring });
  const login = new LoginRoundTrip({
    decider: options.decider ?? stack.admin.store.decider,
    keyring: options.keyring ?? stack.admin.keyring,
    copies,
    policy: stack.config.policy,
    challenge: stack.config.challenge,
    timeZone: stack.config.timeZone,
    outcomeTtlMs: options.outcomeTtlMs ?? 10_000,
    clock: stack.clock.read,
  });
  return { login, copies };
}
