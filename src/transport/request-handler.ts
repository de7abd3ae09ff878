import type { ClientConfig, RadgateConfig } from '../config/types.js';
import type { RadiusPacket } from '../protocol/packet.js';
import type { ReplyAttribute } from '../protocol/reply-attribute.js';

/** What the server is to answer to one authenticated Access-Request. */
export type Answer =
  | {
      readonly action: 'accept' | 'reject' | 'challenge';
      readonly attributes?: readonly ReplyAttribute[];
      /** Hold the reply this long after the request arrived (the reject delay); other requests go on. */
      readonly delayMs?: number;
      /** How the user got in, for the metrics (a bounded set, never user input). */
      readonly method?: string;
      /** Why the request was refused, for the metrics (a bounded set, never user input). */
      readonly reason?: string;
    }
  | {
      /** Send nothing, so the NAS fails over (e.g. the store is unreachable). */
      readonly action: 'drop';
      readonly reason: string;
    };

/**
 * What the transport reads of the configuration. A handler may be given more (the policy
 * gets the whole RadgateConfig): it receives the object the server read on arrival.
 */
export type TransportConfig = Pick<RadgateConfig, 'listen' | 'clients' | 'dictionary' | 'replyCache' | 'requestTimeoutMs'>;

/** An Access-Request that has passed every protocol and authenticity check. */
export interface AccessRequest<Config extends TransportConfig = TransportConfig> {
  /**
   * The configuration in force when the request arrived, which checked it: the request is
   * decided and answered under it even if a reload replaces it meanwhile.
   */
  readonly config: Config;
  readonly client: ClientConfig;
  readonly packet: RadiusPacket;
  readonly source: { readonly address: string; readonly port: number };
  /** User-Name as sent, decoded as UTF-8; undefined if absent. */
  readonly userName: string | undefined;
  /**
   * The User-Password in clear, or undefined if the request carries none (CHAP, EAP).
   * A method, not a field, so the clear text exists only when policy asks for it.
   */
  password(): Buffer | undefined;
}

/**
 * The policy behind the server: the one contract between the transport and the login
 * (login/radius-policy.ts implements it; tests plug in their own).
 */
export interface RequestHandler<Config extends TransportConfig = TransportConfig> {
  handleAccessRequest(request: AccessRequest<Config>): Promise<Answer> | Answer;
  /**
   * Every attribute list an answer can carry under this configuration (each reply profile;
   * a challenge with its variable parts at their full length). Read once per configuration
   * (at start, after each reload): a request whose largest possible reply would not fit in
   * a packet is dropped before it is decided.
   */
  possibleReplies(config: Config): readonly (readonly ReplyAttribute[])[];
  /** Status-Server is answered only while this is true (RFC 5997 §3, SPEC "Replies"). */
  isHealthy(): boolean;
  /**
   * Called before and after the requests that arrived in one event-loop turn are handed
   * over: a handler that talks to a backend can hold its writes in between and send them
   * in one system call.
   */
  beginBatch?(): void;
  endBatch?(): void;
}
