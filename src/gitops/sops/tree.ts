import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  Scalar,
  type ToStringOptions,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { TunnelbotError } from '../../errors.js';
import { isUint64OnlyInteger, mustQuoteString, resolvePlainScalar, type GoValue } from './goformat.js';

/**
 * The YAML side of sops: documents parsed with the failsafe schema so every scalar keeps its source text and style,
 * typed the way Go's yaml.v3 types them (see goformat.ts), and walked in sops' order (documents, then mapping keys
 * and list items in file order; list indices are not part of the path).
 */

export type YamlDocument = Document.Parsed;

const STR_TAG = 'tag:yaml.org,2002:str';

export function describeFile(fileName: string | undefined): string {
  return fileName ?? 'the input';
}

export function parseYamlStream(text: string, fileName: string | undefined): YamlDocument[] {
  const documents = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: true });
  for (const document of documents) {
    const [error] = document.errors;
    if (error) throw parseError(fileName, error.message);
  }
  return documents;
}

function parseError(fileName: string | undefined, message: string): TunnelbotError {
  const firstLine = message.split('\n')[0] ?? message;
  return new TunnelbotError(
    'TB_ERR_SOPS_YAML_PARSE',
    `${describeFile(fileName)} is not valid YAML: ${firstLine}`,
  );
}

/** The Go value of a scalar as sops sees it: tagged `!!str`, quoted and block scalars are strings. */
export function goValueOf(scalar: Scalar): GoValue {
  const text = String(scalar.value ?? '');
  if (scalar.tag === STR_TAG) return { kind: 'str', value: text };
  if (scalar.type === 'PLAIN' || scalar.type === undefined) return resolvePlainScalar(text);
  return { kind: 'str', value: text };
}

function pathText(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : `"${path.join('.')}"`;
}

function documentLabel(fileName: string | undefined, index: number, count: number): string {
  return count > 1 ? `document ${index + 1} of ${describeFile(fileName)}` : describeFile(fileName);
}

/**
 * Checks one document the way the sops YAML store does before encrypting: a mapping at the top, string keys, no
 * duplicate keys, no merge keys and no tags other than `!!str`. Aliases are replaced by copies of their anchored node
 * (sops expands them), so the walk sees every value at its own path.
 */
export function normaliseDocument(
  document: YamlDocument,
  fileName: string | undefined,
  index: number,
  count: number,
): YAMLMap<Scalar, unknown> {
  const label = documentLabel(fileName, index, count);
  const contents = document.contents;
  if (!isMap(contents)) {
    const empty = contents === null || (isScalar(contents) && goValueOf(contents).kind === 'null');
    const what = isSeq(contents) ? 'a list' : empty ? 'empty (a stray `---`?)' : 'a scalar';
    throw new TunnelbotError(
      'TB_ERR_SOPS_NOT_MAPPING',
      `${label} is ${what}, but sops needs a mapping (key: value) at the top of every document.`,
    );
  }
  const expand = (node: unknown, path: readonly string[]): unknown => {
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (!target) {
        throw new TunnelbotError('TB_ERR_SOPS_YAML_PARSE', `${label}: alias *${node.source} has no anchor.`);
      }
      const copy = target.clone() as Node;
      copy.anchor = undefined;
      return expand(copy, path);
    }
    if (isScalar(node)) {
      if (node.tag !== undefined && node.tag !== STR_TAG) {
        throw new TunnelbotError(
          'TB_ERR_SOPS_UNSUPPORTED_YAML',
          `${label}: the value at ${pathText(path)} has the tag ${node.tag}; only untagged values and !!str are supported.`,
        );
      }
      const text = String(node.value ?? '');
      if (node.type === 'PLAIN' && node.tag === undefined && isUint64OnlyInteger(text)) {
        throw new TunnelbotError(
          'TB_ERR_SOPS_UNSUPPORTED_YAML',
          `${label}: the integer at ${pathText(path)} is larger than a signed 64-bit integer, which sops cannot encrypt; quote it to keep it as a string.`,
        );
      }
      return node;
    }
    if (isSeq(node)) {
      node.items = node.items.map((item) => expand(item, path));
      return node;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) {
          throw new TunnelbotError(
            'TB_ERR_SOPS_NON_STRING_KEY',
            `${label}: a key under ${pathText(path)} is a ${isCollection(key) ? 'collection' : 'non-scalar'}, not a string.`,
          );
        }
        const keyValue = goValueOf(key);
        const text = String(key.value ?? '');
        if (key.type === 'PLAIN' && key.tag === undefined && text === '<<') {
          throw new TunnelbotError(
            'TB_ERR_SOPS_UNSUPPORTED_YAML',
            `${label}: the merge key "<<" under ${pathText(path)} is not supported; write the merged keys out.`,
          );
        }
        if (keyValue.kind !== 'str') {
          throw new TunnelbotError(
            'TB_ERR_SOPS_NON_STRING_KEY',
            `${label}: the key ${JSON.stringify(text)} under ${pathText(path)} is read as ${keyValue.kind}, not a string.`,
          );
        }
        if (key.tag !== undefined && key.tag !== STR_TAG) {
          throw new TunnelbotError(
            'TB_ERR_SOPS_UNSUPPORTED_YAML',
            `${label}: the key ${JSON.stringify(text)} under ${pathText(path)} has the tag ${key.tag}; only !!str is supported.`,
          );
        }
        const keyText = keyValue.value;
        if (seen.has(keyText)) {
          throw new TunnelbotError(
            'TB_ERR_SOPS_DUPLICATE_KEY',
            `${label}: the key ${JSON.stringify(keyText)} appears twice under ${pathText(path)}.`,
          );
        }
        seen.add(keyText);
        pair.value = expand(pair.value, [...path, keyText]);
      }
      return node;
    }
    if (node === null || node === undefined) return node;
    throw new TunnelbotError(
      'TB_ERR_SOPS_UNSUPPORTED_YAML',
      `${label}: unsupported YAML node at ${pathText(path)}.`,
    );
  };
  expand(contents, []);
  // Anchors go with the aliases: every copy now stands on its own, as in sops' output.
  visit(document, {
    Node(_key, node) {
      if (isScalar(node) || isCollection(node)) node.anchor = undefined;
    },
  });
  return contents as YAMLMap<Scalar, unknown>;
}

/** The string value of a mapping key (keys are validated to be strings before any walk). */
export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value ?? '') : '';
}

/** A node that can carry comments in the `yaml` package. */
export interface CommentHolder {
  commentBefore?: string | null;
  comment?: string | null;
}

export interface Leaf {
  readonly scalar: Scalar;
  readonly path: readonly string[];
  /** Comment lines attached to the keys on the path (for `*_comment_regex` rules). */
  readonly pathComments: readonly string[];
}

export interface CommentSlot {
  readonly holder: CommentHolder;
  readonly field: 'commentBefore' | 'comment';
  /** Path of the mapping or list the comment is written in (its sops AAD is this path plus `:`). */
  readonly enclosingPath: readonly string[];
}

export interface TreeVisitor {
  leaf(leaf: Leaf): void;
  comment(slot: CommentSlot): void;
}

function commentLines(...texts: (string | null | undefined)[]): string[] {
  return texts.flatMap((text) => (text ? text.split('\n') : []));
}

function visitComments(holder: CommentHolder, enclosingPath: readonly string[], visitor: TreeVisitor): void {
  for (const field of ['commentBefore', 'comment'] as const) {
    if (holder[field]) visitor.comment({ holder, field, enclosingPath });
  }
}

function walkNode(
  node: unknown,
  path: readonly string[],
  pathComments: readonly string[],
  containerPath: readonly string[],
  visitor: TreeVisitor,
  leadingComments: readonly string[] = [],
): void {
  if (isScalar(node)) {
    visitComments(node, containerPath, visitor);
    visitor.leaf({ scalar: node, path, pathComments });
    return;
  }
  if (isMap(node)) {
    visitComments(node, path, visitor);
    node.items.forEach((pair, index) => {
      const key = pair.key as Scalar;
      visitComments(key, path, visitor);
      const value = pair.value as unknown;
      const ownComments = [
        ...(index === 0 ? [...leadingComments, ...commentLines(node.commentBefore)] : []),
        ...commentLines(
          key.commentBefore,
          key.comment,
          isScalar(value) ? value.comment : isCollection(value) ? value.commentBefore : undefined,
        ),
      ];
      walkNode(value, [...path, keyText(key)], [...pathComments, ...ownComments], path, visitor);
    });
    return;
  }
  if (isSeq(node)) {
    visitComments(node, path, visitor);
    for (const item of (node as YAMLSeq).items) {
      const itemComments = isScalar(item) ? commentLines(item.commentBefore, item.comment) : [];
      walkNode(item, path, [...pathComments, ...itemComments], path, visitor);
    }
  }
}

/** Walks one document in sops order; the visitor may rewrite scalars and comments in place. */
export function walkDocument(document: YamlDocument, visitor: TreeVisitor): void {
  visitComments(document, [], visitor);
  walkNode(document.contents, [], [], [], visitor, commentLines(document.commentBefore));
}

/**
 * Output style shared by encrypt and decrypt: block collections like sops writes (flow style would force quotes
 * around every ENC[…] value), and keys that another YAML reader could take for a bool, null or number quoted.
 */
export function useSopsStyle(node: unknown): void {
  if (!isCollection(node)) return;
  node.flow = false;
  for (const item of node.items) {
    if (isPair(item)) {
      const key = item.key;
      if (
        isScalar(key) &&
        key.type === 'PLAIN' &&
        key.tag === undefined &&
        mustQuoteString(String(key.value))
      ) {
        key.type = 'QUOTE_DOUBLE';
      }
      useSopsStyle(item.value);
    } else {
      useSopsStyle(item);
    }
  }
}

/** A string scalar that every YAML reader reads back as this exact string. */
export function stringScalar(value: string): Scalar<string> {
  const node = new Scalar(value);
  node.type = mustQuoteString(value) ? 'QUOTE_DOUBLE' : undefined;
  return node;
}

const YAML_OUTPUT_OPTIONS: ToStringOptions = { lineWidth: 0, minContentWidth: 0 };

export function stringifyDocuments(documents: readonly YamlDocument[], indent: number): string {
  return documents
    .map((document, index) => {
      if (index > 0) document.directives.docStart = true;
      return document.toString({ ...YAML_OUTPUT_OPTIONS, indent });
    })
    .join('');
}
