/**
 * A stack with a gateway and the challenge flow on (SPEC "Challenge flow"), and what tests
 * of it need: send a request as a NAS (from a second client address too), read a
 * challenge, compute the answer the helpdesk would read out.
 */
import { deriveOfflineAuthcode } from '../src/credentials/offline-authcode.js';
import { AttributeType, PacketCode, type RadiusPacket } from '../src/protocol/index.js';
import type { Gateway } from '../src/serve/gateway.js';
import { openNas } from './nas.js';
import { OPERATOR, startStack, type Stack } from './stack.js';

export const CHALLENGE = (bypass: boolean) => `challenge:
  enabled: true
  pending_seconds: 900
  validities: [1d, 3d]
  temporary_bypass: ${bypass}
`;
export const SECOND_NAS = `  - name: other-nas
    address: 127.0.0.2
    secret_env: TEST_SECRET
`;

export interface ChallengeHarness {
  readonly stack: Stack;
  readonly gateway: Gateway;
  readonly port: number;
  /** One request from a NAS of its own: from a client address (`from`), to another gateway (`port`). */
  send(user: string, password: string, options?: { state?: Buffer; from?: string; port?: number }): Promise<RadiusPacket | undefined>;
  close(): Promise<void>;
}

export async function challengeHarness(bypass: boolean, options: { extra?: string; policy?: string } = { extra: CHALLENGE(bypass) }): Promise<ChallengeHarness> {
  const stack = await startStack({ ...options, clients: SECOND_NAS });
  const gateway = await stack.startGateway();
  const port = gateway.server.addresses()[0]!.port;
  return {
    stack,
    gateway,
    port,
    async send(user, password, options = {}) {
      const peer = await openNas({ port: options.port ?? port, localAddress: options.from ?? '127.0.0.1' });
      try {
        const attributes = options.state === undefined ? [] : [{ type: AttributeType.State, value: options.state }];
        return (await peer.send({ kind: 'access', userName: user, password, attributes })).reply?.packet;
      } finally {
        await peer.close();
      }
    },
    close: () => stack.close(),
  };
}

export async function userWithToken(h: ChallengeHarness, user: string, pin = '1357'): Promise<string> {
  await h.stack.admin.service.addUser(user, pin, OPERATOR);
  return (await h.stack.admin.service.assignToken(user, {}, OPERATOR)).uri;
}

/** The request code and State of an Access-Challenge. */
export function challengeOf(reply: RadiusPacket | undefined): { requestCode: string; state: Buffer; message: string } {
  if (reply?.code !== PacketCode.AccessChallenge) throw new Error(`expected an Access-Challenge, got ${reply?.code}`);
  const message = reply.attributes.find((a) => a.type === AttributeType.ReplyMessage)!.value.toString();
  const state = reply.attributes.find((a) => a.type === AttributeType.State)!.value;
  const requestCode = /request code ([Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4})/.exec(message)![1]!.replace('-', '');
  return { requestCode, state, message };
}

export function authcode(h: ChallengeHarness, user: string, requestCode: string, validity = '1d'): string {
  return deriveOfflineAuthcode(h.stack.admin.keyring, user, requestCode, validity);
}
