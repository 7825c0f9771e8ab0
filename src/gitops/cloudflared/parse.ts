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
  const [first] = doc.errors;
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    const reason = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARED_YAML_PARSE',
      `${fileName} line ${line}, column ${col}: ${reason}`,
      {
        details: { fileName, line, column: col, yamlCode: first.code },
      },
    );
  }
  return { doc, lines, fileName };
}

function yamlKind(node: Node): string {
  if (isMap(node)) return 'a mapping (!!map)';
  if (isSeq(node)) return 'a list (!!seq)';
  return 'a scalar';
}

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
    return map.items.map((pair) => {
      const keyNode = this.resolve(pair.key);
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : '';
      if (!known.includes(key)) {
        this.unusedKeys.push(`line ${this.lineOf(keyNode)}: field ${key} not found in type ${goType}`);
      }
      return { key, value: pair.value };
    });
  }

  plain(node: Node): Record<string, unknown> {
    return (node.toJS(this.loaded.doc) ?? {}) as Record<string, unknown>;
  }

  originRequest(value: unknown, what: string): Record<string, unknown> | undefined {
    const map = this.map(value, what);
    if (!map) return undefined;
    const result = this.plain(map);
    for (const { key, value: fieldValue } of this.entries(map, 'config.OriginRequestConfig')) {
      if (key === 'bastionMode') result.bastionMode = this.bool(fieldValue, `${what}.bastionMode`);
      if (key === 'access') result.access = this.access(fieldValue, `${what}.access`);
      if (key === 'ipRules') this.ipRules(fieldValue, `${what}.ipRules`);
    }
    return result;
  }

  access(value: unknown, what: string): Record<string, unknown> | undefined {
    const map = this.map(value, what);
    if (!map) return undefined;
    const result = this.plain(map);
    for (const { key, value: fieldValue } of this.entries(map, 'config.AccessConfig')) {
      if (key === 'required') result.required = this.bool(fieldValue, `${what}.required`);
      if (key === 'teamName') result.teamName = this.string(fieldValue, `${what}.teamName`);
      if (key === 'audTag') {
        const list = this.resolve(fieldValue);
        if (list !== null && !(isScalar(list) && list.value === null)) {
          if (!isSeq(list)) throw this.typeError(list, `${what}.audTag`, 'a list of strings');
          result.audTag = list.items.map(
            (item, index) => this.string(item, `${what}.audTag[${index}]`) ?? '',
          );
        }
      }
    }
    return result;
  }

  ipRules(value: unknown, what: string): void {
    const list = this.resolve(value);
    if (list === null || !isSeq(list)) return;
    list.items.forEach((item, index) => {
      const map = this.map(item, `${what}[${index}]`);
      if (map) this.entries(map, 'config.IngressIPRule');
    });
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
        const originRequest = this.originRequest(fieldValue, `"originRequest" of ${what}`);
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
        config.originRequest = decoder.originRequest(pair.value, '"originRequest"');
        break;
      case 'warp-routing': {
        const map = decoder.map(pair.value, '"warp-routing"');
        if (map) {
          decoder.entries(map, 'config.WarpRoutingConfig');
          config.warpRouting = decoder.plain(map);
        }
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
