import { LiveConfig } from '../src/config/live-config.js';
import type { ClientConfig, RadgateConfig } from '../src/config/types.js';
import { loadDictionary, type Dictionary } from '../src/protocol/index.js';
import type { ReplyAttribute } from '../src/protocol/reply-attribute.js';
import type { AccessRequest, Answer, RequestHandler } from '../src/transport/request-handler.js';
import { RadiusServer } from '../src/transport/server.js';
import { capturingLogger } from './logger.js';
import { TEST_SECRET } from './packets.js';
import { REPO_ROOT } from './paths.js';
import { TEST_REQUEST_TIMEOUT_MS } from './patience.js';

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
  constructor(public decide: (request: AccessRequest) => Answer | Promise<Answer> = () => ({ action: 'accept' })) {}
  handleAccessRequest(request: AccessRequest): Answer | Promise<Answer> {
    this.calls.push(request);
    return this.decide(request);
  }
  /** What the test says its answers can carry (none by default); the server sizes replies from it. */
  replies: readonly (readonly ReplyAttribute[])[] = [];
  possibleReplies(): readonly (readonly ReplyAttribute[])[] {
    return this.replies;
  }
  isHealthy(): boolean {
    return this.healthy;
  }
}

export interface TestServer {
  readonly server: RadiusServer;
  readonly handler: ScriptedHandler;
  readonly port: number;
  readonly lines: string[];
}

/** The UDP server alone, on 127.0.0.1:0, with a scripted handler in place of the login. */
export async function startServer(
  options: {
    handler?: ScriptedHandler;
    clients?: ClientConfig[];
    config?: Partial<Pick<RadgateConfig, 'listen' | 'replyCache' | 'requestTimeoutMs'>>;
  } = {},
): Promise<TestServer> {
  const handler = options.handler ?? new ScriptedHandler();
  const { logger, lines } = capturingLogger();
  const server = new RadiusServer({
    config: new LiveConfig({
      listen: [{ host: '127.0.0.1', port: 0, family: 4 }],
      clients: options.clients ?? [testClient()],
      dictionary: projectDictionary(),
      replyCache: { ttlSeconds: 10, maxEntries: 10_000 },
      requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS,
      ...options.config,
    }),
    handler,
    logger,
  });
  await server.start();
  return { server, handler, port: server.addresses()[0]!.port, lines };
}
