/**
 * What the request path tells whoever listens (metrics now; anything later), through
 * named `diagnostics_channel` channels as undici does (STYLE.md "Contracts that run one
 * way"): the transport, the login and the store publish, observability/gateway-metrics.ts
 * subscribes, and no counter object is threaded through the calls. A channel with no
 * subscriber costs one property read (`hasSubscribers`) per event.
 */
import { channel } from 'node:diagnostics_channel';

/** One request admitted past the protocol checks, answered or dropped after its decision. */
export interface RequestAnsweredEvent {
  /** How the request came: RADIUS/UDP or RADIUS/TLS (RFC 6614). */
  readonly transport: 'udp' | 'radsec';
  /** The configured client's name (never an address a spoofer chose). */
  readonly client: string;
  /** The request's packet code name: Access-Request or Status-Server. */
  readonly code: string;
  readonly result: 'accept' | 'reject' | 'challenge' | 'dropped';
  /** How the user got in (accept, challenge); '' otherwise. */
  readonly method: string;
  /** Why it was refused or dropped; '' for an accept or a challenge. */
  readonly reason: string;
  /** From the datagram's arrival to the answer being ready, before any reject delay. */
  readonly seconds: number;
}

/** One command on the login path (decide.lua, WAIT): a Redis round trip. */
export interface StoreCommandEvent {
  readonly seconds: number;
  /** False when it failed or timed out (the store is then marked unavailable). */
  readonly ok: boolean;
}

/** Something the helpdesk should hear about: a user locked out now, a lost token used. */
export interface LoginAlertEvent {
  readonly kind: 'lockout' | 'lost-token';
}

/** One SMS handed to the provider (sms/sms-sender.ts): sent, or not. Nothing about whom or what. */
export interface SmsDeliveryEvent {
  readonly provider: 'webhook' | 'command';
  readonly result: 'sent' | 'failed';
}

export const requestAnswered = channel('radgate:radius:answered');
export const smsDelivery = channel('radgate:sms:delivery');
export const storeCommand = channel('radgate:store:command');
export const loginAlert = channel('radgate:login:alert');
