import type { CommandModule } from 'yargs';
import { issueRequestProblem, type IssueRequest } from '../../admin/code-issuing.js';
import { groupCode } from '../../credentials/codes/alphabet.js';
import { canonicalRequestCode, REQUEST_CODE_FORM } from '../../credentials/offline-authcode.js';
import type { RevokeRequest } from '../../admin/credential-service.js';
import type { ChallengeAccessView, CodeView, IssuedCode, TemporaryAccessView } from '../../admin/views.js';
import type { CodeKind } from '../../credentials/records.js';
import type { Actor } from '../../admin/admin-audit.js';
import { AdminError } from '../../admin/admin-error.js';
import { issueCodeBySms } from '../../self-service/code-by-sms.js';
import { smsSenderFor } from '../../sms/open-sms.js';
import { actorOf, cliLogger, cliTimeZone, loadCliConfig, withService } from '../context.js';
import { refusal, usageError } from '../exit.js';
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
  readonly sendSms: boolean;
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
      .option('expires', { type: 'string', requiresArg: true, describe: "Absolute expiry, YYYY-MM-DD[THH:MM] in the config's time_zone, or with an offset (instead of --lifetime)" })
      .option('uses', { type: 'number', requiresArg: true, describe: 'Uses per code (default: until expiry; 1 for a set made with --count)' })
      .option('count', { type: 'number', requiresArg: true, describe: 'Issue a set of N one-time codes (1 to 100)' })
      .option('send-sms', { type: 'boolean', default: false, describe: 'Send the code by SMS to the mobile number on record instead of showing it (online-authcode; needs the sms section)' })
      .conflicts('lifetime', 'expires')
      .example('$0 code issue alice --kind emergency-tokencode --lifetime 3d --reason INC-1234', 'a fixed emergency tokencode for 3 days')
      .example('$0 code issue alice --kind emergency-tokencode --count 5', 'a set of 5 one-time codes')
      .example('$0 code issue alice --kind online-authcode --lifetime 1month --json', 'an authorization code, for a script')
      .example('$0 code issue alice --kind online-authcode --send-sms --reason INC-42', "an authorization code sent to alice's phone") as never,
  handler: async (argv) => {
    const uses = wholeNumber(argv.uses, '--uses');
    const count = wholeNumber(argv.count, '--count');
    const expiresAt = argv.expires === undefined ? undefined : parseDate(argv.expires, '--expires', cliTimeZone(argv));
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
    if (argv.sendSms) return issueBySms(argv, request, actor);
    const codes = await withService(argv, (service) => service.issueCodes(argv.user, request, actor));
    print(
      argv,
      { codes: codes.map((code) => ({ id: code.id, code: code.code, kind: code.kind, expires_at: code.expiresAt, max_uses: code.maxUses })) },
      () => renderIssued(argv.user, codes, cliTimeZone(argv)),
    );
  },
};

/**
 * `--send-sms`: one online authorization code, sent to the number on record and never shown
 * here. Refused before anything is issued when it cannot be sent (no sms section, no number,
 * RSA's token rule); a code whose SMS failed is revoked, and the command exits 1.
 */
async function issueBySms(argv: IssueArgs, request: IssueRequest, actor: Actor): Promise<void> {
  if (argv.kind !== 'online-authcode') throw usageError('--send-sms sends an online authorization code: use it with --kind online-authcode');
  if (request.count !== undefined && request.count !== 1) throw usageError('--send-sms sends one code: leave out --count');
  const sms = loadCliConfig(argv).sms;
  if (sms === undefined) throw refusal('--send-sms needs the sms section in the config (README "Configuration reference: sms"); nothing was issued');
  const sent = await withService(argv, async (service, _admin, config) => {
    const number = await service.mobileNumber(argv.user);
    if (number === undefined) throw new AdminError('RADGATE_ADMIN_NO_MOBILE', `${argv.user} has no mobile number on record (radgate user set ${argv.user} --mobile +…); nothing was issued`);
    const sender = smsSenderFor(sms, config.timeZone, cliLogger());
    return issueCodeBySms({ service, sender, user: argv.user, number, request, actor, purpose: 'login' });
  });
  print(argv, { id: sent.id, kind: argv.kind, sent_to: sent.to, expires_at: sent.expiresAt }, () => [
    `Authorization code ${sent.id} for ${argv.user} sent by SMS to ${sent.to}; expires ${humanDate(sent.expiresAt, cliTimeZone(argv))}.`,
  ]);
}

function renderIssued(user: string, codes: readonly IssuedCode[], timeZone: string): string[] {
  const first = codes[0]!;
  return [
    `${codes.length === 1 ? 'Code' : `${codes.length} codes`} for ${user} (${first.kind}; ${HOW_TO_TYPE[first.kind]}):`,
    '',
    ...codes.map((code) => `    ${groupCode(code.code)}    id ${code.id}`),
    '',
    `Expires ${humanDate(first.expiresAt, timeZone)}; ${first.maxUses === null ? 'any number of uses until then' : `${first.maxUses} use${first.maxUses === 1 ? '' : 's'} per code`}.`,
    'Hyphens and case do not matter. This is the only time the code is shown.',
  ];
}


/** One line for a temporary bypass: what it lets in, until when, and the id that ends it. */
function describeAccess(access: TemporaryAccessView, timeZone: string): string {
  const state = access.state === 'active' ? `active until ${humanDate(access.endsAt, timeZone)}` : access.state === 'revoked' ? `revoked by ${access.revokedBy ?? '?'}` : `ended ${humanDate(access.endsAt, timeZone)}`;
  return `PIN-only access (temporary bypass) ${state}; used ${access.uses} time${access.uses === 1 ? '' : 's'}; id ${access.id}`;
}

function renderList({ codes, challenge }: { codes: readonly CodeView[]; challenge: ChallengeAccessView }, timeZone: string): string[] {
  const lines: string[] = [];
  if (codes.length === 0) lines.push('no codes');
  else {
    const rows = codes.map((code) => [
      code.id,
      code.kind,
      code.state,
      humanDate(code.issuedAt, timeZone),
      humanDate(code.expiresAt, timeZone),
      `${code.uses}/${code.maxUses ?? '∞'}`,
      humanDate(code.lastUsedAt, timeZone),
      code.issuedBy,
      code.reason,
    ]);
    const [header, ...body] = table(['ID', 'KIND', 'STATE', 'ISSUED', 'EXPIRES', 'USES', 'LAST USED', 'BY', 'REASON'], rows);
    lines.push(header!);
    // The lock a code's use left is shown under that code (SPEC "Issued codes").
    codes.forEach((code, i) => {
      lines.push(body[i]!);
      if (code.temporaryAccess !== undefined) lines.push(`  └ ${describeAccess(code.temporaryAccess, timeZone)}`);
    });
  }
  for (const pending of challenge.pendingRequests) lines.push(`pending request code ${groupCode(pending.requestCode)} until ${humanDate(pending.expiresAt, timeZone)} (cancel: code revoke --request)`);
  const offline = challenge.temporaryAccess;
  if (offline !== undefined) {
    const from = 'requestCode' in offline.createdBy ? `offline authorization code for request ${groupCode(offline.createdBy.requestCode)}` : `authorization code ${offline.createdBy.codeId}`;
    lines.push(`${from}: ${describeAccess(offline, timeZone)}`);
  }
  return lines;
}

const list: CommandModule<GlobalOptions, UserArgs> = {
  command: 'list <user>',
  describe: "List a user's codes, pending request codes and temporary access: metadata and state only, never the codes",
  builder: (yargs) => yargs.positional('user', { type: 'string', demandOption: true }).example('$0 code list alice', "alice's codes and their state") as never,
  handler: async (argv) => {
    const listing = await withService(argv, (service) => service.codeListing(argv.user));
    print(argv, listing, (shown) => renderList(shown, cliTimeZone(argv)));
  },
};

/** The ids `code issue` gives (5 random bytes in hex) and the gateway gives a bypass (10 hex digits of a SHA-1). */
const CODE_ID = /^[0-9a-f]{10}$/;

interface RevokeArgs extends UserArgs {
  readonly id: string | undefined;
  readonly last: boolean;
  readonly kind: CodeKind | undefined;
  readonly all: boolean;
  readonly request: string | undefined;
}

const revoke: CommandModule<GlobalOptions, RevokeArgs> = {
  command: 'revoke <user>',
  describe: 'Revoke one code (--id), the last issued (--last [--kind K]), all (--all) or a pending request code (--request); effective at once everywhere',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('id', { type: 'string', requiresArg: true, describe: 'The id shown by code issue / code list (a code, or a temporary bypass)' })
      .option('last', { type: 'boolean', default: false, describe: 'The code (or set) a helpdesk issued last' })
      .option('kind', { choices: KINDS, describe: 'With --last: the last issued of this kind' })
      .option('all', { type: 'boolean', default: false, describe: "All of the user's codes, temporary bypass and pending request codes" })
      .option('request', { type: 'string', requiresArg: true, describe: 'Cancel one pending request code of the challenge flow' })
      .example('$0 code revoke alice --last --reason "token found"', 'revoke the last issued code')
      .example('$0 code revoke alice --last --kind online-authcode', 'revoke the last authorization code, and the PIN-only access it left')
      .example('$0 code revoke alice --id 3f9a20c1de', 'revoke one code')
      .example('$0 code revoke alice --request 7KAC-3EWX', 'an authorization code read out for it is then refused') as never,
  handler: async (argv) => {
    const chosen = [argv.id !== undefined, argv.last, argv.all, argv.request !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw usageError('name exactly one of --id ID, --last, --all or --request CODE');
    if (argv.kind !== undefined && !argv.last) throw usageError('--kind goes with --last');
    if (argv.id !== undefined && !CODE_ID.test(argv.id)) throw usageError(`--id ${JSON.stringify(argv.id.slice(0, 40))} is not a code id: 10 hexadecimal characters, as code list shows them`);
    if (argv.request !== undefined && canonicalRequestCode(argv.request) === undefined) {
      throw usageError(`--request: ${REQUEST_CODE_FORM}`);
    }
    const actor = actorOf(argv);
    if (argv.request !== undefined) {
      const request = argv.request;
      const cancelled = await withService(argv, (service) => service.cancelRequestCode(argv.user, request, actor));
      print(argv, { revoked: [], temporaryAccess: [], requestCodes: [cancelled] }, () => [`cancelled pending request code ${groupCode(cancelled)}`]);
      return;
    }
    const selector: RevokeRequest = argv.id !== undefined ? { id: argv.id } : argv.last ? { last: argv.kind } : 'all';
    const revoked = await withService(argv, (service) => service.revokeCodes(argv.user, selector, actor));
    const result = { revoked: revoked.codes.map((code) => code.id), temporaryAccess: revoked.temporaryAccess.map((access) => access.id), requestCodes: revoked.requestCodes };
    print(argv, result, ({ revoked: ids, temporaryAccess, requestCodes }) => {
      const lines: string[] = [];
      if (ids.length > 0) lines.push(`revoked ${ids.length} code${ids.length === 1 ? '' : 's'}: ${ids.join(', ')}`);
      if (temporaryAccess.length > 0) lines.push(`ended PIN-only access (temporary bypass): ${temporaryAccess.join(', ')}`);
      if (requestCodes.length > 0) lines.push(`cancelled pending request code${requestCodes.length === 1 ? '' : 's'}: ${requestCodes.map(groupCode).join(', ')}`);
      return lines.length > 0 ? lines : ['nothing to revoke (no active code matched)'];
    });
  },
};

export const codeCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'code <action>',
  describe: 'Issue, list and revoke emergency and authorization codes',
  builder: (yargs) => yargs.command(issue).command(list).command(revoke).demandCommand(1, 'name an action: issue, list, revoke'),
  handler: () => undefined,
};
