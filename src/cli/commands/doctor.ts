import { existsSync, statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { RadgateConfig } from '../../config/types.js';
import { isKeyFileExposed, readKeyFile } from '../../keys/key-file.js';
import { embeddedRedisSocket } from '../../serve/open-store.js';
import { connectRedis, parseRedisUrl, type RedisTarget } from '../../store/redis-target.js';
import { countCharacters, MIN_SECRET_LENGTH } from '../../config/secrets.js';
import { loadCliConfig } from '../context.js';
import { ExitCode } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';
import { userNameCheck } from '../stored-names.js';

type Status = 'ok' | 'warn' | 'fail';
interface Check {
  readonly check: string;
  readonly status: Status;
  readonly detail: string;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

async function redisChecks(config: RadgateConfig): Promise<Check[]> {
  let target: RedisTarget;
  if (config.redis.url === undefined) {
    const socket = embeddedRedisSocket(config);
    if (!existsSync(socket)) {
      return [{ check: 'redis', status: 'ok', detail: `embedded: radgate serve starts redis-server with AOF in ${config.redis.embeddedDataDir} (not running now)` }];
    }
    target = { kind: 'unix', path: socket };
  } else {
    target = parseRedisUrl(config.redis.url);
  }
  const redis = connectRedis(target, { commandTimeoutMs: Math.max(config.redis.commandTimeoutMs, 1000) });
  redis.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection within 3 s')), 3000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const info = await redis.info();
    const checks: Check[] = [{ check: 'redis', status: 'ok', detail: `reachable, Redis ${infoField(info, 'redis_version') ?? '?'}` }];
    const aof = infoField(info, 'aof_enabled') === '1';
    checks.push(
      aof
        ? { check: 'redis persistence', status: 'ok', detail: 'AOF is on' }
        : { check: 'redis persistence', status: 'warn', detail: 'AOF is off: issued codes, revocations and use counts can be lost on a restart (appendonly yes)' },
    );
    const policy = infoField(info, 'maxmemory_policy');
    checks.push(
      policy === 'noeviction'
        ? { check: 'redis eviction', status: 'ok', detail: 'maxmemory-policy noeviction' }
        : { check: 'redis eviction', status: 'warn', detail: `maxmemory-policy ${policy ?? '?'} may evict users, codes or revocations: set noeviction` },
    );
    checks.push(await userNameCheck(redis, config));
    if (config.redis.url?.startsWith('redis+sentinel://') === true && config.redis.waitReplicas === 0) {
      checks.push({ check: 'redis replicas', status: 'warn', detail: 'Sentinel without redis.wait_replicas: a failover can lose answered consumes (codes usable twice); set wait_replicas: 1' });
    }
    return checks;
  } catch (error) {
    return [{ check: 'redis', status: 'fail', detail: `not reachable: ${error instanceof Error ? error.message : String(error)}` }];
  } finally {
    redis.disconnect();
  }
}

function keyChecks(config: RadgateConfig): Check[] {
  try {
    readKeyFile(config.keys.file);
  } catch (error) {
    return [{ check: 'key file', status: config.keys.createIfMissing ? 'warn' : 'fail', detail: (error as Error).message }];
  }
  const mode = (statSync(config.keys.file).mode & 0o777).toString(8);
  return isKeyFileExposed(config.keys.file)
    ? [{ check: 'key file', status: 'warn', detail: `${config.keys.file} has mode ${mode}: group or others can read it (chmod 600)` }]
    : [{ check: 'key file', status: 'ok', detail: `${config.keys.file}, mode ${mode}` }];
}

function clientChecks(config: RadgateConfig): Check[] {
  return config.clients.map((client) => {
    const problems: string[] = [];
    // Counted as the config check counts (characters, not bytes), against the same minimum.
    const characters = countCharacters(client.secret);
    if (characters < MIN_SECRET_LENGTH) problems.push(`weak shared secret (${characters} characters; allow_weak_secret is on)`);
    if (!client.requireMessageAuthenticator) problems.push('Message-Authenticator not required (BlastRADIUS exposure)');
    return problems.length === 0
      ? { check: `client ${client.name}`, status: 'ok' as const, detail: `${client.address}, secret from ${client.secretSource}` }
      : { check: `client ${client.name}`, status: 'warn' as const, detail: problems.join('; ') };
  });
}

export const doctorCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'doctor',
  describe: 'Check the installation: config, dictionaries, key file, clients, Redis persistence and eviction, stored user names',
  builder: (yargs) => yargs.example('$0 doctor --config /etc/radgate/radgate.yaml', 'before going live'),
  handler: async (argv) => {
    const checks: Check[] = [];
    let config: RadgateConfig | undefined;
    try {
      config = loadCliConfig(argv);
      checks.push({ check: 'config', status: 'ok', detail: config.source });
    } catch (error) {
      checks.push({ check: 'config', status: 'fail', detail: (error as Error).message });
    }
    if (config !== undefined) {
      // The loader has read them: a dictionary that does not parse fails the config check above.
      checks.push({ check: 'dictionaries', status: 'ok', detail: `${config.dictionary.attributeCount} attributes, ${config.dictionary.vendorCount} vendors` });
      checks.push(...keyChecks(config), ...clientChecks(config), ...(await redisChecks(config)));
    }
    const marks: Record<Status, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
    print(argv, { checks }, ({ checks: all }) => all.map(({ check, status, detail }) => `${marks[status]}  ${check}: ${detail}`));
    if (checks.some((check) => check.status === 'fail')) process.exitCode = ExitCode.Refused;
  },
};
