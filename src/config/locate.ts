/**
 * Maps a key path in the parsed data back to the line of the YAML that produced it, so
 * every error, whether from the schema or from the loader's own checks, names a line.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type KeyPath = readonly (string | number)[];

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * Line of the value at `path`; with `key: true`, of the key itself (for "unknown key"
   * errors, whose value may span many lines). A path that does not exist in the file,
   * such as a missing required key, gets the line of its nearest existing ancestor.
   */
  lineOf(path: KeyPath, options: { key?: boolean } = {}): number | undefined {
    let node: unknown = this.doc.contents;
    let line = this.startLine(node);
    for (const [i, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) return line;
        if (options.key === true && i === path.length - 1) return this.startLine(pair.key) ?? line;
        // "key:" with nothing after it has no value node; the key's line is the right one.
        next = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined || next === null) return line;
      node = next;
      line = this.startLine(node) ?? line;
    }
    return line;
  }

  private startLine(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range === undefined || range === null ? undefined : this.lineCounter.linePos(range[0]).line;
  }
}

/** "clients[0].address" from ["clients", 0, "address"]; odd keys are quoted. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Splits an ajv instancePath ("/clients/0/address", RFC 6901) into segments. */
export function parseJsonPointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const segments: (string | number)[] = [];
  let cursor: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cursor)) {
      segments.push(Number(segment));
      cursor = cursor[Number(segment)];
    } else {
      segments.push(segment);
      cursor = (cursor as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return segments;
}
