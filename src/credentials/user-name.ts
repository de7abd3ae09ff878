import type { PolicyConfig } from '../config/types.js';

/**
 * The name a User-Name attribute refers to (SPEC "Resolving a password"): Unicode NFC,
 * so that "é" typed as one code point or as "e" + U+0301 is one user (RFC 8265 §3.3 and
 * §3.4 normalise user names so), then, as config says, a realm stripped (`alice@corp`,
 * `CORP\alice`) and the case folded. The gateway looks users up by it and every CLI
 * command stores and finds them by it, so what the helpdesk types and what the NAS sends
 * meet.
 */
export function canonicalUserName(raw: string, policy: Pick<PolicyConfig, 'stripRealm' | 'foldCase'>): string {
  const normalised = raw.normalize('NFC');
  let name = normalised;
  if (policy.stripRealm) {
    const backslash = name.lastIndexOf('\\');
    if (backslash >= 0) name = name.slice(backslash + 1);
    const at = name.indexOf('@');
    if (at > 0) name = name.slice(0, at);
  }
  // "CORP\\" has no name left after the realm; keep what was sent rather than match "".
  if (name === '') name = normalised;
  // Lower-casing can leave a sequence NFC composes differently (İ → i + U+0307).
  return policy.foldCase ? name.toLowerCase().normalize('NFC') : name;
}

/**
 * Leading or trailing white space in a name the helpdesk types is a slip of the keyboard
 * or the clipboard, not part of a name: "alice " would be a user no NAS ever sends.
 */
export function userNameSpacingProblem(name: string): string | undefined {
  return /^\s|\s$/u.test(name) ? `the user name ${JSON.stringify(name)} starts or ends with white space; type it without` : undefined;
}

/**
 * A user name as the helpdesk typed it (the CLI's <user>, the console's search box and
 * links), in the form the gateway looks up: white space around it refused, then NFC,
 * strip_realm and fold_case as configured. The one rule for every tool a person types a
 * name into, so the CLI and the console can never find or store a different user for the
 * same typed name.
 */
export function typedUserName(typed: string, policy: Pick<PolicyConfig, 'stripRealm' | 'foldCase'>): { readonly name: string } | { readonly problem: string } {
  const problem = userNameSpacingProblem(typed);
  return problem === undefined ? { name: canonicalUserName(typed, policy) } : { problem };
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
