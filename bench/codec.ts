/**
 * Codec benchmark (pino-style: one script, compared against the alternative, results in
 * bench/README.md). Measures the protocol work one Access-Request costs a RADIUS server:
 *
 *   decode → verify authenticity → unhide User-Password → encode an Access-Accept
 *
 * for radgate's codec and for the npm `radius` package doing the equivalent
 * (`radius.decode` with the secret, which checks the Message-Authenticator and decrypts the
 * password, then `radius.encode_response`), with and without a Message-Authenticator in
 * the request. Both decode the very same request bytes.
 *
 * Run: `npm run bench:codec` (or `node dist/bench/codec.js` after a build).
 * BENCH_ROUNDS (default 5) rounds of BENCH_ROUND_MS (default 1000) ms per case, after one
 * warm-up round; the median round is reported. Cases are interleaved round by round so
 * that a CPU slowing down or a noisy neighbour hurts both sides alike.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import radius from 'radius';
import {
  AttributeType,
  checkRequestAuthenticity,
  decodePacket,
  encodeAttribute,
  encodeReply,
  encodeRequest,
  findAttribute,
  hideUserPassword,
  loadDictionary,
  PacketCode,
  randomAuthenticator,
  unhideUserPassword,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type AuthenticityPolicy,
  type RawAttribute,
} from '../src/protocol/index.js';

const ROUNDS = positiveInteger('BENCH_ROUNDS', 5);
const ROUND_MS = positiveInteger('BENCH_ROUND_MS', 1000);

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${text}"`);
  return value;
}

const dictionary = loadDictionary(fileURLToPath(new URL('../../dictionaries', import.meta.url)));
const SECRET_TEXT = 'bench-shared-secret-0123';
const SECRET = Buffer.from(SECRET_TEXT);
/** PIN + tokencode, what radgate's users type. */
const PASSWORD = '4821093164';

/** An Access-Request as a VPN concentrator sends it. */
function accessRequest(withMessageAuthenticator: boolean): Buffer {
  const authenticator = randomAuthenticator();
  const attributes: RawAttribute[] = [
    encodeAttribute(dictionary, { name: 'User-Name', value: 'alice@example.com' }),
    { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(PASSWORD), SECRET, authenticator) },
    encodeAttribute(dictionary, { name: 'NAS-IP-Address', value: '192.0.2.10' }),
    encodeAttribute(dictionary, { name: 'NAS-Port', value: 4242 }),
    encodeAttribute(dictionary, { name: 'Called-Station-Id', value: '00-11-22-33-44-55:corp-vpn' }),
    encodeAttribute(dictionary, { name: 'Calling-Station-Id', value: '198.51.100.7' }),
    encodeAttribute(dictionary, { name: 'NAS-Identifier', value: 'vpn-gw-1' }),
  ];
  return encodeRequest({
    code: PacketCode.AccessRequest,
    identifier: 42,
    authenticator,
    attributes,
    secret: SECRET,
    messageAuthenticator: withMessageAuthenticator,
  });
}

/** The BlastRADIUS-hardened policy for clients that send a Message-Authenticator, the lenient one otherwise. */
const STRICT: AuthenticityPolicy = { requireMessageAuthenticator: true, limitProxyState: true };
const LEGACY: AuthenticityPolicy = { requireMessageAuthenticator: false, limitProxyState: true };

/**
 * radgate: the calls the gateway makes. Reply attributes are encoded from their names on
 * every request, as the radius package must do too. Our reply always carries a
 * Message-Authenticator (RFC 3579 §3.2, first, for BlastRADIUS), even to a request
 * without one — an extra HMAC-MD5 the radius package does not compute in that case.
 */
function radgateOnce(request: Buffer, policy: AuthenticityPolicy): Buffer {
  const packet = decodePacket(request);
  const refused = checkRequestAuthenticity(packet, SECRET, policy);
  if (refused !== undefined) throw new Error(`benchmark request refused: ${refused}`);
  const hidden = findAttribute(packet, AttributeType.UserPassword);
  if (hidden === undefined) throw new Error('benchmark request has no User-Password');
  const password = unhideUserPassword(hidden, SECRET, packet.authenticator);
  if (password.length !== PASSWORD.length) throw new Error('wrong password');
  return encodeReply({
    code: PacketCode.AccessAccept,
    identifier: packet.identifier,
    requestAuthenticator: packet.authenticator,
    attributes: [
      encodeAttribute(dictionary, { name: 'Reply-Message', value: 'Welcome' }),
      encodeAttribute(dictionary, { name: 'Session-Timeout', value: 28800 }),
    ],
    secret: SECRET,
  });
}

/** The radius package: decode (checks the Message-Authenticator when present), reply. */
function radiusOnce(request: Buffer): Buffer {
  const packet = radius.decode({ packet: request, secret: SECRET_TEXT });
  const password = packet.attributes['User-Password'];
  if (typeof password !== 'string' || password.length !== PASSWORD.length) throw new Error('wrong password');
  return radius.encode_response({
    packet,
    code: 'Access-Accept',
    secret: SECRET_TEXT,
    attributes: [
      ['Reply-Message', 'Welcome'],
      ['Session-Timeout', 28800],
    ],
  });
}

interface Case {
  readonly scenario: string;
  readonly implementation: 'radgate' | 'radius';
  readonly run: () => Buffer;
  readonly samples: number[];
}

/** Both sides must produce a reply that really answers the request before we time them. */
function checkReply(request: Buffer, reply: Buffer, withMessageAuthenticator: boolean, name: string): void {
  const requestPacket = decodePacket(request);
  const replyPacket = decodePacket(reply);
  if (!verifyResponseAuthenticator(replyPacket, requestPacket.authenticator, SECRET)) throw new Error(`${name}: bad Response Authenticator`);
  const signed = replyPacket.messageAuthenticatorOffset >= 0;
  if (signed && !verifyMessageAuthenticator(replyPacket, SECRET, requestPacket.authenticator)) throw new Error(`${name}: bad Message-Authenticator`);
  if (withMessageAuthenticator && !signed) throw new Error(`${name}: reply lacks a Message-Authenticator`);
}

let sink = 0;

/** Runs `run` for about `ms` milliseconds; returns operations per second. */
function round(run: () => Buffer, ms: number): number {
  const budget = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  let operations = 0;
  while (elapsed < budget) {
    for (let i = 0; i < 64; i++) sink += run().length;
    operations += 64;
    elapsed = process.hrtime.bigint() - start;
  }
  return operations / (Number(elapsed) / 1e9);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function format(opsPerSecond: number): string {
  return Math.round(opsPerSecond).toLocaleString('en-US');
}

function main(): void {
  const cases: Case[] = [];
  for (const withMessageAuthenticator of [true, false]) {
    const request = accessRequest(withMessageAuthenticator);
    const scenario = withMessageAuthenticator ? 'with Message-Authenticator' : 'without Message-Authenticator';
    const policy = withMessageAuthenticator ? STRICT : LEGACY;
    const ours = () => radgateOnce(request, policy);
    const theirs = () => radiusOnce(request);
    checkReply(request, ours(), withMessageAuthenticator, 'radgate');
    checkReply(request, theirs(), withMessageAuthenticator, 'radius');
    cases.push({ scenario, implementation: 'radgate', run: ours, samples: [] });
    cases.push({ scenario, implementation: 'radius', run: theirs, samples: [] });
  }

  for (const benchCase of cases) round(benchCase.run, Math.min(ROUND_MS, 500)); // warm-up, JIT
  for (let r = 0; r < ROUNDS; r++) {
    for (const benchCase of cases) benchCase.samples.push(round(benchCase.run, ROUND_MS));
  }

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`Node ${process.version}, ${cpu}; median of ${ROUNDS} rounds of ${ROUND_MS} ms each`);
  console.log('decode Access-Request → verify authenticity → unhide User-Password → encode Access-Accept\n');
  console.log('| Request | radgate ops/s | radius 1.1.4 ops/s | radgate / radius |');
  console.log('|---|---:|---:|---:|');
  for (const scenario of new Set(cases.map((benchCase) => benchCase.scenario))) {
    const ours = median(cases.find((c) => c.scenario === scenario && c.implementation === 'radgate')!.samples);
    const theirs = median(cases.find((c) => c.scenario === scenario && c.implementation === 'radius')!.samples);
    console.log(`| ${scenario} | ${format(ours)} | ${format(theirs)} | ${(ours / theirs).toFixed(2)}× |`);
  }
  if (sink === 0) console.log('(no replies produced)');
}

main();
