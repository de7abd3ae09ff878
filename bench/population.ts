/**
 * Users, tokens and issued codes for the bench, written to Redis two ways:
 *
 * - through CredentialService, exactly as the helpdesk CLI does it (user add, token assign,
 *   code issue), for every user a scenario logs in as: the bench then learns the token
 *   secret only from the otpauth:// URI the service prints, and the codes only from what
 *   `code issue` shows, like a real user;
 * - straight through the store's repository, pipelined, for the filler the scaling runs need
 *   (100,000 users, 1,000,000 codes): the same records the service builds (same
 *   keyring hashes, same field lists), without its per-user audit entries and checks,
 *   so that a million codes load in tens of seconds.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Actor } from '../src/admin/admin-audit.js';
import { kindSettings, newCodes, planIssue } from '../src/admin/code-issuing.js';
import type { CodesConfig } from '../src/config/types.js';
import type { AdminAccess } from '../src/serve/admin-access.js';
import { decodeBase32Secret } from './totp.js';

export const BENCH_ACTOR: Actor = { operator: 'bench', reason: 'benchmark' };

export interface PoolUser {
  readonly name: string;
  readonly nameBytes: Buffer;
  readonly pin: string;
}

/** A user with a TOTP token, as enrolled from the otpauth:// URI. */
export interface TokenUser extends PoolUser {
  readonly secret: Buffer;
  readonly period: number;
  readonly digits: number;
}

/** A user with a token and one emergency code (a tokencode typed after the PIN, or a passcode typed alone). */
export interface CodeUser extends PoolUser {
  readonly code: string;
}

/** How often a long bulk load says how far it got. */
const PROGRESS_EVERY = 100_000;

/**
 * Runs `task` over `items` with at most `limit` running at once (Redis round trips overlap);
 * `progress` hears every 100,000 items done, so a million-user load does not look hung.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>, progress?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
      if (++done % PROGRESS_EVERY === 0) progress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function userNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);
}

/** A 6-digit PIN, the common policy. */
function randomPin(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** The secret, period and digits from an otpauth:// URI (Key URI Format). */
export function parseOtpauthUri(uri: string): { secret: Buffer; period: number; digits: number } {
  const url = new URL(uri);
  if (url.protocol !== 'otpauth:' || url.host !== 'totp') throw new Error(`not a TOTP otpauth URI: ${url.protocol}//${url.host}`);
  const algorithm = (url.searchParams.get('algorithm') ?? 'SHA1').toUpperCase();
  if (algorithm !== 'SHA1') throw new Error(`the bench computes SHA1 TOTP only, not ${algorithm}`);
  const secret = decodeBase32Secret(url.searchParams.get('secret') ?? '');
  return { secret, period: Number(url.searchParams.get('period') ?? 30), digits: Number(url.searchParams.get('digits') ?? 6) };
}

/** `user add NAME --pin PIN` then `token assign NAME` for each user, through the service. */
export async function enrolTokenUsers(credentials: AdminAccess, prefix: string, count: number, concurrency = 64): Promise<TokenUser[]> {
  const users: TokenUser[] = new Array(count);
  await forEachConcurrently(userNames(prefix, count), concurrency, async (name, index) => {
    const pin = randomPin();
    await credentials.service.addUser(name, pin, BENCH_ACTOR);
    const { uri } = await credentials.service.assignToken(name, {}, BENCH_ACTOR);
    users[index] = { name, nameBytes: Buffer.from(name), pin, ...parseOtpauthUri(uri) };
  });
  return users;
}

/** `code issue NAME --kind KIND` (one multi-use code, valid until it expires) for each user. */
export async function issueEmergencyCodes(credentials: AdminAccess, users: readonly PoolUser[], kind: 'emergency-tokencode' | 'emergency-passcode', concurrency = 64): Promise<CodeUser[]> {
  const withCodes: CodeUser[] = new Array(users.length);
  await forEachConcurrently(users, concurrency, async (user, index) => {
    const [issued] = await credentials.service.issueCodes(user.name, { kind }, BENCH_ACTOR);
    if (issued === undefined || issued.maxUses !== null) throw new Error(`expected one multi-use ${kind} for ${user.name}`);
    withCodes[index] = { ...user, code: issued.code };
  });
  return withCodes;
}

/**
 * Filler users with a PIN and a TOTP token, written as CredentialService.addUser and
 * assignToken write them (same fields, same keyring), pipelined. Returns their names.
 */
export async function bulkCreateTokenUsers(credentials: AdminAccess, prefix: string, count: number, progress?: (done: number) => void, concurrency = 512): Promise<string[]> {
  const { keyring } = credentials;
  const { repository } = credentials.store;
  const names = userNames(prefix, count);
  const now = Date.now();
  await forEachConcurrently(names, concurrency, async (name) => {
    if (!(await repository.createUser(name, { createdAt: now, pinHash: keyring.hashPin(name, randomPin()) }))) throw new Error(`filler user ${name} already exists`);
    const token = {
      type: 'totp' as const, serial: randomBytes(5).toString('hex').toUpperCase(), encryptedSecret: keyring.encryptTokenSecret(name, randomBytes(20)),
      digits: 6, period: 30, algorithm: 'sha1' as const, state: 'active' as const, expiresAt: 0, lastStep: -1, assignedAt: now,
    };
    if (!(await repository.updateUser(name, { token }))) throw new Error(`filler user ${name} vanished`);
  }, progress);
  return names;
}

/**
 * `code issue NAME --kind emergency-tokencode --count N` for each filler user: N one-time
 * codes per user in one store call, each record and lookup hash built as
 * CredentialService.issueCodes builds them.
 */
export async function bulkIssueCodes(credentials: AdminAccess, names: readonly string[], perUser: number, progress?: (users: number) => void, concurrency = 256): Promise<number> {
  const { keyring, store } = credentials;
  const now = Date.now();
  // The SPEC's default format of an emergency tokencode (8 of the unambiguous alphabet).
  const codes: CodesConfig = {
    emergencyTokencode: { alphabet: 'unambiguous', length: 8, lifetime: '1d' },
    emergencyPasscode: { alphabet: 'unambiguous', length: 12, lifetime: '1d' },
    onlineAuthcode: { alphabet: 'hex', length: 12, lifetime: '1d' },
  };
  const plan = planIssue({ kind: 'emergency-tokencode', count: perUser, uses: 1 }, codes, now, 'UTC');
  const settings = kindSettings(codes, 'emergency-tokencode');
  const actor: Actor = { operator: 'helpdesk-1', reason: 'token left at home' };
  await forEachConcurrently(names, concurrency, async (name) => {
    const { stored } = newCodes(plan, { user: name, settings, keyring, actor, now, purpose: 'login' });
    if (!(await store.repository.issueCodes(name, stored, now))) throw new Error(`filler user ${name} does not exist`);
  }, progress);
  return names.length * perUser;
}

/** INFO memory's used_memory: the bytes Redis's allocator holds for the dataset and itself. */
export async function redisUsedMemory(credentials: AdminAccess): Promise<number> {
  const info = String(await credentials.store.redis.info('memory'));
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match === null) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** Resets failure counts and lockouts (what `user unlock` does) so a reject run starts from zero. */
export async function unlockUsers(credentials: AdminAccess, users: readonly PoolUser[]): Promise<void> {
  await forEachConcurrently(users, 256, async (user) => {
    await credentials.store.repository.updateUser(user.name, { failures: 0, lockedUntil: 0 });
  });
}
