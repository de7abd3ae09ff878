import type { Argv, CommandModule } from 'yargs';
import type { OperatorView } from '../../admin/operators.js';
import { OPERATOR_ROLES, type OperatorRole } from '../../credentials/operator-records.js';
import { actorOf, cliTimeZone, withService } from '../context.js';
import type { GlobalOptions } from '../global-options.js';
import { secretArgument } from '../input.js';
import { humanDate, print, table } from '../output.js';

type NameArgs = GlobalOptions & { name: string };

const SHOWN_ONCE = 'Give it to the operator privately; it is shown only now. At first sign-in they enrol a TOTP authenticator.';

const add: CommandModule<GlobalOptions, NameArgs & { role: OperatorRole; password: string | undefined; sso: boolean | undefined }> = {
  command: 'add <name>',
  describe: 'Add a helpdesk console operator (a password is generated and shown once, unless given or --sso)',
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', demandOption: true })
      .option('role', { choices: OPERATOR_ROLES, demandOption: true, describe: 'helpdesk: issue, revoke, unlock, answer challenges; admin: also users, tokens, operators; auditor: read only' })
      .option('password', { type: 'string', requiresArg: true, describe: 'The password; "-" reads it from standard input (default: a generated one)' })
      // No default: yargs counts a defaulted option as given, and --password conflicts with it.
      .option('sso', { type: 'boolean', describe: 'No password: signs in only through the trusted proxy (console.trusted_proxy)' })
      .conflicts('password', 'sso')
      .example('$0 operator add dana --role helpdesk --reason INC-12', 'a helpdesk operator; prints a password to hand over') as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    const password = argv.password === undefined ? undefined : await secretArgument(argv.password, 'password');
    const added = await withService(argv, (_service, admin) => admin.operators.add(argv.name, argv.role, { ...(password === undefined ? {} : { password }), sso: argv.sso === true }, actor));
    print(argv, { ...added.view, ...(added.password === undefined ? {} : { password: added.password }) }, () => [
      `added ${argv.role} operator ${argv.name}${argv.sso === true ? ' (signs in through the trusted proxy only)' : ''}`,
      ...(added.password === undefined ? [] : ['', `    password: ${added.password}`, '', SHOWN_ONCE]),
    ]);
  },
};

const list: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'list',
  describe: 'List console operators: role, how they sign in, TOTP, lock (never a password or secret)',
  handler: async (argv) => {
    const operators = await withService(argv, (_service, admin) => admin.operators.list());
    const timeZone = cliTimeZone(argv);
    print(argv, { operators }, ({ operators: shown }) =>
      table(['OPERATOR', 'ROLE', 'SIGN-IN', 'TOTP', 'STATE', 'CREATED'], shown.map((view: OperatorView) => [view.name, view.role, view.signIn, view.totp, view.locked ? 'locked' : `${view.failures} failures`, humanDate(view.createdAt, timeZone)])),
    );
  },
};

/** `operator <action> NAME`: the actions that only name the operator differ in the service call alone. */
function nameAction(command: string, describe: string, run: (argv: NameArgs) => Promise<string[]>): CommandModule<GlobalOptions, NameArgs> {
  return {
    command: `${command} <name>`,
    describe,
    builder: (yargs) => yargs.positional('name', { type: 'string', demandOption: true }) as Argv<NameArgs>,
    handler: async (argv) => {
      const lines = await run(argv);
      print(argv, { operator: argv.name, ok: true }, () => lines);
    },
  };
}

const resetPassword: CommandModule<GlobalOptions, NameArgs & { password: string | undefined }> = {
  command: 'reset-password <name>',
  describe: "Replace an operator's password (generated and shown once unless given) and end a lock",
  builder: (yargs) =>
    yargs.positional('name', { type: 'string', demandOption: true }).option('password', { type: 'string', requiresArg: true, describe: 'The new password; "-" reads it from standard input' }) as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    const given = argv.password === undefined ? undefined : await secretArgument(argv.password, 'password');
    const generated = await withService(argv, (_service, admin) => admin.operators.resetPassword(argv.name, given, actor));
    print(argv, { operator: argv.name, ...(generated === undefined ? {} : { password: generated }) }, () => [
      `new password for ${argv.name}`,
      ...(generated === undefined ? [] : ['', `    password: ${generated}`, '', 'Give it to the operator privately; it is shown only now.']),
    ]);
  },
};

const setRole: CommandModule<GlobalOptions, NameArgs & { role: OperatorRole }> = {
  command: 'set-role <name>',
  describe: "Change an operator's role (effective at their next request)",
  builder: (yargs) => yargs.positional('name', { type: 'string', demandOption: true }).option('role', { choices: OPERATOR_ROLES, demandOption: true }) as never,
  handler: async (argv) => {
    const actor = actorOf(argv);
    await withService(argv, (_service, admin) => admin.operators.setRole(argv.name, argv.role, actor));
    print(argv, { operator: argv.name, role: argv.role }, () => [`${argv.name} is now ${argv.role}`]);
  },
};

export const operatorCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'operator <action>',
  describe: 'Manage helpdesk console operators (local accounts: password + TOTP, or SSO)',
  builder: (yargs) =>
    yargs
      .command(add)
      .command(list)
      .command(resetPassword)
      .command(setRole)
      .command(nameAction('reset-totp', "Forget an operator's TOTP secret (lost phone): they enrol anew at next sign-in", async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (_service, admin) => admin.operators.resetTotp(argv.name, actor));
        return [`${argv.name} enrols a new TOTP authenticator at next sign-in`];
      }))
      .command(nameAction('unlock', 'End the lock failed sign-ins left on an operator', async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (_service, admin) => admin.operators.unlock(argv.name, actor));
        return [`${argv.name} unlocked`];
      }))
      .command(nameAction('remove', 'Remove an operator: their sessions end at their next request', async (argv) => {
        const actor = actorOf(argv);
        await withService(argv, (_service, admin) => admin.operators.remove(argv.name, actor));
        return [`removed operator ${argv.name}`];
      }))
      .demandCommand(1, 'name an action: add, list, reset-password, set-role, reset-totp, unlock, remove'),
  handler: () => undefined,
};
