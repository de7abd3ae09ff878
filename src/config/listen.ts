/**
 * Listen strings: "0.0.0.0:1812", "[::]:1812", "[::1]:0", "127.0.0.1" and ":1812".
 */
import { RadgateError } from '../errors.js';
import { isIP } from 'node:net';
import type { ListenAddress } from './types.js';

/** RFC 2865 §3: the officially assigned port for RADIUS authentication. */
export const DEFAULT_RADIUS_PORT = 1812;

/** Thrown by {@link parseListen}; its message is meant to follow the key path. */
export class ListenError extends RadgateError {
  override readonly name = 'ListenError';
  constructor(message: string) {
    super('RADGATE_CONFIG_LISTEN_INVALID', message);
  }
}

const PORT = /^[0-9]{1,5}$/;

/**
 * Parses one listen string into the sockets it stands for.
 *
 * ":PORT" means every interface and yields two listeners, 0.0.0.0 and ::, exactly like
 * the default; every other form yields one. Hostnames are refused: a RADIUS server must
 * bind a known address, and a name resolved at start-up can silently change meaning.
 */
export function parseListen(text: string): ListenAddress[] {
  if (text.startsWith(':') && PORT.test(text.slice(1))) {
    const port = parsePort(text, text.slice(1));
    return [
      { host: '0.0.0.0', port, family: 4 },
      { host: '::', port, family: 6 },
    ];
  }

  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw new ListenError(`${JSON.stringify(text)} has "[" without a closing "]"`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) {
        throw new ListenError(`${JSON.stringify(text)}: expected ":PORT" after "]"`);
      }
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) {
      throw new ListenError(`${JSON.stringify(text)}: "${host}" in brackets is not an IPv6 address`);
    }
  } else {
    if (isIP(text) === 6) {
      // "::1812" is a valid IPv6 address, so an unbracketed IPv6 address cannot carry a port.
      throw new ListenError(
        `${JSON.stringify(text)}: put IPv6 addresses in brackets, e.g. "[${text}]:${DEFAULT_RADIUS_PORT}"`,
      );
    }
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
    if (isIP(host) !== 4) {
      throw new ListenError(
        `${JSON.stringify(text)} is not "IP:PORT", "[IPv6]:PORT", "IP" or ":PORT" (hostnames are not resolved)`,
      );
    }
  }
  const port = portText === undefined ? DEFAULT_RADIUS_PORT : parsePort(text, portText);
  return [{ host, port, family: isIP(host) === 4 ? 4 : 6 }];
}

function parsePort(text: string, portText: string): number {
  const port = Number(portText);
  if (!PORT.test(portText) || port > 65535) {
    throw new ListenError(`${JSON.stringify(text)} has an invalid port; a port is 0 to 65535`);
  }
  return port;
}
