import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { MAX_PENDING_REQUESTS, OFFLINE_SOURCE_PREFIX } from '../credentials/records.js';
import { BYPASS_FIELD, CHALLENGE_FIELD_PREFIX, CODE_FIELDS, COPY_FIELDS, KIND_LETTERS, USER_FIELDS, USER_STATUS } from './record-format.js';

/** Names a script's source may use as `$group.name`; each becomes its stored spelling. */
export type Vocabulary = Readonly<Record<string, string>>;

/** 'emergency-tokencode' → 'emergencyTokencode': how a spelling with hyphens is named in a script. */
export const camelCase = (text: string): string => text.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * The stored form of records (record-format.ts), for the scripts: `'$user.failures'` is
 * rendered `'fails'`, `code[$code.revokedAt]` is rendered `code[8]` (Lua indexes from 1),
 * `'$kind.onlineAuthcode'` is rendered `'OA'`. A name is thus spelled once, in TypeScript,
 * and a script costs nothing more at run time than one written by hand.
 */
export const RECORD_VOCABULARY: Vocabulary = Object.freeze({
  ...Object.fromEntries(Object.entries(USER_FIELDS).map(([name, field]) => [`user.${name}`, field])),
  ...Object.fromEntries(Object.entries(USER_STATUS).map(([name, value]) => [`userStatus.${name}`, value])),
  ...Object.fromEntries(CODE_FIELDS.map((field, i) => [`code.${field}`, String(i + 1)])),
  ...Object.fromEntries(Object.entries(KIND_LETTERS).map(([kind, letters]) => [`kind.${camelCase(kind)}`, letters])),
  'codes.bypass': BYPASS_FIELD,
  'challenge.request': CHALLENGE_FIELD_PREFIX.request,
  'challenge.state': CHALLENGE_FIELD_PREFIX.state,
  'challenge.used': CHALLENGE_FIELD_PREFIX.used,
  'challenge.maxPending': String(MAX_PENDING_REQUESTS),
  'source.offline': OFFLINE_SOURCE_PREFIX,
  // A Lua list of the fields a gateway's copy of a user reads, in order.
  'copy.fields': COPY_FIELDS.map((field) => `'${field}'`).join(', '),
});

const NAME = /\$([a-zA-Z]+\.[a-zA-Z]+)/g;

/** Renders `$group.name` in a script's source; an unknown name is a bug, so it throws. */
export function renderLua(source: string, vocabulary: Vocabulary, file: string): string {
  return source.replace(NAME, (_, name: string) => {
    const value = vocabulary[name];
    if (value === undefined) throw new Error(`${file}: unknown name $${name} (see store/lua-script.ts)`);
    return value;
  });
}

type ScriptMethod = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script beside the store code, rendered once and registered with ioredis
 * `defineCommand`: a cached EVALSHA method (EVAL the first time, and after a SCRIPT FLUSH).
 */
export class LuaScript {
  private readonly method: string;

  constructor(
    private readonly redis: Redis | Cluster,
    /** `keys`: how many of a call's arguments are keys; 'first' when the call says so in its first argument. */
    options: { readonly name: string; readonly file: URL; readonly keys: number | 'first'; readonly vocabulary?: Vocabulary },
  ) {
    this.method = `radgate_${options.name}`;
    const source = readFileSync(options.file, 'utf8');
    const numberOfKeys = options.keys === 'first' ? {} : { numberOfKeys: options.keys };
    redis.defineCommand(this.method, { ...numberOfKeys, lua: renderLua(source, options.vocabulary ?? RECORD_VOCABULARY, options.file.pathname) });
  }

  /** KEYS first, then ARGV, as EVALSHA takes them (with keys: 'first', their count before them). */
  run(args: readonly (string | number)[]): Promise<unknown> {
    return (this.redis as unknown as Record<string, ScriptMethod>)[this.method]!.apply(this.redis, args as (string | number)[]);
  }
}
