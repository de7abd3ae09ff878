import { userInfo } from 'node:os';
import { pino, type Logger } from 'pino';
import { actorProblem, type Actor } from '../admin/admin-audit.js';
import type { CredentialService } from '../admin/credential-service.js';
import { loadConfigFile } from '../config/load.js';
import type { RadgateConfig } from '../config/types.js';
import { openAdmin, type AdminAccess } from '../serve/admin-access.js';
import { locateConfigFile } from './config-path.js';
import { usageError } from './exit.js';
import type { GlobalOptions } from './global-options.js';

/** The operator and reason recorded with an admin action. */
export function actorOf(argv: GlobalOptions): Actor {
  let operator = argv.operator;
  if (operator === undefined) {
    try {
      operator = userInfo().username;
    } catch {
      operator = 'unknown';
    }
  }
  const actor = { operator, reason: argv.reason };
  const problem = actorProblem(actor, { operator: '--operator', reason: '--reason' });
  if (problem !== undefined) throw usageError(problem);
  return actor;
}

const loaded = new Map<string, RadgateConfig>();

/**
 * The config, read once per command: the user-name rules, the time zone and the store a
 * command uses all come from the same reading of the file.
 */
export function loadCliConfig(argv: GlobalOptions): RadgateConfig {
  const path = locateConfigFile(argv.config);
  let config = loaded.get(path);
  if (config === undefined) {
    config = loadConfigFile(path);
    loaded.set(path, config);
  }
  return config;
}

/** The helpdesk's zone (config `time_zone`): dates are read and shown in it (SPEC "Time"). */
export function cliTimeZone(argv: GlobalOptions): string {
  return loadCliConfig(argv).timeZone;
}

/** The CLI's log: JSON lines on stderr, warnings and up unless RADGATE_CLI_LOG says otherwise. */
export function cliLogger(): Logger {
  return pino({ level: process.env.RADGATE_CLI_LOG ?? 'warn', base: { service: 'radgate-cli' } }, pino.destination(2));
}

/**
 * Runs an admin command against the credential store. The CLI logs warnings to stderr
 * only, so stdout stays the command's output; admin actions are audited by the service
 * (as JSON lines on stderr at info level when RADGATE_CLI_LOG=info, and in Redis).
 */
export async function withService<T>(argv: GlobalOptions, use: (service: CredentialService, admin: AdminAccess, config: RadgateConfig) => Promise<T>): Promise<T> {
  const config = loadCliConfig(argv);
  const logger = cliLogger();
  const admin = await openAdmin(config, logger, { connectTimeoutMs: config.redis.commandTimeoutMs * 6 });
  try {
    return await use(admin.service, admin, config);
  } finally {
    await admin.close();
  }
}
