import { randomInt } from 'node:crypto';

/** SPEC "Code formats": the alphabets a code kind may use. */
export const ALPHABETS = {
  digits: '0123456789',
  hex: '0123456789ABCDEF',
  // IBM's default for authorization and request codes: no look-alike characters.
  unambiguous: 'Z3467ACEFHJKRWXY',
} as const;
export type AlphabetName = keyof typeof ALPHABETS;

export const MIN_CODE_LENGTH = 6;
export const MAX_CODE_LENGTH = 32;

/**
 * A code drawn uniformly from the alphabet with the CSPRNG. crypto.randomInt rejects
 * out-of-range samples internally, so there is no modulo bias.
 */
export function generateCode(alphabet: AlphabetName, length: number): string {
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new RangeError(`code length must be ${MIN_CODE_LENGTH}–${MAX_CODE_LENGTH}`);
  }
  const characters = ALPHABETS[alphabet];
  let code = '';
  for (let i = 0; i < length; i++) code += characters[randomInt(characters.length)];
  return code;
}

/** Codes are not case sensitive and hyphens and spaces typed by the user are ignored. */
export function normalizeCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toUpperCase();
}

/** Shown once at issue in groups of four, e.g. 7KAC-3EWX, so it can be read over the phone. */
export function groupCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}
