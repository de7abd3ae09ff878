import { performance } from 'node:perf_hooks';
import type { CommandModule } from 'yargs';
import { RadiusClient } from '../../client/radius-client.js';
import { parseServer } from '../../client/server-address.js';
import { defaultDictionaryDir, loadConfigFile } from '../../config/load.js';
import type { RadgateConfig } from '../../config/types.js';
import { AttributeType, describeAttributes, findAttribute, loadDictionary, packetCodeName, PacketCode } from '../../protocol/index.js';
import { ClientTable } from '../../transport/clients.js';
import { locateConfigFile } from '../config-path.js';
import { RadgateError } from '../../errors.js';
import { ExitCode, usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { prompt, secretArgument } from '../input.js';
import { print } from '../output.js';

interface TestArgs extends GlobalOptions {
  readonly user: string;
  readonly password: string;
  readonly server: string | undefined;
  readonly secret: string | undefined;
  readonly state: string | undefined;
  readonly timeout: number;
}

interface Outcome {
  readonly code: string;
  readonly replyMessage: string | undefined;
  readonly state: string | undefined;
  readonly attributes: [string, string | number][];
  readonly latencyMs: number;
}

/** The config, if there is one: `radgate test` also works without. A broken one is an error. */
function tryConfig(argv: GlobalOptions): RadgateConfig | undefined {
  let path: string;
  try {
    path = locateConfigFile(argv.config);
  } catch {
    return undefined; // No --config, no RADGATE_CONFIG, no file in the usual places.
  }
  return loadConfigFile(path);
}

/** The gateway on this host, from the config's first listener (wildcards become loopback). */
function defaultServer(config: RadgateConfig | undefined): string {
  const first = config?.listen[0];
  if (first === undefined) return '127.0.0.1:1812';
  if (first.family === 6) return `[${first.host === '::' ? '::1' : first.host}]:${first.port}`;
  return `${first.host === '0.0.0.0' ? '127.0.0.1' : first.host}:${first.port}`;
}

/** The secret of the config's client entry for the address we send from (loopback). */
function defaultSecret(config: RadgateConfig | undefined, host: string): Buffer {
  const source = host.includes(':') ? '::1' : '127.0.0.1';
  const client = config === undefined ? undefined : new ClientTable(config.clients).lookup(source);
  if (client === undefined) throw usageError(`no --secret given and no client in the config for ${source}`);
  return client.secret;
}

/** Three tries of this long each stay within what a person waits for at a prompt. */
const MAX_TIMEOUT_SECONDS = 60;

/** --server, where a typo is a usage error rather than a stack trace. */
function serverOption(text: string): { host: string; port: number } {
  try {
    return parseServer(text);
  } catch (error) {
    throw usageError(`--server ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * --state is the State of an Access-Challenge as `--json` printed it: hex, 1 to 253 octets
 * (RFC 2865 §5.24, §5: an attribute carries at most 253). Buffer.from would silently drop
 * whatever follows a character that is not hex.
 */
function stateOption(text: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2}){1,253}$/.test(text)) throw usageError('--state must be the hex State printed by radgate test --json (an even number of 0-9a-f, at most 506)');
  return Buffer.from(text, 'hex');
}

const testCommand: CommandModule<GlobalOptions, TestArgs> = {
  command: 'test <user> <password>',
  describe: 'Send a real Access-Request (like radtest), verify the reply and print it; answers an Access-Challenge',
  builder: (yargs) =>
    yargs
      .positional('user', { type: 'string', demandOption: true })
      .positional('password', { type: 'string', demandOption: true, describe: 'What the user types; - reads it from stdin' })
      .option('server', { type: 'string', requiresArg: true, describe: 'HOST[:PORT] (default: the first listen address of the config)' })
      .option('secret', { type: 'string', requiresArg: true, describe: 'Shared secret (default: the config client for this host); - reads stdin' })
      .option('state', { type: 'string', requiresArg: true, describe: 'Answer an Access-Challenge: the State (hex) it carried' })
      .option('timeout', { type: 'number', default: 3, describe: 'Seconds to wait per try (3 tries)' })
      .example('$0 test alice 1234-7KAC3EWX', "check alice's emergency tokencode against the local gateway")
      .example('$0 test alice 1234 --json', 'a PIN alone: prints the challenge text and State') as never,
  handler: async (argv) => {
    const state = argv.state === undefined ? undefined : stateOption(argv.state);
    if (!(argv.timeout > 0 && argv.timeout <= MAX_TIMEOUT_SECONDS)) throw usageError(`--timeout must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds`);
    const config = tryConfig(argv);
    const { host, port } = serverOption(argv.server ?? defaultServer(config));
    const password = await secretArgument(String(argv.password), 'password');
    const secret = argv.secret === undefined ? defaultSecret(config, host) : Buffer.from(await secretArgument(argv.secret, 'secret'));
    if (secret.length === 0) throw usageError('--secret must not be empty');
    const dictionary = config?.dictionary ?? loadDictionary(defaultDictionaryDir());
    const client = await RadiusClient.open({ host, port, secret, retransmitMs: argv.timeout * 1000, transmissions: 3, quarantineMs: 0 }).catch((error: unknown) => {
      throw new RadgateError('RADGATE_CLI_NO_REPLY', error instanceof Error ? error.message : String(error));
    });
    const send = async (answer: string, state: Buffer | undefined): Promise<Outcome> => {
      const started = performance.now();
      const reply = (await client.accessRequest(argv.user, answer, state === undefined ? [] : [{ type: AttributeType.State, value: state }])).reply?.packet;
      if (reply === undefined) throw new RadgateError('RADGATE_CLI_NO_REPLY', `no valid reply from ${host}:${port} (wrong secret, not a client, or the store is down)`);
      const replyState = findAttribute(reply, AttributeType.State);
      return {
        code: packetCodeName(reply.code),
        replyMessage: findAttribute(reply, AttributeType.ReplyMessage)?.toString('utf8'),
        state: replyState?.toString('hex'),
        attributes: describeAttributes(dictionary, reply.attributes.filter((attribute) => attribute.type !== AttributeType.MessageAuthenticator)),
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      };
    };
    try {
      let result = await send(password, state);
      // Interactive: answer each challenge at the prompt, as a VPN client would.
      while (result.code === packetCodeName(PacketCode.AccessChallenge) && !argv.json && process.stdin.isTTY === true) {
        const answer = await prompt(`${result.replyMessage ?? 'Challenge'}\n> `);
        result = await send(answer, Buffer.from(result.state ?? '', 'hex'));
      }
      print(argv, result, (outcome) => [
        `${outcome.code} from ${host}:${port} in ${outcome.latencyMs} ms`,
        ...outcome.attributes.map(([name, value]) => `    ${name} = ${typeof value === 'string' ? JSON.stringify(value) : value}`),
      ]);
      if (result.code === packetCodeName(PacketCode.AccessReject)) process.exitCode = ExitCode.Refused;
    } finally {
      await client.close();
    }
  },
};

export { testCommand };
