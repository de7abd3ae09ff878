import QRCode from 'qrcode';
import type { Argv, CommandModule } from 'yargs';
import { decodeTokenSecret, TOTP_PERIOD_SECONDS } from '../../credentials/otp/token-rules.js';
import { actorOf, cliTimeZone, withService } from '../context.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { parseDate, secretArgument, wholeNumber } from '../input.js';
import { print } from '../output.js';

type UserArgs = GlobalOptions & { user: string };

interface AssignArgs extends UserArgs {
  readonly type: 'totp' | 'hotp';
  readonly digits: number;
  readonly period: number;
  readonly secret: string | undefined;
  readonly expires: string | undefined;
  readonly replace: boolean;
}

const assign: CommandModule<GlobalOptions, AssignArgs> = {
  command: 'assign <user>',
  describe: 'Assign a TOTP/HOTP token (--replace for a user who has one); prints the otpauth:// URI and a QR code once',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .option('type', { choices: ['totp', 'hotp'] as const, default: 'totp' as const, describe: 'RFC 6238 TOTP or RFC 4226 HOTP' })
      .option('digits', { type: 'number', choices: [6, 8], default: 6 })
      .option('period', { type: 'number', default: 30, describe: 'TOTP time step in seconds' })
      .option('secret', { type: 'string', requiresArg: true, describe: 'Base32 secret of an existing hardware token (default: a new random one); - reads it from stdin' })
      .option('expires', { type: 'string', requiresArg: true, describe: "Token expiry date, YYYY-MM-DD (00:00 in the config's time_zone)" })
      .option('replace', { type: 'boolean', default: false, describe: 'Replace the token the user has (its tokencodes stop working at once)' })
      .example('$0 token assign alice', 'enrol a new TOTP token in an authenticator app')
      .example('$0 token assign alice --replace --reason INC-99', "replace alice's token with a new one") as never,
  handler: async (argv) => {
    const expiresAt = argv.expires === undefined ? undefined : parseDate(argv.expires, '--expires', cliTimeZone(argv));
    const actor = actorOf(argv);
    const period = wholeNumber(argv.period, '--period', TOTP_PERIOD_SECONDS)!;
    const digits = wholeNumber(argv.digits, '--digits') as 6 | 8;
    const secret = argv.secret === undefined ? undefined : await secretArgument(argv.secret, 'token secret');
    // Checked here, before anything is opened, so a mistyped secret is a usage error; the message never repeats it.
    if (secret !== undefined) {
      const decoded = decodeTokenSecret(secret);
      if (!Buffer.isBuffer(decoded)) throw usageError(`--secret: ${decoded.problem}`);
    }
    const result = await withService(argv, (service) =>
      service.assignToken(
        argv.user,
        { type: argv.type, digits, period, replace: argv.replace, ...(secret === undefined ? {} : { secret }), ...(expiresAt === undefined ? {} : { expiresAt }) },
        actor,
      ),
    );
    if (argv.json) {
      print(argv, result, () => []);
      return;
    }
    const qr = await QRCode.toString(result.uri, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
    print(argv, result, ({ serial, uri, replaced }) => [
      `assigned ${argv.type.toUpperCase()} token ${serial} to ${argv.user}${replaced === undefined ? '' : `, replacing token ${replaced}`}`,
      '',
      'Scan this with an authenticator app (shown once; it holds the token secret):',
      qr,
      uri,
    ]);
  },
};

function stateChange(command: 'lost' | 'found' | 'disable' | 'enable' | 'unassign', describe: string, example: string): CommandModule<GlobalOptions, UserArgs> {
  return {
    command: `${command} <user>`,
    describe,
    builder: (yargs) => yargs.positional('user', { type: 'string', demandOption: true }).example(example, describe) as Argv<UserArgs>,
    handler: async (argv) => {
      const actor = actorOf(argv);
      const revoked = await withService(argv, async (service) => {
        if (command === 'lost') await service.markTokenLost(argv.user, actor);
        else if (command === 'found') return (await service.markTokenFound(argv.user, actor)).revoked;
        else if (command === 'disable' || command === 'enable') await service.setTokenDisabled(argv.user, command === 'disable', actor);
        else await service.unassignToken(argv.user, actor);
        return [];
      });
      const done = { lost: 'marked lost: its tokencodes are refused and alerted', found: 'marked found', disable: 'disabled', enable: 'enabled', unassign: 'unassigned' }[command];
      const alsoRevoked = revoked.length === 0 ? '' : `; revoked its emergency codes: ${revoked.join(', ')}`;
      print(argv, { user: argv.user, ok: true, ...(command === 'found' ? { revoked } : {}) }, () => [`${argv.user}'s token ${done}${alsoRevoked}`]);
    },
  };
}

export const tokenCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'token <action>',
  describe: "Manage a user's OTP token",
  builder: (yargs) =>
    yargs
      .command(assign)
      .command(stateChange('lost', "Mark a user's token lost (issue emergency codes with radgate code issue)", '$0 token lost alice --reason INC-88'))
      .command(stateChange('found', "Mark a user's lost token found again (refused for a token that is not lost)", '$0 token found alice'))
      .command(stateChange('disable', "Disable a user's token: its tokencodes are refused until enabled", '$0 token disable alice'))
      .command(stateChange('enable', "Enable a disabled token", '$0 token enable alice'))
      .command(stateChange('unassign', "Remove a user's token", '$0 token unassign alice'))
      .demandCommand(1, 'name an action: assign, lost, found, disable, enable, unassign'),
  handler: () => undefined,
};
