import type { YAMLError } from 'yaml';

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
