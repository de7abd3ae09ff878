import type { Argv, CommandModule } from 'yargs';
import type { AttemptView } from '../../admin/audit-reader.js';
import type { UserView } from '../../admin/views.js';
import { canonicalMobile, MOBILE_FORM, NO_MOBILE } from '../../credentials/mobile-number.js';
import { ATTEMPT_HEADER, attemptRow } from '../attempt-lines.js';
import { actorOf, cliTimeZone, withService } from '../context.js';
import { refusal, usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { prompt, secretArgument } from '../input.js';
import { humanDate, print, Progress, table, writeOut } from '../output.js';

type UserArgs = GlobalOptions & { user: string };

function describeUser(user: UserView, timeZone: string): string[] {
  const token = user.token;
  return [
    `user:      ${user.name}`,
    `status:    ${user.status}${user.locked ? `, LOCKED ${user.lockedUntil === 'until-unlocked' ? 'until unlocked' : `until ${humanDate(user.lockedUntil, timeZone)}`}` : ''}`,
    `PIN:       ${user.pinSet ? 'set' : 'not set'}`,
    `failures:  ${user.failures} in a row`,
    `token:     ${token === undefined ? 'none' : `${token.type.toUpperCase()} ${token.serial}, ${token.digits} digits, ${token.state}${token.expiresAt === undefined ? '' : `, expires ${humanDate(token.expiresAt, timeZone)}`}`}`,
    `codes:     ${user.activeCodes} active (radgate code list ${user.name})`,
    `challenge: ${user.challenge}`,
    `mobile:    ${user.mobile ?? 'none'}`,
    `created:   ${humanDate(user.createdAt, timeZone)}`,
  ];
}

/** `user <action> USER`: one module per subcommand would be seven near-copies; they differ only in the service call. */
function simpleAction(
  command: string,
  describe: string,
  example: string,
  run: (args: UserArgs) => Promise<string>,
): CommandModule<GlobalOptions, UserArgs> {
  return {
    command: `${command} <user>`,
    describe,
    builder: (yargs) => yargs.positional('user', { type: 'string', demandOption: true, describe: 'User name' }).example(example, describe) as Argv<UserArgs>,
    handler: async (argv) => {
      const message = await run(argv);
      print(argv, { user: argv.user, ok: true }, () => [message]);
    },
  };
}

const add: CommandModule<GlobalOptions, UserArgs & { pin: string | undefined }> = {
  command: 'add <user>',
  describe: 'Add a user (with a PIN, or set one later)',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true, describe: 'User name, as the NAS sends it in User-Name' })
      .option('pin', { type: 'string', requiresArg: true, describe: 'The PIN; "-" reads it from standard input' })
      .example('$0 user add alice --pin - --reason INC-1234', 'add alice, reading the PIN from stdin') as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    const pin = argv.pin === undefined ? undefined : await secretArgument(argv.pin, 'PIN');
    const user = await withService(argv, (service) => service.addUser(argv.user, pin, actor));
    print(argv, user, (view) => [`added ${view.name}${view.pinSet ? ' with a PIN' : ' (no PIN yet: radgate user set-pin)'}`]);
  },
};

/** The last login attempts under the user's state: what a helpdesk asks first when a user calls. */
function describeAttempts(attempts: readonly AttemptView[], timeZone: string): string[] {
  if (attempts.length === 0) return ['last attempts: none recorded'];
  return [`last attempts (newest first):`, ...table(ATTEMPT_HEADER, attempts.map((attempt) => attemptRow(attempt, timeZone))).map((line) => `  ${line}`)];
}

const show: CommandModule<GlobalOptions, UserArgs> = {
  command: 'show <user>',
  describe: "Show a user's state: status, lockout, token, number of active codes, the last login attempts (never a secret)",
  builder: (yargs) => yargs.positional('user', { type: 'string', demandOption: true }).example('$0 user show alice', 'is alice locked out? who tried to log in as her?') as Argv<UserArgs>,
  handler: async (argv) => {
    const shown = await withService(argv, async (service, admin) => ({ ...(await service.showUser(argv.user)), attempts: await admin.audit.attempts(argv.user) }));
    const timeZone = cliTimeZone(argv);
    print(argv, shown, (view) => [...describeUser(view, timeZone), ...describeAttempts(view.attempts, timeZone)]);
  },
};

const LIST_HEADER = ['USER', 'STATUS', 'PIN', 'TOKEN', 'CODES'] as const;

function listRow(user: UserView): string[] {
  const token = user.token === undefined ? '-' : `${user.token.type} ${user.token.serial} ${user.token.state}`;
  return [user.name, user.locked ? 'locked' : user.status, user.pinSet ? 'set' : '-', token, String(user.activeCodes)];
}

/**
 * `--json` streams one object per line, as fast as its reader takes them. The table is for a
 * person and is printed once every user is read, so that its columns line up: a column's
 * width is only known from its widest cell.
 */
const list: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'list',
  describe: 'List users (--json streams one JSON object per line; the table comes once all are read)',
  builder: (yargs) => yargs.example('$0 user list --json | jq -r .name', 'every user name'),
  handler: async (argv) => {
    const rows: string[][] = [];
    await withService(argv, async (service) => {
      const total = await service.countUsers();
      const progress = new Progress();
      let count = 0;
      try {
        for await (const user of service.listUsers()) {
          progress.update(`listed ${++count} of ${total} users`);
          if (argv.json) await writeOut(`${JSON.stringify(user)}\n`);
          else rows.push(listRow(user));
        }
      } finally {
        progress.done();
      }
    });
    if (argv.json) return;
    await writeOut(`${table(LIST_HEADER, rows).join('\n')}\n`);
    process.stderr.write(`${rows.length} user${rows.length === 1 ? '' : 's'}\n`);
  },
};

const setPin: CommandModule<GlobalOptions, UserArgs & { pin: string }> = {
  command: 'set-pin <user> <pin>',
  describe: 'Set or replace a PIN ("-" reads it from standard input)',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .positional('pin', { type: 'string', demandOption: true, describe: 'The new PIN, or - to read it from stdin' })
      .example('echo 482913 | $0 user set-pin alice -', 'set a PIN without it showing in ps or history') as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    const pin = await secretArgument(String(argv.pin), 'PIN');
    await withService(argv, (service) => service.setPin(argv.user, pin, actor));
    print(argv, { user: argv.user, ok: true }, () => [`PIN set for ${argv.user}`]);
  },
};

const set: CommandModule<GlobalOptions, UserArgs & { challenge: 'on' | 'off' | undefined; mobile: string | undefined }> = {
  command: 'set <user>',
  describe: 'Change per-user settings: --challenge on|off (challenge emergency access, on by default), --mobile +NUMBER|none',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('challenge', { choices: ['on', 'off'] as const, describe: 'Answer this user\'s PIN alone with an Access-Challenge (when challenge.enabled)' })
      .option('mobile', { type: 'string', requiresArg: true, describe: `The mobile number self-service codes go to by SMS, E.164 (+4915112345678; spaces and hyphens ignored), or ${NO_MOBILE} to remove it` })
      .example('$0 user set alice --challenge off', 'no challenge emergency access for alice')
      .example('$0 user set alice --mobile "+49 151 1234 5678"', "alice's number, for authorization codes by SMS") as never,
  handler: async (argv) => {
    if (argv.challenge === undefined && argv.mobile === undefined) throw usageError('name a setting to change: --challenge on|off or --mobile +NUMBER|none');
    // The form is the command line's own business: a wrong one is found before Redis is opened.
    const mobile = argv.mobile === undefined || argv.mobile === NO_MOBILE ? argv.mobile : canonicalMobile(argv.mobile);
    if (mobile === undefined && argv.mobile !== undefined) throw usageError(`--mobile: ${MOBILE_FORM}, or ${NO_MOBILE}`);
    const actor = actorOf(argv);
    const shown = await withService(argv, async (service) => {
      if (argv.challenge !== undefined) await service.setChallenge(argv.user, argv.challenge === 'on', actor);
      const masked = mobile === undefined ? undefined : await service.setMobile(argv.user, mobile === NO_MOBILE ? null : mobile, actor);
      return { user: argv.user, ...(argv.challenge === undefined ? {} : { challenge: argv.challenge }), ...(mobile === undefined ? {} : { mobile: masked ?? null }) };
    });
    print(argv, shown, (result) => [
      ...(result.challenge === undefined ? [] : [`challenge access ${result.challenge} for ${result.user}`]),
      ...(result.mobile === undefined ? [] : [result.mobile === null ? `mobile number removed for ${result.user}` : `mobile number ${result.mobile} set for ${result.user}`]),
    ]);
  },
};

const remove: CommandModule<GlobalOptions, UserArgs & { yes: boolean }> = {
  command: 'delete <user>',
  describe: 'Delete a user with their token and every issued code (asks for confirmation)',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('yes', { type: 'boolean', default: false, describe: 'Do not ask (scripts)' })
      .option('as-stored', { type: 'boolean', default: false, describe: 'Take USER exactly as stored, without the name rules (a name radgate doctor lists as not canonical)' })
      .example('$0 user delete bob --yes --reason "left the company"', 'delete without asking')
      .example("$0 user delete Carol --as-stored --yes", 'delete a user stored before fold_case was turned on') as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    if (!argv.yes) {
      // A typo must not delete a user and their codes: confirm by typing the name again.
      if (process.stdin.isTTY !== true) throw usageError('user delete needs --yes when not run on a terminal');
      const answer = await prompt(`Delete ${argv.user}, their token and all their codes? Type the user name to confirm: `);
      if (answer.trim() !== argv.user) throw refusal('not confirmed; nothing was deleted');
    }
    await withService(argv, (service) => service.deleteUser(argv.user, actor));
    print(argv, { user: argv.user, ok: true }, () => [`deleted ${argv.user}`]);
  },
};

export const userCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'user <action>',
  describe: 'Add, inspect and change users',
  builder: (yargs) =>
    yargs
      .command(add)
      .command(show)
      .command(list)
      .command(setPin)
      .command(set)
      .command(simpleAction('disable', 'Disable a user: every login is refused until enabled', '$0 user disable alice --reason INC-77', async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (service) => service.disableUser(argv.user, actor));
        return `${argv.user} disabled`;
      }))
      .command(simpleAction('enable', 'Enable a disabled user', '$0 user enable alice', async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (service) => service.enableUser(argv.user, actor));
        return `${argv.user} enabled`;
      }))
      .command(simpleAction('unlock', 'End a lockout and reset the failure count', '$0 user unlock alice --reason "called the helpdesk"', async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (service) => service.unlockUser(argv.user, actor));
        return `${argv.user} unlocked`;
      }))
      .command(remove)
      .demandCommand(1, 'name an action: add, show, list, set-pin, set, disable, enable, unlock, delete'),
  handler: () => undefined,
};
