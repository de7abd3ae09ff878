import { DictionaryError } from '../errors.js';
import { DATA_TYPES, type DataType, type Dictionary, type EncryptMethod, type SourceLine, type VendorDefinition } from './dictionary.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.\/-]*$/;

/** Called for each `$INCLUDE`, with the path as written and the line it was on. */
export type IncludeHandler = (path: string, at: SourceLine) => void;

/** Parser state that survives across included files: the open BEGIN-VENDOR block. */
interface ParseState {
  vendor: VendorDefinition | undefined;
}

function parseNumber(text: string, what: string, at: SourceLine, max: number): number {
  // FreeRADIUS accepts decimal, 0x hex and 0 octal; octal is a trap, so only the first two.
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new DictionaryError(`${what} "${text}" is not a number between 0 and ${max}`, at.file, at.line);
  }
  return value;
}

function parseName(text: string | undefined, what: string, at: SourceLine): string {
  if (text === undefined) throw new DictionaryError(`missing ${what}`, at.file, at.line);
  if (!NAME.test(text)) throw new DictionaryError(`invalid ${what} "${text}"`, at.file, at.line);
  return text;
}

function parseFlags(text: string | undefined, at: SourceLine): { hasTag: boolean; encrypt: EncryptMethod; concat: boolean } {
  const flags = { hasTag: false, encrypt: 0 as EncryptMethod, concat: false };
  if (text === undefined) return flags;
  for (const flag of text.split(',')) {
    if (flag === 'has_tag') flags.hasTag = true;
    else if (flag === 'concat') flags.concat = true;
    else if (flag === 'encrypt=1') flags.encrypt = 1;
    else if (flag === 'encrypt=2') flags.encrypt = 2;
    else throw new DictionaryError(`unsupported flag "${flag}" (supported: has_tag, concat, encrypt=1, encrypt=2)`, at.file, at.line);
  }
  return flags;
}

function parseVendorFormat(text: string | undefined, at: SourceLine): Pick<VendorDefinition, 'typeOctets' | 'lengthOctets'> {
  if (text === undefined) return { typeOctets: 1, lengthOctets: 1 };
  const match = /^format=([124]),([012])$/.exec(text);
  if (match === null) throw new DictionaryError(`invalid vendor format "${text}" (expected format=T,L with T in 1,2,4 and L in 0,1,2)`, at.file, at.line);
  return { typeOctets: Number(match[1]) as 1 | 2 | 4, lengthOctets: Number(match[2]) as 0 | 1 | 2 };
}

function parseAttribute(fields: string[], dictionary: Dictionary, state: ParseState, at: SourceLine): void {
  if (fields.length < 4 || fields.length > 5) {
    throw new DictionaryError('expected ATTRIBUTE <name> <number> <type> [flags]', at.file, at.line);
  }
  const name = parseName(fields[1], 'attribute name', at);
  const vendor = state.vendor;
  const maxType = vendor === undefined ? 255 : vendor.typeOctets === 1 ? 255 : vendor.typeOctets === 2 ? 65535 : 0xffffffff;
  const type = parseNumber(fields[2]!, 'attribute number', at, maxType);
  if (type === 0 && (vendor === undefined || vendor.typeOctets === 1)) {
    throw new DictionaryError('attribute number 0 is reserved', at.file, at.line);
  }
  const dataType = fields[3]!;
  if (!(DATA_TYPES as readonly string[]).includes(dataType)) {
    throw new DictionaryError(`unknown type "${dataType}" (supported: ${DATA_TYPES.join(', ')})`, at.file, at.line);
  }
  if (dataType === 'vsa' && (vendor !== undefined || type !== 26)) {
    throw new DictionaryError('type vsa is only valid for the standard attribute 26', at.file, at.line);
  }
  const flags = parseFlags(fields[4], at);
  if (flags.encrypt !== 0 && !['string', 'octets'].includes(dataType)) {
    throw new DictionaryError('encrypt= is only valid for string and octets attributes', at.file, at.line);
  }
  if (flags.hasTag && !['string', 'octets', 'integer'].includes(dataType)) {
    throw new DictionaryError('has_tag is only valid for string, octets and integer attributes', at.file, at.line);
  }
  dictionary.addAttribute({ name, vendorId: vendor?.id ?? 0, type, dataType: dataType as DataType, ...flags }, at);
}

function parseLine(line: string, dictionary: Dictionary, state: ParseState, include: IncludeHandler, at: SourceLine): void {
  const fields = line.split(/\s+/);
  const keyword = fields[0]!;
  switch (keyword) {
    case '$INCLUDE':
      if (fields.length !== 2) throw new DictionaryError('expected $INCLUDE <file>', at.file, at.line);
      include(fields[1]!, at);
      return;
    case 'ATTRIBUTE':
      parseAttribute(fields, dictionary, state, at);
      return;
    case 'VALUE': {
      if (fields.length !== 4) throw new DictionaryError('expected VALUE <attribute> <name> <number>', at.file, at.line);
      const attributeName = parseName(fields[1], 'attribute name', at);
      const valueName = parseName(fields[2], 'value name', at);
      dictionary.addValue(attributeName, valueName, parseNumber(fields[3]!, 'value', at, 0xffffffff), at);
      return;
    }
    case 'VENDOR': {
      if (fields.length < 3 || fields.length > 4) throw new DictionaryError('expected VENDOR <name> <number> [format=T,L]', at.file, at.line);
      const name = parseName(fields[1], 'vendor name', at);
      const id = parseNumber(fields[2]!, 'vendor number', at, 0xffffff);
      if (id === 0) throw new DictionaryError('vendor number 0 is reserved', at.file, at.line);
      dictionary.addVendor({ name, id, ...parseVendorFormat(fields[3], at) }, at);
      return;
    }
    case 'BEGIN-VENDOR': {
      if (fields.length !== 2) throw new DictionaryError('expected BEGIN-VENDOR <name>', at.file, at.line);
      if (state.vendor !== undefined) throw new DictionaryError(`BEGIN-VENDOR inside the block of ${state.vendor.name}`, at.file, at.line);
      const vendor = dictionary.vendorByName(fields[1]!);
      if (vendor === undefined) throw new DictionaryError(`BEGIN-VENDOR for unknown vendor ${fields[1]}`, at.file, at.line);
      state.vendor = vendor;
      return;
    }
    case 'END-VENDOR':
      if (fields.length !== 2) throw new DictionaryError('expected END-VENDOR <name>', at.file, at.line);
      if (state.vendor === undefined || state.vendor.name.toLowerCase() !== fields[1]!.toLowerCase()) {
        throw new DictionaryError(`END-VENDOR ${fields[1]} does not close an open BEGIN-VENDOR`, at.file, at.line);
      }
      state.vendor = undefined;
      return;
    default:
      throw new DictionaryError(`unknown keyword "${keyword}"`, at.file, at.line);
  }
}

/**
 * Parses one FreeRADIUS-format dictionary file into `dictionary`. The first bad line
 * stops everything with its file and line: a half-loaded dictionary would encode reply
 * attributes wrongly and silently.
 */
export function parseDictionaryText(text: string, file: string, dictionary: Dictionary, include: IncludeHandler): void {
  const state: ParseState = { vendor: undefined };
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/#.*$/, '').trim();
    if (line === '') continue;
    parseLine(line, dictionary, state, include, { file, line: index + 1 });
  }
  if (state.vendor !== undefined) {
    throw new DictionaryError(`BEGIN-VENDOR ${state.vendor.name} is never closed`, file, lines.length);
  }
}
