/**
 * Turns ajv's errors into sentences an admin can act on, each with its key path and line.
 */
import type { ErrorObject } from 'ajv';
import type { ConfigIssue } from './errors.js';
import { formatKeyPath, parseJsonPointer, type KeyPath, type SourceMap } from './locate.js';

/**
 * Values are shown back to the admin ("not \"yes\"") except under any key naming a secret:
 * a secret typed into the wrong place, or with the wrong type, must still never reach a
 * terminal or a log collector.
 */
function mayEcho(path: KeyPath): boolean {
  return !path.some((segment) => typeof segment === 'string' && /secret/i.test(segment));
}

export function describeSchemaError(error: ErrorObject, data: unknown, sourceMap: SourceMap): ConfigIssue {
  const base = parseJsonPointer(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  const issue = (path: KeyPath, problem: string, line = sourceMap.lineOf(path)): ConfigIssue => ({
    code: 'RADGATE_CONFIG_INVALID',
    path: formatKeyPath(path),
    line,
    problem,
  });
  // A string where a mapping belongs may be a mangled "secret:VALUE" (no space after the
  // colon), so only its kind is shown.
  const mangled =
    error.keyword === 'type' && typeof error.data === 'string' && ['object', 'array'].includes(String(params['type']));
  // "empty" reveals nothing, so even a secret key may say so.
  const value =
    error.data === null ? describeValue(null) : !mayEcho(base) ? undefined : mangled ? 'a string' : describeValue(error.data);
  const not = value === undefined ? '' : `, not ${value}`;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const path = [...base, key];
      const known = Object.keys((error.parentSchema?.['properties'] as object | undefined) ?? {});
      const guess = closest(key, known);
      const hint = guess === undefined ? `; known keys here: ${known.join(', ')}` : `; did you mean ${guess}?`;
      return issue(path, `unknown key${hint}`, sourceMap.lineOf(path, { key: true }));
    }
    case 'required': {
      const path = [...base, String(params['missingProperty'])];
      return issue(path, 'is required', sourceMap.lineOf(base));
    }
    case 'type': {
      const expected = describeType(String(params['type']));
      // YAML reads an unquoted 123456 or true as a number or boolean; such secrets need quotes.
      const quote =
        !mayEcho(base) && ['number', 'boolean'].includes(typeof error.data) ? ' (put the value in quotes)' : '';
      // `- [::1]:1812` unquoted is YAML flow syntax, not a string.
      const bracket =
        base[0] === 'listen' && base.length === 2 && Array.isArray(error.data)
          ? '; quote IPv6 listen addresses, e.g. "[::]:1812"'
          : '';
      return issue(base, `must be ${expected}${not}${quote}${bracket}`);
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ');
      return issue(base, `must be one of ${allowed}${not}`);
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return issue(base, `must be at least ${String(params['limit'])}${not}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return issue(base, `must be at most ${String(params['limit'])}${not}`);
    case 'minItems':
      return issue(base, `must list at least ${String(params['limit'])} ${Number(params['limit']) === 1 ? 'entry' : 'entries'}`);
    case 'minLength':
      return issue(base, 'must not be empty');
    case 'pattern': {
      const hint = error.parentSchema?.['patternHint'];
      return issue(base, `${typeof hint === 'string' ? hint : `must match ${String(params['pattern'])}`}${not}`);
    }
    default:
      // ajv's own messages describe the schema, never the data, so they are safe to show.
      return issue(base, error.message ?? `fails the ${error.keyword} rule`);
  }
}

/**
 * Which parts of the document the schema found nothing wrong with: the loader's own checks
 * (addresses, secrets, URLs, lifetimes) still run there when the schema fails elsewhere, so
 * the admin sees every problem of the file in one pass. A part is unsound when an error lies
 * in it, or it lies in an erroneous part; a missing key or an unknown one taints only that
 * key, not the mapping around it.
 */
export function soundParts(errors: readonly ErrorObject[]): (path: KeyPath) => boolean {
  const tainted = errors.map((error) => {
    const params = error.params as Record<string, unknown>;
    const key = error.keyword === 'required' ? params['missingProperty'] : error.keyword === 'additionalProperties' ? params['additionalProperty'] : undefined;
    return key === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(String(key))}`;
  });
  return (path) => {
    const pointer = path.map((segment) => `/${escapePointer(String(segment))}`).join('');
    return !tainted.some((bad) => bad === pointer || bad.startsWith(`${pointer}/`) || pointer.startsWith(`${bad}/`) || bad === '');
  };
}

/** RFC 6901 §3: `~` and `/` in a key are written `~0` and `~1` in a JSON Pointer. */
function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function describeType(type: string): string {
  switch (type) {
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'object':
      return 'a mapping of keys';
    case 'array':
      return 'a list';
    default:
      return type;
  }
}

function describeValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'empty (nothing after the colon)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The known key a misspelt one most likely meant: the nearest within edit distance 2, or
 * else the only one it abbreviates ("require_message_auth").
 */
function closest(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || typed.length < 4) return best;
  const extended = known.filter((candidate) => candidate.startsWith(typed));
  return extended.length === 1 ? extended[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length]!;
}
