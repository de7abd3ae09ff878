import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import type { ClientConfig, RadgateConfig } from '../../src/config/types.js';
import { loadDictionary, type Dictionary } from '../../src/protocol/index.js';
import type { AccessRequest, Decision, RequestHandler } from '../../src/transport/handler.js';
import { RadiusServer } from '../../src/transport/server.js';
import { TEST_SECRET } from './packets.js';

/** The repository root, from dist/test/helpers/ (compiled) three levels up. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let dictionary: Dictionary | undefined;
export function projectDictionary(): Dictionary {
  dictionary ??= loadDictionary(`${REPO_ROOT}dictionaries`);
  return dictionary;
}

export function testClient(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return {
    name: 'test-nas',
    address: '127.0.0.1/32',
    secret: TEST_SECRET,
    secretSource: 'inline',
    requireMessageAuthenticator: true,
    limitProxyState: true,
    allowWeakSecret: false,
    ...overrides,
  };
}

/** A handler whose answers and health a test controls, and which counts its calls. */
export class ScriptedHandler implements RequestHandler {
  calls: AccessRequest[] = [];
  healthy = true;
  constructor(public decide: (request: AccessRequest) => Decision | Promise<Decision> = () => ({ action: 'accept' })) {}
  handleAccessRequest(request: AccessRequest): Decision | Promise<Decision> {
    this.calls.push(request);
    return this.decide(request);
  }
  isHealthy(): boolean {
    return this.healthy;
  }
}

/** Collects every log line as text, so tests can search what an operator would see. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

export interface TestGateway {
  readonly server: RadiusServer;
  readonly handler: ScriptedHandler;
  readonly port: number;
  readonly lines: string[];
}

export async function startGateway(
  options: {
    handler?: ScriptedHandler;
    clients?: ClientConfig[];
    config?: Partial<Pick<RadgateConfig, 'listen' | 'replyCache' | 'requestTimeoutMs'>>;
  } = {},
): Promise<TestGateway> {
  const handler = options.handler ?? new ScriptedHandler();
  const { logger, lines } = capturingLogger();
  const server = new RadiusServer({
    config: {
      listen: [{ host: '127.0.0.1', port: 0, family: 4 }],
      clients: options.clients ?? [testClient()],
      replyCache: { ttlSeconds: 10, maxEntries: 10_000 },
      requestTimeoutMs: 2000,
      ...options.config,
    },
    dictionary: projectDictionary(),
    handler,
    logger,
  });
  await server.start();
  return { server, handler, port: server.addresses()[0]!.port, lines };
}
