import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DictionaryError } from '../errors.js';
import { Dictionary } from './dictionary.js';
import { parseDictionaryText } from './parse.js';

const MAX_INCLUDE_DEPTH = 16;

/**
 * Loads `<directory>/dictionary` and everything it `$INCLUDE`s (paths relative to the
 * including file). Reading files is the only I/O here, done once at start-up.
 */
export function loadDictionary(directory: string): Dictionary {
  const dictionary = new Dictionary();
  const loading: string[] = [];

  const loadFile = (path: string, from?: { file: string; line: number }): void => {
    const absolute = resolve(path);
    if (loading.includes(absolute)) {
      throw new DictionaryError(`$INCLUDE loop through ${absolute}`, from?.file ?? absolute, from?.line);
    }
    if (loading.length >= MAX_INCLUDE_DEPTH) {
      throw new DictionaryError(`$INCLUDE nested deeper than ${MAX_INCLUDE_DEPTH}`, from?.file ?? absolute, from?.line);
    }
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new DictionaryError(`cannot read ${absolute}: ${reason}`, from?.file ?? absolute, from?.line);
    }
    loading.push(absolute);
    parseDictionaryText(text, absolute, dictionary, (included, at) => {
      loadFile(isAbsolute(included) ? included : join(dirname(absolute), included), at);
    });
    loading.pop();
  };

  loadFile(join(directory, 'dictionary'));
  return dictionary;
}
