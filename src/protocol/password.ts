import { hash, randomBytes } from 'node:crypto';
import { MAX_USER_PASSWORD_LENGTH } from './codes.js';
import { RadiusError, RadiusErrorCode } from './errors.js';

/**
 * The MD5 stream cipher shared by User-Password (RFC 2865 §5.2) and Tunnel-Password
 * (RFC 2868 §3.5): b1 = MD5(S + seed), c1 = p1 XOR b1, b2 = MD5(S + c1), ...
 * `seed` is the Request Authenticator (plus the salt for Tunnel-Password). Each pad is
 * keyed on the previous *ciphertext* block: the output when hiding, the input when
 * unhiding.
 */
function md5Stream(input: Buffer, secret: Buffer, seed: Buffer, hiding: boolean): Buffer {
  const output = Buffer.alloc(input.length);
  // S + the previous block, hashed one-shot: the secret is copied once, each block over it.
  const block = Buffer.allocUnsafe(secret.length + seed.length);
  secret.copy(block);
  let previous = seed;
  for (let offset = 0; offset < input.length; offset += 16) {
    const hashed = offset === 0 ? block : block.subarray(0, secret.length + 16);
    previous.copy(hashed, secret.length);
    const pad = hash('md5', hashed, 'buffer');
    for (let i = 0; i < 16; i++) output[offset + i] = input[offset + i]! ^ pad[i]!;
    previous = (hiding ? output : input).subarray(offset, offset + 16);
  }
  return output;
}

const hideBlocks = (plain: Buffer, secret: Buffer, seed: Buffer): Buffer => md5Stream(plain, secret, seed, true);
const unhideBlocks = (hidden: Buffer, secret: Buffer, seed: Buffer): Buffer => md5Stream(hidden, secret, seed, false);

function padTo16(value: Buffer, prefix = 0): Buffer {
  const total = Math.max(16, Math.ceil((value.length + prefix) / 16) * 16);
  const padded = Buffer.alloc(total);
  value.copy(padded, prefix);
  return padded;
}

/** RFC 2865 §5.2: hide a password for an Access-Request (client side, tests and `radgate test`). */
export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (password.length > MAX_USER_PASSWORD_LENGTH) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, `User-Password longer than ${MAX_USER_PASSWORD_LENGTH} octets`);
  }
  return hideBlocks(padTo16(password), secret, requestAuthenticator);
}

/**
 * RFC 2865 §5.2: recover the password. The decoder has already checked the length is a
 * multiple of 16. Trailing NUL padding is removed; a password cannot end in NUL, as in
 * every RADIUS server, since the padding is indistinguishable from it.
 */
export function unhideUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  const plain = unhideBlocks(hidden, secret, requestAuthenticator);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}

/**
 * RFC 2868 §3.5: Tunnel-Password in a reply. The value is a 2-octet salt whose most
 * significant bit is set, then the hidden form of (length octet + password + padding),
 * keyed on the Request Authenticator of the request being answered plus the salt. The
 * tag octet, if any, is added by the attribute encoder.
 */
export function encryptTunnelPassword(
  password: Buffer,
  secret: Buffer,
  requestAuthenticator: Buffer,
  salt: Buffer = randomSalt(),
): Buffer {
  if (password.length > 249) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, 'Tunnel-Password longer than 249 octets');
  }
  const plain = padTo16(password, 1);
  plain[0] = password.length;
  const hidden = hideBlocks(plain, secret, Buffer.concat([requestAuthenticator, salt]));
  return Buffer.concat([salt, hidden]);
}

/** The inverse of encryptTunnelPassword, for tests and for checking what we send. */
export function decryptTunnelPassword(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, 'Tunnel-Password value has an invalid length');
  }
  const salt = value.subarray(0, 2);
  const plain = unhideBlocks(value.subarray(2), secret, Buffer.concat([requestAuthenticator, salt]));
  const length = plain[0]!;
  if (length > plain.length - 1) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, 'Tunnel-Password inner length exceeds its value');
  }
  return plain.subarray(1, 1 + length);
}

function randomSalt(): Buffer {
  const salt = randomBytes(2);
  // RFC 2868 §3.5: "The most significant bit (leftmost) of the Salt field MUST be set (1)."
  salt[0]! |= 0x80;
  return salt;
}
