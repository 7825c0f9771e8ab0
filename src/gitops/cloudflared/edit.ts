/**
 * Text-preserving edits of a cloudflared config.yaml.
 *
 * Users' configs carry comments, blank lines, quoting and indentation choices that a YAML re-stringify would
 * destroy, and reviewers read the diff. So edits splice the source text at positions taken from the YAML
 * CST: only the lines of the rule being added, replaced or removed change. An added rule copies the blank-line
 * separator that precedes the catch-all and removal drops exactly one separator, which makes add-then-remove the
 * identity (the expose → unexpose round trip relies on it).
 */
import { isAlias, isMap, isScalar, isSeq, stringify, type Scalar, type YAMLMap } from 'yaml';
import { yamlQuoted, yamlScalar } from '../yaml-scalar.js';
import { isDeepStrictEqual } from 'node:util';
import { TunnelbotError } from '../../errors.js';
import type { IngressRule, ParsedCloudflaredConfig } from './model.js';
import { decodeConfig, DEFAULT_FILE_NAME, loadConfigDocument, parseCloudflaredConfig } from './parse.js';
import { firstIngressError, isCatchAll } from './validate.js';

const RULE_KEYS = ['hostname', 'path', 'service', 'originRequest'] as const;
const NESTED_INDENT = 2;

class Lines {
  readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) {
      if (index + 1 < text.length) this.starts.push(index + 1);
    }
  }

  get count(): number {
    return this.starts.length;
  }

  indexOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  start(line: number): number {
    return line >= this.starts.length ? this.text.length : (this.starts[line] as number);
  }

  content(line: number): string {
    const end = line + 1 < this.starts.length ? this.start(line + 1) : this.text.length;
    return this.text.slice(this.start(line), end).replace(/\r?\n$/, '');
  }

  isBlank(line: number): boolean {
    return /^[ \t]*\r?$/.test(this.content(line));
  }

  commentColumn(line: number): number | undefined {
    const match = /^([ \t]*)#/.exec(this.content(line));
    return match ? (match[1] as string).length : undefined;
  }
}

interface ItemLayout {
  rule: IngressRule;
  node: unknown;
  dashColumn: number;
  keyColumn: number;
  /** Line of the `-` indicator and the last line of the rule's own content. */
  dashLine: number;
  lastContentLine: number;
  /** First line of the comments right above the item (no deeper than its `-`). */
  leadingCommentLine: number;
  /** Last line of the deeper-indented comments right below the item. */
  trailingCommentLine: number;
}

interface IngressLayout {
  text: string;
  config: ParsedCloudflaredConfig;
  lines: Lines;
  eol: string;
  keyLine: number;
  items: ItemLayout[];
}

function locateIngress(text: string, fileName: string): IngressLayout {
  const loaded = loadConfigDocument(text, fileName);
  const config = decodeConfig(loaded);
  const root = loaded.doc.contents;
  const pair = isMap(root)
    ? root.items.find((item) => isScalar(item.key) && item.key.value === 'ingress')
    : undefined;
  const seq = pair?.value;
  if (isAlias(seq)) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_UNSUPPORTED_LAYOUT',
      `${fileName}: the ingress list is a YAML alias (*${seq.source}); edit the anchored list instead`,
    );
  }
  if (!pair || !isSeq(seq) || seq.items.length === 0) {
    throw new TunnelbotError('TB_ERR_CLOUDFLARED_NO_INGRESS', `${fileName} has no ingress rules to edit`);
  }
  const token = seq.srcToken;
  if (token?.type !== 'block-seq') {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_UNSUPPORTED_LAYOUT',
      `${fileName}: the ingress list is not a block list ("- item" lines), so it cannot be edited in place`,
    );
  }
  const lines = new Lines(text);
  const keyLine = lines.indexOf((pair.key as Scalar).range?.[0] ?? 0);
  const items = seq.items.map((node, index): ItemLayout => {
    const indicator = token.items[index]?.start.find((part) => part.type === 'seq-item-ind');
    if (!indicator || !('offset' in indicator)) {
      throw new TunnelbotError(
        'TB_ERR_INTERNAL',
        `${fileName}: ingress item #${index + 1} has no "-" indicator`,
      );
    }
    const dashOffset = indicator.offset;
    const dashLine = lines.indexOf(dashOffset);
    const dashColumn = dashOffset - lines.start(dashLine);
    const valueEnd = (node as { range?: [number, number, number] }).range?.[1] ?? dashOffset + 1;
    let lastContent = Math.max(dashOffset, valueEnd - 1);
    while (lastContent > dashOffset && /\s/.test(text[lastContent] as string)) lastContent--;
    const firstKey =
      isMap(node) && node.srcToken?.type === 'block-map' ? (node.items[0]?.key as Scalar) : undefined;
    const keyOffset = firstKey?.range?.[0];
    const keyColumn =
      keyOffset === undefined ? dashColumn + 2 : keyOffset - lines.start(lines.indexOf(keyOffset));
    let leadingCommentLine = dashLine;
    while (
      leadingCommentLine - 1 > keyLine &&
      (lines.commentColumn(leadingCommentLine - 1) ?? Infinity) <= dashColumn
    ) {
      leadingCommentLine--;
    }
    const lastContentLine = lines.indexOf(lastContent);
    let trailingCommentLine = lastContentLine;
    while (
      trailingCommentLine + 1 < lines.count &&
      (lines.commentColumn(trailingCommentLine + 1) ?? -1) > dashColumn
    ) {
      trailingCommentLine++;
    }
    return {
      rule: config.ingress[index] ?? {},
      node,
      dashColumn,
      keyColumn: keyColumn > dashColumn ? keyColumn : dashColumn + 2,
      dashLine,
      lastContentLine,
      leadingCommentLine,
      trailingCommentLine,
    };
  });
  return { text, config, lines, eol: text.includes('\r\n') ? '\r\n' : '\n', keyLine, items };
}

/** Loads the config for an edit, refusing what cloudflared itself would refuse. */
function editableLayout(text: string, fileName: string): IngressLayout {
  const layout = locateIngress(text, fileName);
  const catchAll = layout.items[layout.items.length - 1] as ItemLayout;
  if (!isCatchAll(catchAll.rule)) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_NO_CATCH_ALL',
      `${fileName}: the last ingress rule (line ${catchAll.dashLine + 1}) has a hostname or path, so it is not a catch-all`,
    );
  }
  const error = firstIngressError(layout.config.ingress, layout.config.originRequest);
  if (error !== undefined) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_INVALID_CONFIG',
      `${fileName} is already invalid, refusing to edit it: ${error}`,
    );
  }
  return layout;
}

function renderLike(previous: Scalar, value: string): string {
  if (previous.type === 'QUOTE_SINGLE' && !/[\r\n]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  if (previous.type === 'QUOTE_DOUBLE') return yamlQuoted(value);
  return yamlScalar(value);
}

function normalizeRule(rule: IngressRule): IngressRule {
  const normalized: IngressRule = {};
  for (const key of RULE_KEYS) {
    const value = rule[key];
    if (value === undefined || value === '') continue;
    if (key === 'originRequest') {
      if (Object.keys(value as object).length > 0)
        normalized.originRequest = value as Record<string, unknown>;
    } else {
      normalized[key] = value as string;
    }
  }
  return normalized;
}

function renderRule(rule: IngressRule, dashColumn: number, keyColumn: number, eol: string): string {
  const lines: string[] = [];
  for (const key of RULE_KEYS) {
    const value = rule[key];
    if (value === undefined) continue;
    const prefix =
      lines.length === 0
        ? `${' '.repeat(dashColumn)}-${' '.repeat(keyColumn - dashColumn - 1)}`
        : ' '.repeat(keyColumn);
    if (typeof value === 'string') {
      lines.push(`${prefix}${key}: ${yamlScalar(value)}`);
    } else {
      lines.push(`${prefix}${key}:`);
      const nested = stringify(value, { indent: NESTED_INDENT, lineWidth: 0 }).replace(/\n$/, '').split('\n');
      lines.push(...nested.map((line) => `${' '.repeat(keyColumn + NESTED_INDENT)}${line}`));
    }
  }
  return lines.map((line) => line + eol).join('');
}

function sameHostname(a: string | undefined, b: string): boolean {
  return (a ?? '').toLowerCase() === b.toLowerCase();
}

function checkNewRule(rule: IngressRule & { hostname: string; service: string }): void {
  if (rule.hostname === '' || rule.hostname === '*') {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
      `Refusing to write a rule with hostname ${JSON.stringify(rule.hostname)}: it would match every hostname`,
      { fix: 'Give the rule the full hostname it serves, e.g. app.example.com.' },
    );
  }
}

function checkResult(
  text: string,
  fileName: string,
  hostname: string,
  parsed?: ParsedCloudflaredConfig,
): string {
  const config = parsed ?? parseCloudflaredConfig(text, fileName);
  const error = firstIngressError(config.ingress, config.originRequest);
  if (error !== undefined) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_INVALID_RULE',
      `The ingress rule for ${hostname} would make ${fileName} invalid: ${error}`,
      { details: { hostname } },
    );
  }
  return text;
}

/** Rewrites only the changed scalar values when the rule keeps its keys; undefined when that is not possible. */
function replaceScalarsInPlace(
  layout: IngressLayout,
  item: ItemLayout,
  rule: IngressRule,
): string | undefined {
  const node = item.node;
  if (!isMap(node) || node.srcToken?.type !== 'block-map') return undefined;
  const existing = normalizeRule(item.rule);
  const existingKeys = Object.keys(existing).sort();
  if (!isDeepStrictEqual(existingKeys, Object.keys(rule).sort())) return undefined;
  if (!isDeepStrictEqual(existing.originRequest, rule.originRequest)) return undefined;
  const edits: Array<{ start: number; end: number; replacement: string }> = [];
  for (const pair of (node as YAMLMap).items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key !== 'hostname' && key !== 'path' && key !== 'service') continue;
    const value = rule[key] as string;
    if (existing[key] === value) continue;
    const scalar = pair.value;
    if (
      !isScalar(scalar) ||
      !scalar.range ||
      !['PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE'].includes(scalar.type ?? '')
    ) {
      return undefined;
    }
    edits.push({ start: scalar.range[0], end: scalar.range[1], replacement: renderLike(scalar, value) });
  }
  if (edits.length !== new Set(edits.map((edit) => edit.start)).size) return undefined;
  let text = layout.text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    text = text.slice(0, edit.start) + edit.replacement + text.slice(edit.end);
  }
  return text;
}

/**
 * Adds the rule for `rule.hostname` (same hostname and path) just before the catch-all, or replaces the existing
 * one. Unchanged rule → the text is returned as is. Everything outside the rule's own lines stays byte-identical.
 */
export function upsertIngressRule(
  text: string,
  rule: IngressRule & { hostname: string; service: string },
  fileName = DEFAULT_FILE_NAME,
): string {
  checkNewRule(rule);
  const wanted = normalizeRule(rule);
  const layout = editableLayout(text, fileName);
  const { lines, eol, items } = layout;
  const existing = items.find(
    (item) =>
      sameHostname(item.rule.hostname, rule.hostname) && (item.rule.path ?? '') === (wanted.path ?? ''),
  );
  if (existing) {
    if (isDeepStrictEqual(normalizeRule(existing.rule), wanted)) return text;
    const inPlace = replaceScalarsInPlace(layout, existing, wanted);
    if (inPlace !== undefined) return checkResult(inPlace, fileName, rule.hostname);
    const start = lines.start(existing.dashLine);
    const end = lines.start(existing.lastContentLine + 1);
    let rendered = renderRule(wanted, existing.dashColumn, existing.keyColumn, eol);
    if (!/\n$/.test(text.slice(start, end))) rendered = rendered.slice(0, -eol.length);
    return checkResult(text.slice(0, start) + rendered + text.slice(end), fileName, rule.hostname);
  }
  const catchAll = items[items.length - 1] as ItemLayout;
  const insertLine = catchAll.leadingCommentLine;
  let separatorLine = insertLine;
  while (separatorLine - 1 > layout.keyLine && lines.isBlank(separatorLine - 1)) separatorLine--;
  const separator = text.slice(lines.start(separatorLine), lines.start(insertLine));
  const insertAt = lines.start(insertLine);
  const rendered = renderRule(wanted, catchAll.dashColumn, catchAll.keyColumn, eol);
  return checkResult(
    text.slice(0, insertAt) + rendered + separator + text.slice(insertAt),
    fileName,
    rule.hostname,
  );
}

function removeItem(layout: IngressLayout, item: ItemLayout): string {
  const { lines, text } = layout;
  const firstLine = item.leadingCommentLine;
  const lastLine = item.trailingCommentLine;
  let afterEnd = lastLine + 1;
  while (afterEnd < lines.count && lines.isBlank(afterEnd)) afterEnd++;
  let beforeStart = firstLine;
  while (beforeStart - 1 > layout.keyLine && lines.isBlank(beforeStart - 1)) beforeStart--;
  if (afterEnd > lastLine + 1)
    return text.slice(0, lines.start(firstLine)) + text.slice(lines.start(afterEnd));
  return text.slice(0, lines.start(beforeStart)) + text.slice(lines.start(lastLine + 1));
}

/**
 * Removes every rule of `hostname` (all its paths: unexposing leaves nothing routed to it), with the comments
 * directly above or below each and one blank-line separator. Throws TB_ERR_CLOUDFLARED_RULE_NOT_FOUND if none.
 */
export function removeIngressRule(text: string, hostname: string, fileName = DEFAULT_FILE_NAME): string {
  let layout = editableLayout(text, fileName);
  const isTarget = (item: ItemLayout) => !isCatchAll(item.rule) && sameHostname(item.rule.hostname, hostname);
  if (hostname === '' || !layout.items.some(isTarget)) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_RULE_NOT_FOUND',
      `${fileName} has no ingress rule for hostname ${JSON.stringify(hostname)}`,
      { details: { hostname } },
    );
  }
  let result = text;
  for (let target = layout.items.find(isTarget); target; target = layout.items.find(isTarget)) {
    result = removeItem(layout, target);
    layout = locateIngress(result, fileName);
  }
  return checkResult(result, fileName, hostname, layout.config);
}

/** The hostnames the config routes (catch-alls excluded), in rule order, each once. */
export function routedHostnames(text: string, fileName = DEFAULT_FILE_NAME): string[] {
  const config = parseCloudflaredConfig(text, fileName);
  const hostnames = config.ingress
    .map((rule) => rule.hostname ?? '')
    .filter((hostname) => hostname !== '' && hostname !== '*');
  return [...new Set(hostnames)];
}
