import { isMap, isScalar, isSeq, parseDocument, type Pair, type YAMLSeq } from 'yaml';
import { TunnelbotError } from '../errors.js';
import { describeYamlError } from './yaml-error.js';
import { readsBackPlain, yamlQuoted } from './yaml-scalar.js';

/**
 * Surgical edits of a kustomization.yaml `resources` list: one entry added or removed, every other byte kept,
 * so a reviewer sees a one-line diff and expose followed by unexpose restores the file exactly.
 */

function invalid(fileName: string, problem: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_PLAN_INVALID_KUSTOMIZATION', `${fileName}: ${problem}`);
}

interface ResourcesList {
  /** The top level is written `{ … }`: a key cannot be added to it by adding lines. */
  readonly flowRoot: boolean;
  readonly pair: Pair | undefined;
  readonly seq: YAMLSeq | undefined;
  readonly entries: string[];
}

function readResources(text: string, fileName: string): ResourcesList {
  const document = parseDocument(text, { keepSourceTokens: true });
  if (document.errors.length > 0) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_INVALID_KUSTOMIZATION',
      describeYamlError(document.errors[0]!, text, fileName),
    );
  }
  const root = document.contents;
  if (root === null) return { flowRoot: false, pair: undefined, seq: undefined, entries: [] };
  if (!isMap(root)) throw invalid(fileName, 'the top level is not a mapping');
  const flowRoot = root.flow === true;
  const pair = root.items.find((item) => isScalar(item.key) && item.key.value === 'resources');
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
    return { flowRoot, pair, seq: undefined, entries: [] };
  }
  if (!isSeq(pair.value)) throw invalid(fileName, '`resources` is not a list');
  const entries = pair.value.items.map((item) => {
    if (!isScalar(item) || typeof item.value !== 'string')
      throw invalid(fileName, '`resources` holds a non-string entry');
    return item.value;
  });
  return { flowRoot, pair, seq: pair.value, entries };
}

export function listResources(text: string, fileName: string): string[] {
  return readResources(text, fileName).entries;
}

type Range = readonly [number, number, number];

function rangeOf(node: unknown): Range {
  const range = (node as { range?: Range | null }).range;
  if (!range) throw new TunnelbotError('TB_ERR_INTERNAL', 'A YAML node has no source range.');
  return range;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/** Plain only with path characters (safe in a flow list too) and when no YAML reader takes it for a number or a boolean. */
function quoteIfNeeded(entry: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(entry) && !/^[-.]/.test(entry) && readsBackPlain(entry)
    ? entry
    : yamlQuoted(entry);
}

/**
 * `edited` ending with a newline or not as `original` did: a file saved without a final newline (an editor's
 * choice) is not given one, so removing an entry restores the file to the byte.
 */
function keepFinalNewline(original: string, edited: string): string {
  if (original === '' || original.endsWith('\n') || !edited.endsWith('\n')) return edited;
  return edited.slice(0, -1);
}

export function addResource(text: string, entry: string, fileName: string): string {
  return keepFinalNewline(text, withResource(text, entry, fileName));
}

export function removeResource(text: string, entry: string, fileName: string): string {
  return keepFinalNewline(text, withoutResource(text, entry, fileName));
}

function withResource(text: string, entry: string, fileName: string): string {
  const { flowRoot, pair, seq, entries } = readResources(text, fileName);
  if (entries.includes(entry)) throw invalid(fileName, `\`resources\` already lists "${entry}"`);
  const rendered = quoteIfNeeded(entry);

  if (seq?.flow) {
    const last = seq.items[seq.items.length - 1];
    if (last !== undefined) {
      const at = rangeOf(last)[1];
      return `${text.slice(0, at)}, ${rendered}${text.slice(at)}`;
    }
    const [start, , end] = rangeOf(seq);
    const close = text.lastIndexOf(']', end);
    return `${text.slice(0, start)}[${rendered}]${text.slice(close + 1)}`;
  }
  if (flowRoot) {
    // Appending `resources:` lines after `{ … }` is not YAML, and rewriting the file would change every line.
    throw invalid(
      fileName,
      'the top level is a flow mapping (`{ … }`), where tunnelbot cannot add a `resources` entry line by line; write the file in block style, one key per line',
    );
  }
  if (seq && seq.items.length > 0) {
    const last = seq.items[seq.items.length - 1]!;
    const [itemStart, itemEnd] = rangeOf(last);
    const prefix = text.slice(lineStart(text, itemStart), itemStart);
    if (!/^\s*-\s+$/.test(prefix)) throw invalid(fileName, '`resources` entries are not one per line');
    const insertAt = lineEnd(text, itemEnd);
    const before = text.slice(0, insertAt);
    const separator = before.endsWith('\n') ? '' : '\n';
    return `${before}${separator}${prefix}${rendered}\n${text.slice(insertAt)}`;
  }
  if (pair) {
    // `resources:` with no value: the key's line ends the empty list; items go right below it.
    const keyNode = { range: rangeOf(pair.key) };
    const insertAt = lineEnd(text, keyNode.range[1]);
    const before = text.slice(0, insertAt);
    const separator = before.endsWith('\n') ? '' : '\n';
    return `${before}${separator}  - ${rendered}\n${text.slice(insertAt)}`;
  }
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}resources:\n  - ${rendered}\n`;
}

function withoutResource(text: string, entry: string, fileName: string): string {
  const { pair, seq, entries } = readResources(text, fileName);
  const index = entries.indexOf(entry);
  if (!seq || !pair || index === -1) throw invalid(fileName, `\`resources\` does not list "${entry}"`);

  if (seq.flow) {
    const ranges = seq.items.map(rangeOf);
    const current = ranges[index]!;
    // Cut the entry with the separator that joined it, so adding then removing is the identity.
    const [from, to] =
      index > 0
        ? [ranges[index - 1]![1], current[1]]
        : ranges.length > 1
          ? [current[0], ranges[1]![0]]
          : [current[0], current[1]];
    return text.slice(0, from) + text.slice(to);
  }
  const item = { range: rangeOf(seq.items[index]) };
  const from = lineStart(text, item.range[0]);
  const to = lineEnd(text, item.range[1]);
  const withoutItem = text.slice(0, from) + text.slice(to);
  if (entries.length > 1) return withoutItem;
  // The list is now empty: drop the `resources:` key line too, the inverse of adding the key to a file without it.
  const keyNode = { range: rangeOf(pair.key) };
  const keyFrom = lineStart(withoutItem, keyNode.range[0]);
  const keyTo = lineEnd(withoutItem, keyNode.range[0]);
  return withoutItem.slice(0, keyFrom) + withoutItem.slice(keyTo);
}
