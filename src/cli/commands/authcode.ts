import type { CommandModule } from 'yargs';
import { groupCode } from '../../credentials/codes/alphabet.js';
import { offlineValidityProblem } from '../../credentials/codes/lifetime-bounds.js';
import { canonicalRequestCode, canonicalValidity, REQUEST_CODE_FORM } from '../../credentials/offline-authcode.js';
import { canonicalUserName, userNameProblem } from '../../credentials/user-name.js';
import { actorOf, withService } from '../context.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';

interface RespondArgs extends GlobalOptions {
  readonly user: string;
  readonly requestCode: string;
  readonly validity: string;
}

/**
 * The helpdesk's half of the challenge flow (IBM's offline authorization code). An audited
 * admin action (SPEC "Challenge flow", step 4): it reads the user's record and pending
 * request codes and appends to the audit stream, but writes nothing a login reads.
 */
const respond: CommandModule<GlobalOptions, RespondArgs> = {
  command: 'respond <user> <request-code>',
  describe: 'Compute the authorization code that answers a pending request code (audited)',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .positional('request-code', { type: 'string', demandOption: true, describe: 'The 8-character code the user reads out, e.g. 7KAC-3EWX' })
      .option('validity', { type: 'string', default: '1d', describe: 'How long the access lasts: one of challenge.validities (e.g. 1d, 7d, 1month)' })
      .example('$0 authcode respond alice 7KAC-3EWX --validity 3d --reason INC-4711', "answer alice's request code") as never,
  handler: async (argv) => {
    // The command line first: a name, request code or validity of the wrong form is a usage error.
    const problem = userNameProblem(argv.user);
    if (problem !== undefined) throw usageError(problem);
    if (canonicalRequestCode(argv.requestCode) === undefined) {
      throw usageError(`${REQUEST_CODE_FORM}; ask the user to read it again`);
    }
    let validity: string;
    try {
      validity = canonicalValidity(argv.validity);
    } catch {
      throw usageError(`--validity ${JSON.stringify(argv.validity.slice(0, 40))} is not a lifetime such as 1d or 1month`);
    }
    const outOfRange = offlineValidityProblem(validity);
    if (outOfRange !== undefined) throw usageError(`--validity ${outOfRange}`);
    const actor = actorOf(argv);
    const { user, answer } = await withService(argv, async (service, _admin, config) => {
      const canonical = canonicalUserName(argv.user, config.policy);
      return { user: canonical, answer: await service.respondToRequestCode(canonical, { requestCode: argv.requestCode, validity: argv.validity }, actor) };
    });
    print(argv, { code: answer.code, validity: answer.validity, request_code: answer.requestCode }, () => [
      `Authorization code for ${user} (request ${groupCode(answer.requestCode)}, valid ${answer.validity}):`,
      '',
      `    ${groupCode(answer.code)}`,
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
