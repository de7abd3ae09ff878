import type { CommandModule } from 'yargs';
import { groupCode } from '../../credentials/codes/alphabet.js';
import { offlineValidityProblem } from '../../credentials/codes/lifetime-bounds.js';
import { canonicalRequestCode, canonicalValidity, deriveOfflineAuthcode } from '../../credentials/offline-authcode.js';
import { canonicalUserName, userNameProblem } from '../../credentials/user-name.js';
import { loadKeyring } from '../../keys/load-keyring.js';
import { loadCliConfig } from '../context.js';
import { refusal, usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';

interface RespondArgs extends GlobalOptions {
  readonly user: string;
  readonly requestCode: string;
  readonly validity: string;
}

/**
 * The helpdesk's half of the challenge flow (IBM's offline authorization code). It needs
 * only the config and the key file: no access to Redis at all, so a helpdesk host can
 * answer request codes without being able to change anything.
 */
const respond: CommandModule<GlobalOptions, RespondArgs> = {
  command: 'respond <user> <request-code>',
  describe: 'Compute the authorization code that answers a request code (needs the key file, not Redis)',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .positional('request-code', { type: 'string', demandOption: true, describe: 'The 8-character code the user reads out, e.g. 7KAC-3EWX' })
      .option('validity', { type: 'string', default: '1d', describe: 'How long the access lasts: one of challenge.validities (e.g. 1d, 7d, 1month)' })
      .example('$0 authcode respond alice 7KAC-3EWX --validity 3d --reason INC-4711', "answer alice's request code") as never,
  handler: (argv) => {
    // The command line first: a request code or validity of the wrong form is a usage error.
    const requestCode = canonicalRequestCode(argv.requestCode);
    if (requestCode === undefined) {
      throw usageError('a request code is 8 characters of Z3467ACEFHJKRWXY (hyphens and case do not matter); ask the user to read it again');
    }
    let validity: string;
    try {
      validity = canonicalValidity(argv.validity);
    } catch {
      throw usageError(`--validity ${JSON.stringify(argv.validity.slice(0, 40))} is not a lifetime such as 1d or 1month`);
    }
    const outOfRange = offlineValidityProblem(validity);
    if (outOfRange !== undefined) throw usageError(`--validity ${outOfRange}`);
    const config = loadCliConfig(argv);
    const problem = userNameProblem(argv.user);
    if (problem !== undefined) throw refusal(problem);
    const allowed = config.challenge.validities.map(canonicalValidity);
    if (!allowed.includes(validity)) {
      throw refusal(`--validity ${validity} is not one the gateway accepts (challenge.validities: ${allowed.join(', ')})`);
    }
    const user = canonicalUserName(argv.user, config.policy);
    const code = deriveOfflineAuthcode(loadKeyring(config.keys), user, requestCode, validity);
    print(argv, { code, validity, request_code: requestCode }, () => [
      `Authorization code for ${user} (request ${groupCode(requestCode)}, valid ${validity}):`,
      '',
      `    ${groupCode(code)}`,
      '',
      'Read it to the user: they type it at the prompt, or after their PIN if the prompt timed out.',
    ]);
  },
};

export const authcodeCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'authcode <action>',
  describe: 'Answer challenge request codes (offline authorization codes)',
  builder: (yargs) => yargs.command(respond).demandCommand(1, 'name an action: respond'),
  handler: () => undefined,
};
