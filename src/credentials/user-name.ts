import type { PolicyConfig } from '../config/types.js';

/**
 * The name a User-Name attribute refers to. Matched exactly by default; config can strip a
 * realm (`alice@corp`, `CORP\alice`) and fold case (SPEC "Resolving a password"). The CLI
 * applies the same rule, so what the helpdesk types and what the NAS sends meet.
 */
export function canonicalUserName(raw: string, policy: Pick<PolicyConfig, 'stripRealm' | 'foldCase'>): string {
  let name = raw;
  if (policy.stripRealm) {
    const backslash = name.lastIndexOf('\\');
    if (backslash >= 0) name = name.slice(backslash + 1);
    const at = name.indexOf('@');
    if (at > 0) name = name.slice(0, at);
  }
  // "CORP\\" has no name left after the realm; keep what was sent rather than match "".
  if (name === '') name = raw;
  return policy.foldCase ? name.toLowerCase() : name;
}

/** Names the CLI accepts: printable, no control characters, at most 253 bytes (one attribute). */
export function userNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the user name is empty';
  if (Buffer.byteLength(name, 'utf8') > 253) return 'the user name is longer than 253 bytes, more than a RADIUS User-Name can carry';
  // C0 and C1 controls and the Unicode line separators: any of them could forge a log line.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return 'the user name contains control characters';
  if (name.includes('\uFFFD')) return 'the user name is not valid UTF-8';
  return undefined;
}
