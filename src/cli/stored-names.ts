import type { Cluster, Redis } from 'ioredis';
import type { RadgateConfig } from '../config/types.js';
import { canonicalUserName, userNameSpacingProblem } from '../credentials/user-name.js';
import { KeyNames } from '../store/key-names.js';

/** A stored user whose name the current name rules would change. */
export interface NonCanonicalName {
  readonly stored: string;
  /** What the gateway and the CLI turn the name into now. */
  readonly canonical: string;
  /** Another stored user already has the canonical name. */
  readonly taken: boolean;
}

const PAGE = 1000;
/** Names shown in the human line; --json lists all. */
const SHOWN = 20;

/**
 * Stored names that are not canonical under the current settings (NFC, strip_realm,
 * fold_case; SPEC "Resolving a password"): users added before a rule was turned on, or
 * by an older radgate. The gateway looks up the canonical name, so such a user cannot log
 * in. Read only: which record to keep is the helpdesk's decision, not doctor's.
 */
export async function nonCanonicalNames(redis: Redis | Cluster, config: Pick<RadgateConfig, 'policy' | 'redis'>): Promise<NonCanonicalName[]> {
  const key = new KeyNames(config.redis.keyPrefix).users();
  const stored = new Set<string>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await redis.zrange(key, offset, offset + PAGE - 1);
    for (const name of page) stored.add(name);
    if (page.length < PAGE) break;
  }
  const found: NonCanonicalName[] = [];
  for (const name of stored) {
    // The CLI refuses white space around a name, so its canonical form is the trimmed one.
    const canonical = canonicalUserName(userNameSpacingProblem(name) === undefined ? name : name.trim(), config.policy);
    if (canonical !== name) found.push({ stored: name, canonical, taken: stored.has(canonical) });
  }
  return found;
}

/** doctor's line about user names: ok, or a warning that lists the names and what to do. */
export async function userNameCheck(
  redis: Redis | Cluster,
  config: Pick<RadgateConfig, 'policy' | 'redis'>,
): Promise<{ check: string; status: 'ok' | 'warn'; detail: string; names: NonCanonicalName[] }> {
  const names = await nonCanonicalNames(redis, config);
  const rules = ['NFC', ...(config.policy.stripRealm ? ['strip_realm'] : []), ...(config.policy.foldCase ? ['fold_case'] : [])].join(', ');
  if (names.length === 0) return { check: 'user names', status: 'ok', detail: `every stored name is canonical (${rules})`, names };
  const listed = names
    .slice(0, SHOWN)
    .map(({ stored, canonical, taken }) => `${JSON.stringify(stored)} → ${JSON.stringify(canonical)}${taken ? ' (taken by another user)' : ''}`);
  if (names.length > SHOWN) listed.push(`and ${names.length - SHOWN} more (--json lists all)`);
  return {
    check: 'user names',
    status: 'warn',
    detail:
      `${names.length} stored name${names.length === 1 ? ' is' : 's are'} not canonical under ${rules}, so no login finds ${names.length === 1 ? 'it' : 'them'}: ${listed.join(', ')}. ` +
      'Nothing was changed: add the user under the canonical name, then remove the old record with radgate user delete NAME --as-stored',
    names,
  };
}
