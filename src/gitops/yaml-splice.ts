import { isScalar, isSeq, stringify, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { TunnelbotError } from '../errors.js';

/**
 * Text-preserving insertions into block-style YAML: new lines are spliced in at positions taken from the parsed
 * nodes' source ranges, so every existing byte (comments, quoting, blank lines, key order) stays as it was and a
 * reviewer sees only the added lines. The caller parses the text (`parseDocument`/`parseAllDocuments`) and passes
 * the node to extend; a flow-style node (`[...]`, `{...}`) is refused rather than rewritten.
 */

type Range = readonly [number, number, number];

function rangeOf(node: unknown): Range {
  const range = (node as { range?: Range | null }).range;
  if (!range) throw new TunnelbotError('TB_ERR_INTERNAL', 'A YAML node has no source range.');
  return range;
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The end of the line `offset` is on (after its newline); `offset` itself when it already starts a line. */
function lineEndAt(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/** `value` as block YAML lines (no trailing newline), each prefixed by `indent`. */
function renderLines(value: unknown, indent: string): string[] {
  return stringify(value, { lineWidth: 0 })
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${indent}${line}`);
}

function insertAt(text: string, offset: number, lines: readonly string[]): string {
  const before = text.slice(0, offset);
  const separator = before === '' || before.endsWith('\n') ? '' : '\n';
  return `${before}${separator}${lines.join('\n')}\n${text.slice(offset)}`;
}

function refuseFlow(node: YAMLSeq | YAMLMap, fileName: string, what: string): void {
  if (node.flow) {
    throw new TunnelbotError(
      'TB_ERR_YAML_EDIT',
      `${fileName}: ${what} is written in flow style ([...] or {...}), which tunnelbot does not rewrite.`,
      { fix: `Write ${what} in block style (one entry per line), then run the command again.` },
    );
  }
}

/**
 * Inserts `item` into a non-empty block sequence at `index` (the length appends). An item inserted before another
 * goes above the comment lines directly above that item, which describe it.
 */
export function insertSeqItem(
  text: string,
  seq: YAMLSeq,
  index: number,
  item: unknown,
  fileName: string,
  what: string,
  comment?: string,
): string {
  refuseFlow(seq, fileName, what);
  const first = seq.items[0];
  if (first === undefined) throw new TunnelbotError('TB_ERR_INTERNAL', `${what} is empty.`);
  const firstStart = rangeOf(first)[0];
  const prefix = text.slice(lineStart(text, firstStart), firstStart);
  const dash = /^( *)- +$/.exec(prefix);
  if (!dash) throw new TunnelbotError('TB_ERR_YAML_EDIT', `${fileName}: ${what} is not one entry per line.`);
  const lines = renderLines(item, ' '.repeat(prefix.length));
  lines[0] = `${prefix}${lines[0]!.slice(prefix.length)}`;
  if (comment !== undefined) lines.unshift(`${dash[1]}# ${comment}`);

  if (index >= seq.items.length) {
    const last = seq.items[seq.items.length - 1]!;
    return insertAt(text, lineEndAt(text, rangeOf(last)[1]), lines);
  }
  let at = lineStart(text, rangeOf(seq.items[index])[0]);
  while (at > 0) {
    const above = lineStart(text, at - 1);
    if (!text.slice(above, at).trim().startsWith('#')) break;
    at = above;
  }
  // Entries separated by blank lines stay so: the new one gets its own.
  if (at > 0 && text.slice(lineStart(text, at - 1), at).trim() === '') lines.push('');
  return insertAt(text, at, lines);
}

/** Appends `key: value` as the last entry of a non-empty block mapping, at the indentation of its keys. */
export function appendMapEntry(
  text: string,
  map: YAMLMap,
  key: string,
  value: unknown,
  fileName: string,
  what: string,
): string {
  refuseFlow(map, fileName, what);
  const first = map.items[0] as Pair | undefined;
  const last = map.items[map.items.length - 1] as Pair | undefined;
  if (!first || !last) throw new TunnelbotError('TB_ERR_INTERNAL', `${what} is empty.`);
  const keyStart = rangeOf(first.key)[0];
  const indent = text.slice(lineStart(text, keyStart), keyStart);
  if (!/^ *$/.test(indent))
    throw new TunnelbotError('TB_ERR_YAML_EDIT', `${fileName}: ${what} is not one key per line.`);
  const end = rangeOf(last.value ?? last.key)[1];
  return insertAt(text, lineEndAt(text, end), renderLines({ [key]: value }, indent));
}

/** Appends `key: value` at the end of a top-level block mapping (the file's root). */
export function appendTopLevelEntry(text: string, key: string, value: unknown): string {
  return insertAt(text, text.length, renderLines({ [key]: value }, ''));
}

/** The value node of `key` in a mapping, if the key is there. */
export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key) as Pair | undefined;
}

export function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || (isScalar(value) && value.value === null);
}

/**
 * Gives a key whose value is empty (`key:`, `key: []`) its first list item, right below the key line and indented
 * one level deeper than the key.
 */
export function fillEmptySeq(
  text: string,
  pair: Pair,
  item: unknown,
  fileName: string,
  what: string,
  comment?: string,
): string {
  let current = text;
  if (isSeq(pair.value)) {
    if (pair.value.items.length > 0) throw new TunnelbotError('TB_ERR_INTERNAL', `${what} is not empty.`);
    const [start, end] = rangeOf(pair.value);
    current = `${current.slice(0, start).trimEnd()}${current.slice(end)}`;
  } else if (!isEmptyValue(pair.value)) {
    throw new TunnelbotError('TB_ERR_YAML_EDIT', `${fileName}: ${what} is not a list.`);
  }
  const keyStart = rangeOf(pair.key)[0];
  const indent = current.slice(lineStart(current, keyStart), keyStart);
  const lines = renderLines(item, `${indent}    `);
  lines[0] = `${indent}  - ${lines[0]!.slice(indent.length + 4)}`;
  if (comment !== undefined) lines.unshift(`${indent}  # ${comment}`);
  return insertAt(current, lineEndAt(current, rangeOf(pair.key)[1] + 1), lines);
}
