/**
 * A NAS for tests and reliability scripts: radgate's one RADIUS client (src/client) with
 * the test secret, and what load needs around it: an even pace and reply names.
 */
import { performance } from 'node:perf_hooks';
import { RadiusClient, type Exchange, type RadiusClientOptions } from '../src/client/radius-client.js';
import { PacketCode } from '../src/protocol/codes.js';
import { TEST_SECRET } from './packets.js';
import { patient } from './patience.js';

export type NasOptions = Partial<RadiusClientOptions> & { readonly port: number };

/**
 * A client of 127.0.0.1:`port` with the test secret. By default it sends a request up to
 * three times, a patient second apart, as a NAS retransmits (RFC 5080 §2.2.1).
 */
export function openNas(options: NasOptions): Promise<RadiusClient> {
  return RadiusClient.open({ host: '127.0.0.1', secret: TEST_SECRET, retransmitMs: patient(1000), transmissions: 3, ...options });
}

/** The reply code of one login by a NAS of its own (opened and closed for it). */
export async function loginOnce(port: number, user: string, password: string, options: Omit<NasOptions, 'port'> = {}): Promise<number | undefined> {
  const nas = await openNas({ port, ...options });
  try {
    return (await nas.accessRequest(user, password)).reply?.code;
  } finally {
    await nas.close();
  }
}

/**
 * Calls `send` at an even `perSecond` rate until `stop()` returns true, catching up after a
 * late timer tick rather than drifting below the rate (an open loop, as many NASes are:
 * users do not wait for each other).
 */
export async function paced(perSecond: number, stop: () => boolean, send: (index: number) => void): Promise<number> {
  const started = performance.now();
  let sent = 0;
  while (!stop()) {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
    while (sent < due && !stop()) send(sent++);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return sent;
}

export const replyName = (code: number | undefined): string =>
  code === PacketCode.AccessAccept ? 'accept' : code === PacketCode.AccessReject ? 'reject' : code === PacketCode.AccessChallenge ? 'challenge' : code === undefined ? 'none' : `code ${code}`;

/** An exchange with what the caller sent it for. */
export type Tagged<Tag> = Exchange & { readonly tag: Tag };

export async function tagged<Tag>(exchange: Promise<Exchange>, tag: Tag): Promise<Tagged<Tag>> {
  return { ...(await exchange), tag };
}
