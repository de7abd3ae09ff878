/**
 * The self-service pages in tests: a stack (real redis-server) with an `sms` section that
 * sends through the test's own SMS gateway, the pages on a free loopback port with the
 * stack's clock and logger, a gateway for radclient logins, and users with a PIN, a TOTP
 * token and a mobile number made the way an admin makes them.
 */
import type { RadgateConfig } from '../src/config/types.js';
import { startSelfService, type RunningSelfService } from '../src/serve/self-service-endpoint.js';
import { consoleCertificate, type ConsoleCertificate } from './console.js';
import { TEST_SECRET } from './packets.js';
import { patient } from './patience.js';
import { radclient } from './radclient.js';
import { TestSmsGateway, webhookSmsSection } from './sms-gateway.js';
import { OPERATOR, startStack, type Stack } from './stack.js';
import { addUserWithToken } from './users.js';
import { WebClient } from './web-client.js';

/** The `self_service:` section on a free loopback port; a short answer time keeps tests quick. */
export function selfServiceSection(tls: ConsoleCertificate, more = ''): string {
  return `self_service:\n  listen: "127.0.0.1:0"\n  certificate_file: ${tls.certificateFile}\n  key_file: ${tls.keyFile}\n  answer_ms: 300\n${more}`;
}

export interface SelfServiceStack {
  readonly stack: Stack;
  /** The test's SMS gateway, which the webhook provider posts to. */
  readonly sms: TestSmsGateway;
  readonly tls: ConsoleCertificate;
  /** The pages' HTTPS port (the first pages started). */
  readonly port: number;
  /** The gateway's RADIUS port, for radclient. */
  readonly radiusPort: number;
  /** Another set of pages on the same stack, with changed settings (a lower limit, a trusted proxy). */
  startPages(change: (settings: NonNullable<RadgateConfig['selfService']>) => NonNullable<RadgateConfig['selfService']>): Promise<number>;
  /** A browser's worth of cookies against the pages on `port`. */
  client(port?: number): WebClient;
  /** A user with PIN, TOTP token and (unless null) mobile number; returns the token's otpauth:// URI. */
  addUser(name: string, pin: string, mobile: string | null): Promise<string>;
  /** An Access-Request through radclient: 0 for Access-Accept, 1 otherwise. */
  login(user: string, password: string): Promise<number>;
  close(): Promise<void>;
}

export interface SelfServiceStackOptions {
  /** More lines under `self_service:`. */
  readonly selfService?: string;
  /** Lines under `policy:` (default: no reject delay). */
  readonly policy?: string;
}

export async function startSelfServiceStack(options: SelfServiceStackOptions = {}): Promise<SelfServiceStack> {
  const sms = await TestSmsGateway.start();
  const tls = consoleCertificate();
  const running: RunningSelfService[] = [];
  let stack: Stack | undefined;
  try {
    stack = await startStack({ extra: `${webhookSmsSection(sms.url)}${selfServiceSection(tls, options.selfService)}`, captureLevel: 'info', ...(options.policy === undefined ? {} : { policy: options.policy }) });
    const opened = stack;
    const gateway = await opened.startGateway();
    const start = async (config: RadgateConfig): Promise<number> => {
      const pages = await startSelfService(config, opened.logger, { connectTimeoutMs: patient(5000), clock: opened.clock.read });
      running.push(pages!);
      return pages!.port;
    };
    const port = await start(opened.config);
    const radiusPort = gateway.server.addresses()[0]!.port;
    return {
      stack: opened,
      sms,
      tls,
      port,
      radiusPort,
      startPages: (change) => start({ ...opened.config, selfService: change(opened.config.selfService!) }),
      client: (on = port) => new WebClient(on, tls.certificate),
      async addUser(name, pin, mobile) {
        const uri = await addUserWithToken(opened.admin, name, pin);
        if (mobile !== null) await opened.admin.service.setMobile(name, mobile, OPERATOR);
        return uri;
      },
      async login(user, password) {
        const attributes = `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`;
        return (await radclient(`127.0.0.1:${radiusPort}`, 'auth', attributes, TEST_SECRET)).exitCode;
      },
      async close() {
        for (const pages of running) await pages.close();
        await opened.close();
        await sms.close();
      },
    };
  } catch (error) {
    for (const pages of running) await pages.close();
    await stack?.close();
    await sms.close();
    throw error;
  }
}
