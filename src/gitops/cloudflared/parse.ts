import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type ParsedNode,
  type YAMLMap,
} from 'yaml';
import { TunnelbotError } from '../../errors.js';
import type { IngressRule, ParsedCloudflaredConfig, SourceSpan } from './model.js';
import { describeYamlError, documentData, yamlErrorPosition } from '../yaml-error.js';

export const DEFAULT_FILE_NAME = 'config.yaml';

/** Field names of cloudflared's config structs, for the strict decode's "unused keys" warnings. */
const KNOWN_FIELDS = {
  'config.UnvalidatedIngressRule': ['hostname', 'path', 'service', 'originRequest'],
  'config.OriginRequestConfig': [
    'connectTimeout',
    'tlsTimeout',
    'tcpKeepAlive',
    'noHappyEyeballs',
    'keepAliveConnections',
    'keepAliveTimeout',
    'httpHostHeader',
    'originServerName',
    'matchSNItoHost',
    'caPool',
    'noTLSVerify',
    'disableChunkedEncoding',
    'bastionMode',
    'proxyAddress',
    'proxyPort',
    'proxyType',
    'ipRules',
    'http2Origin',
    'access',
  ],
  'config.AccessConfig': ['required', 'teamName', 'audTag', 'environment'],
  'config.IngressIPRule': ['prefix', 'ports', 'allow'],
  'config.WarpRoutingConfig': ['connectTimeout', 'maxActiveFlows', 'tcpKeepAlive'],
} as const;
type GoType = keyof typeof KNOWN_FIELDS;

const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

export interface LoadedDocument {
  doc: Document.Parsed;
  lines: LineCounter;
  fileName: string;
}

/** Parses YAML keeping source ranges; throws TB_ERR_CLOUDFLARED_YAML_PARSE naming file, line and column. */
export function loadConfigDocument(text: string, fileName = DEFAULT_FILE_NAME): LoadedDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    merge: true,
    prettyErrors: false,
  });
  // An alias without its anchor, an alias bomb or a merge key (`<<:`) without a mapping is found only when data is
  // built, which the decoder does field by field: checked once here, and only when the text can hold an alias or a
  // merge key at all, since a large config costs a walk.
  const read =
    doc.errors.length > 0 || text.includes('*') || text.includes('<<') ? documentData(doc) : undefined;
  const first = read && 'error' in read ? read.error : undefined;
  if (first) {
    const { line, column } = yamlErrorPosition(first, text);
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_YAML_PARSE',
      describeYamlError(first, text, fileName, { maskValues: true }),
      {
        details: { fileName, line, column, yamlCode: first.code },
      },
    );
  }
  return { doc, lines, fileName };
}

function yamlKind(node: Node): string {
  if (isMap(node)) return 'a mapping (!!map)';
  if (isSeq(node)) return 'a list (!!seq)';
  return isScalar(node) ? JSON.stringify(node.source ?? node.value) : 'a scalar';
}

/** Go's time.ParseDuration grammar: "0", or signed sequences like 1h30m, 1.5s, 300ms. */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/;

type FieldKind = 'duration' | 'bool' | 'int' | 'uint' | 'string';

/** Go types of the scalar fields whose values yaml.v3 rejects when mistyped (config.OriginRequestConfig etc.). */
const FIELD_KINDS: Record<string, FieldKind> = {
  connectTimeout: 'duration',
  tlsTimeout: 'duration',
  tcpKeepAlive: 'duration',
  keepAliveTimeout: 'duration',
  noHappyEyeballs: 'bool',
  noTLSVerify: 'bool',
  disableChunkedEncoding: 'bool',
  bastionMode: 'bool',
  http2Origin: 'bool',
  matchSNItoHost: 'bool',
  keepAliveConnections: 'int',
  proxyPort: 'uint',
  maxActiveFlows: 'uint',
  httpHostHeader: 'string',
  originServerName: 'string',
  caPool: 'string',
  proxyAddress: 'string',
  proxyType: 'string',
};

class Decoder {
  readonly unusedKeys: string[] = [];

  constructor(private readonly loaded: LoadedDocument) {}

  lineOf(node: Node | null | undefined): number {
    return this.loaded.lines.linePos(node?.range?.[0] ?? 0).line;
  }

  span(node: Node): SourceSpan {
    const [start, end] = node.range ?? [0, 0];
    const { line, col } = this.loaded.lines.linePos(start);
    return {
      start,
      end,
      line,
      column: col,
      endLine: this.loaded.lines.linePos(Math.max(start, end - 1)).line,
    };
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.loaded.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  typeError(node: Node, what: string, expected: string): TunnelbotError {
    const line = this.lineOf(node);
    return new TunnelbotError(
      'TB_ERR_CLOUDFLARED_CONFIG_TYPE',
      `${this.loaded.fileName} line ${line}: ${what} must be ${expected}, not ${yamlKind(node)}`,
      { details: { fileName: this.loaded.fileName, line } },
    );
  }

  /** yaml.v3 into a Go string: any scalar, as written; null is "". */
  string(value: unknown, what: string): string | undefined {
    const node = this.resolve(value);
    if (node === null) return undefined;
    if (!isScalar(node)) throw this.typeError(node, what, 'a string');
    if (node.value === null) return '';
    if (node.type === 'PLAIN' && node.source !== undefined) return node.source;
    return String(node.value);
  }

  /** yaml.v3 into a Go bool: true/false, or the YAML 1.1 words it still accepts. */
  bool(value: unknown, what: string): boolean | undefined {
    const node = this.resolve(value);
    if (node === null) return undefined;
    if (isScalar(node)) {
      if (typeof node.value === 'boolean') return node.value;
      if (node.value === null) return false;
      if (typeof node.value === 'string' && TRUE_WORDS.has(node.value)) return true;
      if (typeof node.value === 'string' && FALSE_WORDS.has(node.value)) return false;
    }
    throw this.typeError(node, what, 'true or false');
  }

  map(value: unknown, what: string): YAMLMap | undefined {
    const node = this.resolve(value);
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    if (!isMap(node)) throw this.typeError(node, what, 'a mapping');
    return node;
  }

  entries(map: YAMLMap, goType: GoType): Array<{ key: string; value: unknown }> {
    const known: readonly string[] = KNOWN_FIELDS[goType];
    return map.items.flatMap((pair) => {
      const keyNode = this.resolve(pair.key);
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : '';
      // With `merge: true` the yaml library gives the `<<` key a symbol value.
      if (keyNode && isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        // A merge key brings in the fields of the merged mappings, which are decoded like the map's own.
        const merged = this.resolve(pair.value);
        const sources = isSeq(merged) ? merged.items.map((item) => this.resolve(item)) : [merged];
        return sources.flatMap((source) => (isMap(source) ? this.entries(source, goType) : []));
      }
      if (!known.includes(key)) {
        this.unusedKeys.push(`line ${this.lineOf(keyNode)}: field ${key} not found in type ${goType}`);
      }
      return [{ key, value: pair.value }];
    });
  }

  plain(node: Node): Record<string, unknown> {
    return (node.toJS(this.loaded.doc) ?? {}) as Record<string, unknown>;
  }

  /** Checks a scalar field as yaml.v3 would decode it into its Go type; returns the decoded value. */
  typedField(value: unknown, kind: FieldKind, what: string): unknown {
    const node = this.resolve(value);
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    switch (kind) {
      case 'bool':
        return this.bool(node, what);
      case 'string':
        return this.string(node, what);
      case 'int':
      case 'uint':
        if (
          isScalar(node) &&
          Number.isInteger(node.value) &&
          (kind === 'int' || (node.value as number) >= 0)
        ) {
          return node.value;
        }
        throw this.typeError(node, what, kind === 'int' ? 'an integer' : 'a non-negative integer');
      case 'duration':
        if (isScalar(node) && typeof node.value === 'string' && GO_DURATION.test(node.value))
          return node.value;
        throw this.typeError(node, what, 'a duration with a unit, such as 30s, 1m30s or 500ms');
    }
  }

  checkFields(map: YAMLMap, goType: GoType, what: (key: string) => string): Record<string, unknown> {
    const result = this.plain(map);
    for (const { key, value } of this.entries(map, goType)) {
      const kind = FIELD_KINDS[key];
      if (kind !== undefined) result[key] = this.typedField(value, kind, what(key));
    }
    return result;
  }

  originRequest(value: unknown, what: string, where: string): Record<string, unknown> | undefined {
    const map = this.map(value, `"${what}"${where}`);
    if (!map) return undefined;
    const field = (key: string) => `"${what}.${key}"${where}`;
    const result = this.checkFields(map, 'config.OriginRequestConfig', field);
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (key === 'access') result.access = this.access(pair.value, `${what}.access`, where);
      if (key === 'ipRules') this.ipRules(pair.value, `${what}.ipRules`, where);
    }
    return result;
  }

  access(value: unknown, path: string, where: string): Record<string, unknown> | undefined {
    const field = (key: string) => `"${path}.${key}"${where}`;
    const map = this.map(value, `"${path}"${where}`);
    if (!map) return undefined;
    const result = this.plain(map);
    for (const { key, value: fieldValue } of this.entries(map, 'config.AccessConfig')) {
      if (key === 'required') result.required = this.bool(fieldValue, field('required'));
      if (key === 'teamName' || key === 'environment') result[key] = this.string(fieldValue, field(key));
      if (key === 'audTag') {
        const list = this.resolve(fieldValue);
        if (list !== null && !(isScalar(list) && list.value === null)) {
          if (!isSeq(list)) throw this.typeError(list, field('audTag'), 'a list of strings');
          result.audTag = list.items.map((item) => this.string(item, field('audTag')) ?? '');
        }
      }
    }
    return result;
  }

  ipRules(value: unknown, path: string, where: string): void {
    const list = this.resolve(value);
    if (list === null || (isScalar(list) && list.value === null)) return;
    if (!isSeq(list)) throw this.typeError(list, `"${path}"${where}`, 'a list of rules');
    for (const item of list.items) {
      const map = this.map(item, `"${path}"${where}`);
      if (map) this.entries(map, 'config.IngressIPRule');
    }
  }

  rule(value: unknown, index: number): IngressRule {
    const what = `ingress rule #${index + 1}`;
    const map = this.map(value, what);
    const rule: IngressRule = {};
    if (!map) return rule;
    for (const { key, value: fieldValue } of this.entries(map, 'config.UnvalidatedIngressRule')) {
      if (key === 'hostname' || key === 'path' || key === 'service') {
        const text = this.string(fieldValue, `"${key}" of ${what}`);
        if (text !== undefined) rule[key] = text;
      }
      if (key === 'originRequest') {
        const originRequest = this.originRequest(fieldValue, 'originRequest', ` of ${what}`);
        if (originRequest) rule.originRequest = originRequest;
      }
    }
    return rule;
  }
}

/**
 * Reads a cloudflared config.yaml the way cloudflared's YAML decoder does (scalars as written, null as empty,
 * type mismatches fatal). Throws TunnelbotError for bad YAML or wrong types; ingress validity is checked separately.
 */
export function parseCloudflaredConfig(text: string, fileName = DEFAULT_FILE_NAME): ParsedCloudflaredConfig {
  return decodeConfig(loadConfigDocument(text, fileName));
}

/** The model of an already parsed document, so that editors parse the text once. */
export function decodeConfig(loaded: LoadedDocument): ParsedCloudflaredConfig {
  const { fileName } = loaded;
  const decoder = new Decoder(loaded);
  const config: ParsedCloudflaredConfig = { fileName, ingress: [], flags: {}, ruleSpans: [], unusedKeys: [] };
  const root = decoder.resolve(loaded.doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return config;
  if (!isMap(root)) throw decoder.typeError(root, 'the top level of the file', 'a mapping');
  for (const pair of root.items) {
    const keyNode = decoder.resolve(pair.key);
    const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : '';
    switch (key) {
      case 'tunnel':
        config.tunnel = decoder.string(pair.value, '"tunnel"');
        break;
      case 'credentials-file':
        config.credentialsFile = decoder.string(pair.value, '"credentials-file"');
        break;
      case 'originRequest':
        config.originRequest = decoder.originRequest(pair.value, 'originRequest', '');
        break;
      case 'warp-routing': {
        const map = decoder.map(pair.value, '"warp-routing"');
        if (map)
          config.warpRouting = decoder.checkFields(
            map,
            'config.WarpRoutingConfig',
            (field) => `"warp-routing.${field}"`,
          );
        break;
      }
      case 'ingress': {
        const list = decoder.resolve(pair.value);
        if (list === null || (isScalar(list) && list.value === null)) break;
        if (!isSeq(list)) throw decoder.typeError(list, '"ingress"', 'a list of rules');
        list.items.forEach((item, index) => {
          config.ingress.push(decoder.rule(item, index));
          const node = decoder.resolve(item);
          config.ruleSpans.push(node ? decoder.span(node) : decoder.span(list));
        });
        break;
      }
      default: {
        const value = decoder.resolve(pair.value);
        config.flags[key] = value === null ? null : (value as ParsedNode).toJS(loaded.doc);
      }
    }
  }
  config.unusedKeys = decoder.unusedKeys;
  return config;
}
