/**
 * Parses the YAML text into plain data plus a {@link SourceMap}, or into syntax issues
 * with line and column.
 *
 * A secret is most likely to break YAML exactly where it is written (a value starting
 * with !, *, @ or a quote), so no message produced here may quote the source text.
 */
import { LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import type { ConfigIssue } from './errors.js';
import { SourceMap } from './locate.js';

export type ParsedYaml = { data: unknown; sourceMap: SourceMap } | { issues: ConfigIssue[] };

// Billion-laughs guard: a config file has no business expanding aliases at scale.
const MAX_ALIAS_COUNT = 100;

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // prettyErrors would append the offending source line to the message.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  // Warnings are errors here: an unresolved tag ("secret: !abc def") would otherwise
  // silently drop "!abc" and leave a different secret than the admin wrote.
  const issues = [...doc.errors, ...doc.warnings].map((error) => syntaxIssue(error, text, lineCounter));

  // yaml's own error for an undefined alias names the alias, which may be a secret
  // starting with "*"; find them first so toJS never has to fail on one.
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined) {
        const pos = lineCounter.linePos(node.range?.[0] ?? 0);
        issues.push({
          code: 'RADGATE_CONFIG_SYNTAX',
          path: '',
          line: pos.line,
          column: pos.col,
          problem: 'alias (*name) refers to no anchor; a value starting with * must be quoted',
        });
      }
    },
  });
  if (issues.length > 0) return { issues };

  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), sourceMap: new SourceMap(doc, lineCounter) };
  } catch (error) {
    const problem = (error as Error).message.startsWith('Excessive alias count')
      ? `aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT})`
      : 'the YAML could not be converted to data';
    return { issues: [{ code: 'RADGATE_CONFIG_SYNTAX', path: '', line: undefined, problem }] };
  }
}

function syntaxIssue(error: YAMLError, text: string, lineCounter: LineCounter): ConfigIssue {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return { code: 'RADGATE_CONFIG_SYNTAX', path: '', line, column: col, problem: safeMessage(error, text) };
}

function safeMessage(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'TAG_RESOLVE_FAILED':
      return 'unknown tag; a value starting with ! must be quoted';
    case 'BAD_DQ_ESCAPE':
      return 'invalid escape sequence in a double-quoted string (use single quotes for a literal backslash)';
  }
  // Any other message that repeats a word of the offending lines falls back to a
  // description of the error's kind.
  const start = text.lastIndexOf('\n', error.pos[0] - 1) + 1;
  const newline = text.indexOf('\n', Math.max(error.pos[1], error.pos[0]));
  const lines = text.slice(start, newline === -1 ? text.length : newline);
  const words = lines.match(/[^\s:,[\]{}"'#|>]{3,}/g) ?? [];
  if (words.some((word) => error.message.includes(word))) {
    return `YAML syntax error (${error.code.toLowerCase().replace(/_/g, ' ')})`;
  }
  return error.message;
}
