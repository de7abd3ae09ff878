import { AttributeType } from '../codes.js';
import { RadiusError, RadiusErrorCode } from '../errors.js';
import type { RawAttribute } from '../packet.js';
import { encryptTunnelPassword, hideUserPassword } from '../password.js';
import type { AttributeDefinition, Dictionary } from './dictionary.js';
import { decodeValue, encodeValue, type AttributeValue, type DecodedValue } from './values.js';

/** An attribute as config and policy write it: by dictionary name. */
export interface NamedAttribute {
  readonly name: string;
  readonly value: AttributeValue;
  /** RFC 2868 §3 tag, 1–31, for attributes declared `has_tag`. */
  readonly tag?: number;
}

/** What encrypted attributes need: the secret and the Request Authenticator they are keyed on. */
export interface EncryptionContext {
  readonly secret: Buffer;
  readonly requestAuthenticator: Buffer;
}

function invalid(message: string): RadiusError {
  return new RadiusError(RadiusErrorCode.EncodeInvalid, message);
}

/** Looks a name up, failing with a message an admin can act on. Used to check config at start. */
export function requireAttribute(dictionary: Dictionary, name: string): AttributeDefinition {
  const definition = dictionary.attributeByName(name);
  if (definition === undefined) throw invalid(`unknown attribute "${name}" (not in the loaded dictionaries)`);
  if (definition.dataType === 'vsa') throw invalid(`${name} is a container; name the vendor attribute instead`);
  return definition;
}

function applyTag(definition: AttributeDefinition, value: Buffer, tag: number | undefined): Buffer {
  if (tag === undefined) return value;
  if (!definition.hasTag) throw invalid(`${definition.name} does not take a tag`);
  if (!Number.isInteger(tag) || tag < 1 || tag > 0x1f) throw invalid(`${definition.name}: tag must be 1–31`);
  if (definition.dataType === 'integer') {
    // RFC 2868 §3.1: the tag replaces the high octet of the 32-bit value.
    if (value[0] !== 0) throw invalid(`${definition.name}: a tagged integer must fit in 24 bits`);
    const tagged = Buffer.from(value);
    tagged[0] = tag;
    return tagged;
  }
  return Buffer.concat([Buffer.from([tag]), value]);
}

function encrypt(definition: AttributeDefinition, plain: Buffer, tag: number | undefined, context: EncryptionContext | undefined): Buffer {
  if (context === undefined) throw invalid(`${definition.name} is encrypted and needs the secret and Request Authenticator`);
  if (definition.encrypt === 1) return hideUserPassword(plain, context.secret, context.requestAuthenticator);
  // RFC 2868 §3.5: Tunnel-Password always carries the tag octet (0 when untagged) before the salt.
  const salted = encryptTunnelPassword(plain, context.secret, context.requestAuthenticator);
  return Buffer.concat([Buffer.from([tag ?? 0]), salted]);
}

function vendorSpecific(dictionary: Dictionary, definition: AttributeDefinition, value: Buffer): RawAttribute {
  const vendor = dictionary.vendor(definition.vendorId);
  if (vendor === undefined) throw invalid(`${definition.name}: vendor ${definition.vendorId} is not defined`);
  const header = Buffer.alloc(4 + vendor.typeOctets + vendor.lengthOctets);
  if (header.length + value.length > 253 || (vendor.lengthOctets === 1 && vendor.typeOctets + 1 + value.length > 255)) {
    throw invalid(`${definition.name}: ${value.length} octets do not fit in one Vendor-Specific attribute`);
  }
  header.writeUInt32BE(vendor.id, 0);
  header.writeUIntBE(definition.type, 4, vendor.typeOctets);
  if (vendor.lengthOctets > 0) {
    header.writeUIntBE(vendor.typeOctets + vendor.lengthOctets + value.length, 4 + vendor.typeOctets, vendor.lengthOctets);
  }
  return { type: AttributeType.VendorSpecific, value: Buffer.concat([header, value]) };
}

/**
 * Encodes one named attribute into its wire form; vendor attributes are wrapped in a
 * Vendor-Specific attribute (RFC 2865 §5.26), one sub-attribute each, as most NAS expect.
 */
export function encodeAttribute(dictionary: Dictionary, attribute: NamedAttribute, context?: EncryptionContext): RawAttribute {
  const definition = requireAttribute(dictionary, attribute.name);
  const plain = encodeValue(definition, attribute.value);
  const value =
    definition.encrypt === 0 ? applyTag(definition, plain, attribute.tag) : encrypt(definition, plain, attribute.tag, context);
  return definition.vendorId === 0 ? { type: definition.type, value } : vendorSpecific(dictionary, definition, value);
}

/**
 * Attribute numbers whose value must never reach a log line, whatever the dictionary
 * says: the password itself, CHAP's response, and the challenge State (a bearer token
 * for the second step of a login).
 */
const ALWAYS_REDACTED = new Set<number>([AttributeType.UserPassword, AttributeType.ChapPassword, AttributeType.State]);

/** Vendor sub-attributes that are password-equivalent (MS-CHAP responses, MPPE keys). */
function isSecretDefinition(definition: AttributeDefinition): boolean {
  return definition.encrypt !== 0 || /CHAP.*Response|MPPE|Password|Secret/i.test(definition.name);
}

function render(value: DecodedValue): string | number {
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * RFC 2868 §3: a tagged integer carries the tag in its high octet; a tagged string starts
 * with a tag octet when that octet is 0x01–0x1F. Returns the tag and the untagged value.
 */
function untag(definition: AttributeDefinition, value: Buffer): { tag: number | undefined; value: Buffer } {
  if (!definition.hasTag || value.length === 0) return { tag: undefined, value };
  if (definition.dataType === 'integer') {
    if (value.length !== 4) return { tag: undefined, value };
    const untagged = Buffer.from(value);
    untagged[0] = 0;
    return { tag: value[0]!, value: untagged };
  }
  return value[0]! <= 0x1f ? { tag: value[0]!, value: value.subarray(1) } : { tag: undefined, value };
}

function renderValue(definition: AttributeDefinition, raw: Buffer): string | number {
  const { tag, value } = untag(definition, raw);
  const rendered = render(decodeValue(definition, value));
  return tag === undefined || tag === 0 ? rendered : `${rendered} (tag ${tag})`;
}

function redacted(value: Buffer): string {
  return `[redacted ${value.length} octets]`;
}

function describeVendorSpecific(dictionary: Dictionary, value: Buffer, out: [string, string | number][]): void {
  const vendorId = value.length >= 4 ? value.readUInt32BE(0) : -1;
  const vendor = vendorId >= 0 ? dictionary.vendor(vendorId) : undefined;
  if (vendor === undefined) {
    out.push([`Vendor-Specific`, vendorId >= 0 ? `vendor ${vendorId}, ${value.length - 4} octets` : redacted(value)]);
    return;
  }
  // Walk the sub-attributes; stop at the first one that does not fit, showing the rest raw.
  let offset = 4;
  const headerLength = vendor.typeOctets + vendor.lengthOctets;
  while (offset + headerLength <= value.length) {
    const type = value.readUIntBE(offset, vendor.typeOctets);
    const length = vendor.lengthOctets === 0 ? value.length - offset : value.readUIntBE(offset + vendor.typeOctets, vendor.lengthOctets);
    if (length < headerLength || offset + length > value.length) break;
    const inner = value.subarray(offset + headerLength, offset + length);
    const definition = dictionary.attribute(vendorId, type);
    if (definition === undefined) out.push([`${vendor.name}-Attr-${type}`, `0x${inner.toString('hex')}`]);
    else out.push([definition.name, isSecretDefinition(definition) ? redacted(inner) : renderValue(definition, inner)]);
    offset += length;
  }
  if (offset < value.length || value.length === 4) out.push([`${vendor.name}-Attr-malformed`, `${value.length - offset} octets`]);
}

/**
 * A log-safe view of a packet's attributes: names from the dictionary, values decoded,
 * and every password-equivalent value replaced by its length.
 */
export function describeAttributes(dictionary: Dictionary, attributes: readonly RawAttribute[]): [string, string | number][] {
  const out: [string, string | number][] = [];
  for (const { type, value } of attributes) {
    if (type === AttributeType.VendorSpecific) {
      describeVendorSpecific(dictionary, value, out);
      continue;
    }
    const definition = dictionary.attribute(0, type);
    if (definition === undefined) out.push([`Attr-${type}`, ALWAYS_REDACTED.has(type) ? redacted(value) : `0x${value.toString('hex')}`]);
    else if (ALWAYS_REDACTED.has(type) || isSecretDefinition(definition)) out.push([definition.name, redacted(value)]);
    else if (type === AttributeType.MessageAuthenticator) out.push([definition.name, `0x${value.toString('hex')}`]);
    else out.push([definition.name, renderValue(definition, value)]);
  }
  return out;
}
