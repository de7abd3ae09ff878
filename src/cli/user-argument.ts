import { typedUserName } from '../credentials/user-name.js';
import { loadCliConfig } from './context.js';
import { usageError } from './exit.js';
import type { GlobalOptions } from './global-options.js';

/**
 * The commands whose <user> names a stored user. `radgate test` is not one: it sends
 * User-Name as a NAS would, and the gateway applies the rules to it itself.
 */
const STORED_USER_COMMANDS: ReadonlySet<string> = new Set(['user', 'token', 'code', 'authcode', 'audit']);

type UserArgv = GlobalOptions & { _: (string | number)[]; user?: unknown; asStored?: unknown };

/**
 * Puts the <user> of every helpdesk command into the canonical form the gateway looks up
 * (typedUserName: the console applies the same rule), before
 * any handler runs. Done once here rather than in each command, so no command can store a
 * user that could never log in ("GREG" under fold_case) or a second spelling of one
 * ("Carol" beside "carol"). A name with white space around it is a usage error; `--as-stored`
 * (user delete) takes a name exactly as stored, for the names `radgate doctor` lists.
 */
export function canonicalUserArgument(argv: UserArgv): void {
  if (typeof argv.user !== 'string' || !STORED_USER_COMMANDS.has(String(argv._[0])) || argv.asStored === true) return;
  const typed = typedUserName(argv.user, loadCliConfig(argv).policy);
  if ('problem' in typed) throw usageError(typed.problem);
  argv.user = typed.name;
}
