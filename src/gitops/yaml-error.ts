import { isScalar, visit, YAMLParseError, type Alias, type Document, type Node, type YAMLError } from 'yaml';

/** Line and column (1-based) of a YAML error in `text`. */
export function yamlErrorPosition(error: YAMLError, text: string): { line: number; column: number } {
  const offset = Math.min(error.pos[0], text.length);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return { line: text.slice(0, lineStart).split('\n').length, column: offset - lineStart + 1 };
}

/** The line with every value replaced by `…`, keeping keys, indentation and the bracket or quote that opens it. */
function maskValues(line: string): string {
  const [, lead = '', rest = ''] = /^(\s*(?:-\s+)*)(.*)$/.exec(line) ?? [];
  const keyed = /^([^:'"{[]+:)(\s*)([[{'"]?)/.exec(rest);
  if (keyed) return `${lead}${keyed[1]}${keyed[2]}${keyed[3]}${rest.length > keyed[0].length ? '…' : ''}`;
  return rest === '' ? line : `${lead}…`;
}

export interface YamlErrorOptions {
  /** The file may hold secrets anywhere (a cloudflared token): show its structure, not its values. */
  readonly maskValues?: boolean;
}

/**
 * The one way a YAML syntax error reaches a person: `FILE line L, column C: reason`, then the offending line with a
 * caret under the column, so the mistake is seen without opening the file. When the error sits on a blank line (an
 * unclosed bracket found at the end), the last line with text above it is shown too, since the mistake is there.
 */
export function describeYamlError(
  error: YAMLError,
  text: string,
  fileName: string,
  options: YamlErrorOptions = {},
): string {
  const { line, column } = yamlErrorPosition(error, text);
  const lines = text.split('\n');
  const show = (number: number) => {
    const raw = lines[number - 1] ?? '';
    return `    ${String(number).padStart(4)} | ${options.maskValues ? maskValues(raw) : raw}`;
  };
  const excerpt: string[] = [];
  if ((lines[line - 1] ?? '').trim() === '') {
    let above = line - 1;
    while (above > 0 && (lines[above - 1] ?? '').trim() === '') above -= 1;
    if (above > 0) excerpt.push(show(above));
  }
  excerpt.push(show(line));
  if (!options.maskValues) {
    // Tabs before the column stay tabs, so the caret lines up however the terminal renders them.
    excerpt.push(`         | ${(lines[line - 1] ?? '').slice(0, column - 1).replace(/[^\t]/g, ' ')}^`);
  }
  const reason = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
  return `${fileName} line ${line}, column ${column}: ${reason}\n${excerpt.join('\n')}`;
}

/** More aliases than this in one document is an alias bomb (a few lines that expand to gigabytes), not data. */
const MAX_ALIAS_COUNT = 100;

/**
 * The plain data of a document, or the first error that keeps it from having any: a syntax error found while
 * parsing, or one yaml finds only when it builds the data (an alias whose anchor is missing, `*x` with no `&x`
 * before it, an alias bomb, a merge key without a mapping) and throws then, with no position. Those become a
 * YAMLError at the node, which `describeYamlError` shows like any other, instead of an internal error.
 */
export function documentData(document: Document.Parsed): { data: unknown } | { error: YAMLError } {
  const [parseError] = document.errors;
  if (parseError) return { error: parseError };
  // A mapping key that is itself a mapping or a list (`{a: 1}: x`) becomes its text; yaml would also print that
  // text as a Node process warning on stderr, outside the structured log, whatever the file holds.
  document.options.logLevel = 'error';
  try {
    return { data: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // Only yaml's own code runs here, over the document's data: whatever it throws is about the data.
    if (!(error instanceof Error)) throw error;
    const unresolved = firstAlias(document, (alias) => alias.resolve(document) === undefined);
    if (unresolved) {
      return {
        error: new YAMLParseError(
          nodePosition(unresolved),
          'BAD_ALIAS',
          `the alias *${unresolved.source} has no anchor &${unresolved.source} before it`,
        ),
      };
    }
    if (error instanceof ReferenceError) {
      const first = firstAlias(document, () => true);
      return {
        error: new YAMLParseError(
          first ? nodePosition(first) : [0, 0],
          'RESOURCE_EXHAUSTION',
          `the aliases expand to more than ${MAX_ALIAS_COUNT} copies, which is not read (an alias bomb)`,
        ),
      };
    }
    // A merge key (`<<:`) whose source is no mapping is the other error yaml finds only now.
    const merge = firstMergeKey(document);
    return {
      error: new YAMLParseError(merge ? nodePosition(merge) : [0, 0], 'BAD_COLLECTION_TYPE', error.message),
    };
  }
}

function firstAlias(document: Document, matches: (alias: Alias) => boolean): Alias | undefined {
  let found: Alias | undefined;
  visit(document, {
    Alias(_key, node) {
      if (!matches(node)) return undefined;
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function firstMergeKey(document: Document): Node | undefined {
  let found: Node | undefined;
  visit(document, {
    Pair(_key, pair) {
      // With `merge: true` the key's value is a symbol; its source is what was written.
      if (!isScalar(pair.key) || pair.key.source !== '<<') return undefined;
      found = pair.key;
      return visit.BREAK;
    },
  });
  return found;
}

function nodePosition(node: Node): [number, number] {
  return node.range ? [node.range[0], node.range[1]] : [0, 0];
}
