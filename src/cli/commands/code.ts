import type { CommandModule } from 'yargs';
import { issueRequestProblem, type IssueRequest } from '../../admin/code-issuing.js';
import { groupCode } from '../../credentials/codes/alphabet.js';
import type { CodeView, IssuedCode } from '../../admin/views.js';
import type { CodeKind } from '../../credentials/records.js';
import { actorOf, withService } from '../context.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { parseDate, wholeNumber } from '../input.js';
import { humanDate, print, table } from '../output.js';

type UserArgs = GlobalOptions & { user: string };

interface IssueArgs extends UserArgs {
  readonly kind: CodeKind;
  readonly lifetime: string | undefined;
  readonly expires: string | undefined;
  readonly uses: number | undefined;
  readonly count: number | undefined;
}

const KINDS = ['emergency-tokencode', 'emergency-passcode', 'online-authcode'] as const;

const HOW_TO_TYPE: Record<CodeKind, string> = {
  'emergency-tokencode': 'type the PIN, then this code, in place of the tokencode',
  'emergency-passcode': 'type this code alone, in place of PIN and tokencode',
  'online-authcode': 'type the PIN, then this code, in place of the tokencode',
};

const issue: CommandModule<GlobalOptions, IssueArgs> = {
  command: 'issue <user>',
  describe: 'Issue emergency or authorization codes; each code is shown once',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('kind', { choices: KINDS, demandOption: true, describe: 'What the code replaces' })
      .option('lifetime', { type: 'string', requiresArg: true, describe: 'e.g. 12h, 3d, 1month (authorization codes: 1 to 31 days or 1month)' })
      .option('expires', { type: 'string', requiresArg: true, describe: 'Absolute expiry, YYYY-MM-DD[THH:MM] (instead of --lifetime)' })
      .option('uses', { type: 'number', requiresArg: true, describe: 'Uses per code (default: until expiry; 1 for a set made with --count)' })
      .option('count', { type: 'number', requiresArg: true, describe: 'Issue a set of N one-time codes (1 to 100)' })
      .conflicts('lifetime', 'expires')
      .example('$0 code issue alice --kind emergency-tokencode --lifetime 3d --reason INC-1234', 'a fixed emergency tokencode for 3 days')
      .example('$0 code issue alice --kind emergency-tokencode --count 5', 'a set of 5 one-time codes')
      .example('$0 code issue alice --kind online-authcode --lifetime 1month --json', 'an authorization code, for a script') as never,
  handler: async (argv) => {
    const uses = wholeNumber(argv.uses, '--uses');
    const count = wholeNumber(argv.count, '--count');
    const expiresAt = argv.expires === undefined ? undefined : parseDate(argv.expires, '--expires');
    const request: IssueRequest = {
      kind: argv.kind,
      ...(argv.lifetime === undefined ? {} : { lifetime: argv.lifetime }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(uses === undefined ? {} : { uses }),
      ...(count === undefined ? {} : { count }),
    };
    // What the command line alone gets wrong is a usage error, found before Redis is opened.
    const problem = issueRequestProblem(request);
    if (problem !== undefined) throw usageError(problem.startsWith('--') || argv.lifetime === undefined ? problem : `--lifetime ${argv.lifetime}: ${problem}`);
    const actor = actorOf(argv);
    const codes = await withService(argv, (service) => service.issueCodes(argv.user, request, actor));
    print(
      argv,
      { codes: codes.map((code) => ({ id: code.id, code: code.code, kind: code.kind, expires_at: code.expiresAt, max_uses: code.maxUses })) },
      () => renderIssued(argv.user, codes),
    );
  },
};

function renderIssued(user: string, codes: readonly IssuedCode[]): string[] {
  const first = codes[0]!;
  return [
    `${codes.length === 1 ? 'Code' : `${codes.length} codes`} for ${user} (${first.kind}; ${HOW_TO_TYPE[first.kind]}):`,
    '',
    ...codes.map((code) => `    ${groupCode(code.code)}    id ${code.id}`),
    '',
    `Expires ${humanDate(first.expiresAt)}; ${first.maxUses === null ? 'any number of uses until then' : `${first.maxUses} use${first.maxUses === 1 ? '' : 's'} per code`}.`,
    'Hyphens and case do not matter. This is the only time the code is shown.',
  ];
}

function renderList(codes: readonly CodeView[]): string[] {
  if (codes.length === 0) return ['no codes'];
  return table(
    ['ID', 'KIND', 'STATE', 'ISSUED', 'EXPIRES', 'USES', 'LAST USED', 'BY', 'REASON'],
    codes.map((code) => [
      code.id,
      code.kind,
      code.state,
      humanDate(code.issuedAt),
      humanDate(code.expiresAt),
      `${code.uses}/${code.maxUses ?? '∞'}`,
      humanDate(code.lastUsedAt),
      code.issuedBy,
      code.reason,
    ]),
  );
}

const list: CommandModule<GlobalOptions, UserArgs> = {
  command: 'list <user>',
  describe: "List a user's codes: metadata and state only, never the codes",
  builder: (yargs) => yargs.positional('user', { type: 'string', demandOption: true }).example('$0 code list alice', "alice's codes and their state") as never,
  handler: async (argv) => {
    const codes = await withService(argv, (service) => service.listCodes(argv.user));
    print(argv, { codes }, ({ codes: listed }) => renderList(listed));
  },
};

/** The ids `code issue` and the gateway give (5 random bytes in hex). */
const CODE_ID = /^[0-9a-f]{10}$/;

interface RevokeArgs extends UserArgs {
  readonly id: string | undefined;
  readonly last: boolean;
  readonly all: boolean;
}

const revoke: CommandModule<GlobalOptions, RevokeArgs> = {
  command: 'revoke <user>',
  describe: 'Revoke one code (--id), the last issued (--last) or all (--all); effective at once everywhere',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('id', { type: 'string', requiresArg: true, describe: 'The id shown by code issue / code list' })
      .option('last', { type: 'boolean', default: false, describe: 'The most recently issued code (or set)' })
      .option('all', { type: 'boolean', default: false, describe: "All of the user's codes" })
      .example('$0 code revoke alice --last --reason "token found"', 'revoke the last issued code')
      .example('$0 code revoke alice --id 3f9a20c1de', 'revoke one code') as never,
  handler: async (argv) => {
    const chosen = [argv.id !== undefined, argv.last, argv.all].filter(Boolean).length;
    if (chosen !== 1) throw usageError('name exactly one of --id ID, --last or --all');
    if (argv.id !== undefined && !CODE_ID.test(argv.id)) throw usageError(`--id ${JSON.stringify(argv.id.slice(0, 40))} is not a code id: 10 hexadecimal characters, as code list shows them`);
    const selector = argv.id !== undefined ? { id: argv.id } : argv.last ? 'last' : 'all';
    const actor = actorOf(argv);
    const revoked = await withService(argv, (service) => service.revokeCodes(argv.user, selector as { id: string } | 'last' | 'all', actor));
    print(argv, { revoked: revoked.map((code) => code.id) }, ({ revoked: ids }) => [
      ids.length === 0 ? 'nothing to revoke (no active code matched)' : `revoked ${ids.length} code${ids.length === 1 ? '' : 's'}: ${ids.join(', ')}`,
    ]);
  },
};

export const codeCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'code <action>',
  describe: 'Issue, list and revoke emergency and authorization codes',
  builder: (yargs) => yargs.command(issue).command(list).command(revoke).demandCommand(1, 'name an action: issue, list, revoke'),
  handler: () => undefined,
};
