import type { CommandModule } from 'yargs';
import { AUDIT_KINDS, type AuditEntryView, type AuditKind } from '../../admin/audit-reader.js';
import { attemptOutcome, attemptSource } from '../../admin/attempt-text.js';
import { cliTimeZone, withService } from '../context.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { parseDate, wholeNumber } from '../input.js';
import { humanDate, table, writeOut } from '../output.js';

interface AuditArgs extends GlobalOptions {
  readonly user: string | undefined;
  readonly since: string | undefined;
  readonly kind: AuditKind | undefined;
  readonly limit: number | undefined;
}

const DEFAULT_LIMIT = 100;
const DURATION_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--since 2h` (a duration back from now: m, h, d, w) or a date as `--expires` takes it
 * (YYYY-MM-DD[THH:MM], in the config's time_zone unless an offset is given).
 */
export function sinceOf(text: string, timeZone: string, now: number): number {
  const duration = /^(\d{1,6})([mhdw])$/.exec(text.trim().toLowerCase());
  if (duration !== null) return now - Number(duration[1]) * DURATION_MS[duration[2]!]!;
  if (/^\d/.test(text.trim())) return parseDate(text, '--since', timeZone).getTime();
  throw usageError(`--since "${text}" is neither a duration (30m, 2h, 7d, 2w) nor a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)`);
}

/** The kinds to list: all the store can give for this query (login attempts are kept per user). */
function kindsOf(argv: AuditArgs): Set<AuditKind> {
  if (argv.kind === 'login' && argv.user === undefined) {
    throw usageError('login attempts are kept per user: name one with --user (admin actions and alerts can be listed for everyone)');
  }
  if (argv.kind !== undefined) return new Set([argv.kind]);
  return new Set(AUDIT_KINDS.filter((kind) => kind !== 'login' || argv.user !== undefined));
}

function whatOf(entry: AuditEntryView): string {
  return entry.kind === 'login' ? attemptOutcome(entry.attempt) : entry.event;
}

function detailsOf(entry: AuditEntryView): string {
  if (entry.kind === 'login') {
    const [client, nas, nasId, calling, port] = attemptSource(entry.attempt);
    return `client ${client}, nas ${nas}, nas-id ${nasId}, calling-station ${calling}, port ${port}`;
  }
  const parts = entry.operator === null ? [] : [`by ${entry.operator}`];
  if (entry.reason !== null) parts.push(entry.kind === 'alert' ? `after ${entry.reason}` : `reason ${JSON.stringify(entry.reason)}`);
  for (const [key, value] of Object.entries(entry.details)) parts.push(`${key} ${value}`);
  return parts.join(', ');
}

const HEADER = ['TIME', 'KIND', 'USER', 'WHAT', 'DETAILS'] as const;

/**
 * `radgate audit`: who did what and who tried to log in, newest first. Reads the admin audit
 * stream (admin actions, and the gateway's alerts: a lost token's tokencode used, a lockout)
 * and, for one user, the last login attempts decide.lua keeps. Reads only, so it is not
 * itself audited.
 */
export const auditCommand: CommandModule<GlobalOptions, AuditArgs> = {
  command: 'audit',
  describe: 'List admin actions, alerts and (with --user) login attempts, newest first',
  builder: (yargs) =>
    yargs
      .option('user', { type: 'string', requiresArg: true, describe: 'Only this user (needed for login attempts, which are kept per user)' })
      .option('since', { type: 'string', requiresArg: true, describe: "From this time on: a duration back from now (30m, 2h, 7d) or a date in the config's time_zone" })
      .option('kind', { choices: AUDIT_KINDS, describe: 'Only admin actions, login attempts, alerts or self-service actions (default: all there are)' })
      .option('limit', { type: 'number', requiresArg: true, describe: `At most this many entries, the newest (default ${DEFAULT_LIMIT})` })
      .example('$0 audit --user alice --since 2h', "alice's login attempts and the admin actions on her, the last two hours")
      .example('$0 audit --kind alert --since 7d --json', 'lost tokens used and lockouts this week, for a script')
      .example('$0 audit --kind admin --since 2026-12-01', 'every admin action since December 1st') as never,
  handler: async (argv) => {
    // Every usage error before anything is opened.
    const kinds = kindsOf(argv);
    const limit = wholeNumber(argv.limit, '--limit', { min: 1, max: 100_000 }) ?? DEFAULT_LIMIT;
    const timeZone = cliTimeZone(argv);
    const sinceMs = argv.since === undefined ? 0 : sinceOf(argv.since, timeZone, Date.now());
    const entries = await withService(argv, (_service, admin) => admin.audit.query({ user: argv.user, sinceMs, kinds, limit }));
    if (argv.json) {
      await writeOut(`${JSON.stringify({ entries })}\n`);
      return;
    }
    const rows = entries.map((entry) => [humanDate(entry.at, timeZone), entry.kind, entry.user ?? '-', whatOf(entry), detailsOf(entry)]);
    await writeOut(`${table(HEADER, rows).join('\n')}\n`);
    process.stderr.write(`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${entries.length === limit ? ` (the newest ${limit}; --limit for more)` : ''}\n`);
  },
};
