import { isMap, Scalar } from 'yaml';
import { TunnelbotError } from '../../errors.js';
import { unwrapDataKey } from './age.js';
import {
  aadOf,
  decryptSopsValue,
  isSopsEncryptedValue,
  SopsValueError,
  type DecryptedSopsValue,
} from './cipher.js';
import { formatGoFloat, goBytesText, type GoValue } from './goformat.js';
import { SopsMac } from './mac.js';
import { parseMetadata, type SopsMetadata } from './metadata.js';
import { GoRegexError } from './regex.js';
import { compileCryptRule, type EncryptionDecider } from './rules.js';
import {
  describeFile,
  goValueOf,
  normaliseDocument,
  parseYamlStream,
  stringifyDocuments,
  stringScalar,
  useSopsStyle,
  walkDocument,
  type CommentSlot,
  type YamlDocument,
} from './tree.js';

export interface DecryptOptions {
  /** age identities (AGE-SECRET-KEY-1… / AGE-SECRET-KEY-PQ-1…); every one is tried on every recipient. */
  identities: readonly string[];
  /** Default true. false is sops' `--ignore-mac`. */
  verifyMac?: boolean;
  /** Names the input in error messages. */
  fileName?: string;
  /** Output indent; by default the indent the encrypted file was written with. */
  indent?: number;
  /** Receives non-fatal findings (an encrypted comment that does not decrypt is kept as is, like sops does). */
  onWarning?: (message: string) => void;
}

function pathLabel(path: readonly string[]): string {
  return path.length === 0 ? '(top level)' : path.join('.');
}

function valueError(fileLabel: string, path: readonly string[], problem: string): TunnelbotError {
  return new TunnelbotError(
    'TB_ERR_SOPS_VALUE',
    `${fileLabel}: the value at ${pathLabel(path)} ${problem}.`,
    {
      details: { path: [...path] },
    },
  );
}

const GO_DECIMAL_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Go's strconv.ParseFloat on what sops wrote (FormatFloat 'f', or +Inf/-Inf/NaN). */
function parseGoFloatText(text: string): number | undefined {
  if (GO_DECIMAL_FLOAT.test(text)) return Number(text);
  if (/^[+]?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  return undefined;
}

const GO_BOOL: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((text): [string, boolean] => [text, true]),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((text): [string, boolean] => [text, false]),
]);

/** A float written so that yaml.v3 and JavaScript read a float back (a bare `1` would read as an int). */
function yamlFloatText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  const text = formatGoFloat(value);
  return text.includes('.') ? text : `${text}.0`;
}

function plainScalar(text: string): Scalar<string> {
  const node = new Scalar(text);
  node.type = 'PLAIN';
  return node;
}

interface TypedPlaintext {
  /** What the MAC hashes: sops' ToBytes of the parsed value. */
  readonly macBytes: Buffer | string;
  readonly node: Scalar<string>;
}

/** Turns decrypted bytes back into the typed value sops would rebuild (Atoi, ParseFloat, ParseBool). */
function typedPlaintext(decrypted: DecryptedSopsValue, fail: (problem: string) => never): TypedPlaintext {
  const text = decrypted.plaintext.toString('utf8');
  switch (decrypted.type) {
    case 'str':
      return { macBytes: decrypted.plaintext, node: stringScalar(text) };
    case 'bytes':
      return { macBytes: decrypted.plaintext, node: stringScalar(text) };
    case 'time':
      return { macBytes: text, node: plainScalar(text) };
    case 'int': {
      if (!/^[+-]?\d+$/.test(text)) fail('is marked type:int but does not hold an integer');
      const value = BigInt(text);
      if (value < -(2n ** 63n) || value >= 2n ** 63n) fail('is marked type:int but is out of range');
      return { macBytes: value.toString(), node: plainScalar(value.toString()) };
    }
    case 'float': {
      const value = parseGoFloatText(text);
      if (value === undefined) fail('is marked type:float but does not hold a number');
      return { macBytes: formatGoFloat(value), node: plainScalar(yamlFloatText(value)) };
    }
    case 'bool': {
      const value = GO_BOOL.get(text);
      if (value === undefined) fail('is marked type:bool but does not hold a boolean');
      return { macBytes: value ? 'True' : 'False', node: plainScalar(value ? 'true' : 'false') };
    }
    case 'comment':
      return fail('is marked type:comment, which only comments may have');
  }
}

/** The indent the file was written with, read from the line under `sops:`. */
function detectIndent(text: string): number {
  const match = /^sops:[ \t]*\r?\n( +)\S/m.exec(text);
  const width = match?.[1]?.length ?? 4;
  return width >= 1 && width <= 9 ? width : 4;
}

function ancestorsFirstSelf(path: readonly string[]): string[][] {
  return Array.from({ length: path.length + 1 }, (_, index) => path.slice(0, path.length - index));
}

function extractMetadata(documents: readonly YamlDocument[], fileLabel: string): SopsMetadata {
  const first = documents[0]?.contents;
  if (!isMap(first) || !first.has('sops')) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_METADATA',
      `${fileLabel} has no top-level "sops" metadata in its first document ("sops metadata not found"); it is not a sops-encrypted file.`,
    );
  }
  return parseMetadata(first.get('sops', true), fileLabel);
}

function compileMetadataRule(metadata: SopsMetadata, fileLabel: string): EncryptionDecider {
  try {
    return compileCryptRule(metadata.rule);
  } catch (error) {
    if (error instanceof GoRegexError) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_METADATA',
        `${fileLabel}: the sops metadata ${metadata.rule.kind} ${JSON.stringify(metadata.rule.value)} is not a usable Go RE2 pattern: ${error.message}.`,
      );
    }
    throw error;
  }
}

function verifyMac(metadata: SopsMetadata, dataKey: Uint8Array, computed: string, fileLabel: string): void {
  let expected = '';
  if (metadata.mac !== '') {
    try {
      const decrypted = decryptSopsValue(metadata.mac, dataKey, metadata.macAad);
      expected = decrypted.plaintext.toString('utf8');
    } catch (error) {
      const reason = error instanceof SopsValueError ? error.message : String(error);
      throw new TunnelbotError(
        'TB_ERR_SOPS_MAC_MISMATCH',
        `${fileLabel}: the stored MAC could not be decrypted with lastmodified ${JSON.stringify(metadata.lastModified)} as its AAD: it ${reason}. The MAC or lastmodified was changed.`,
      );
    }
  }
  if (expected !== computed) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_MAC_MISMATCH',
      `${fileLabel} failed its integrity check: expected mac ${JSON.stringify(expected)}, computed ${JSON.stringify(computed)}. A value, the key order or the metadata was changed after encryption.`,
      { details: { expectedMac: expected, computedMac: computed } },
    );
  }
}

/**
 * Decrypts a sops YAML stream like `sops --decrypt`: unwraps the data key with the identities, decrypts every value
 * selected by the file's crypt rule under its key path, recomputes the MAC and (by default) compares it with the
 * stored one. Returns the plaintext with the original types and key order; throws on the first problem.
 */
export async function decryptYaml(encrypted: string, options: DecryptOptions): Promise<string> {
  const fileLabel = describeFile(options.fileName);
  const documents = parseYamlStream(encrypted, options.fileName);
  const metadata = extractMetadata(documents, fileLabel);
  documents.forEach((document, index) => {
    const top = normaliseDocument(document, options.fileName, index, documents.length);
    top.delete('sops');
  });
  const shouldDecrypt = compileMetadataRule(metadata, fileLabel);
  const dataKey = await unwrapDataKey(metadata.age, options.identities, fileLabel);
  const mac = new SopsMac(metadata.macOnlyEncrypted);

  const decryptComment = (slot: CommentSlot) => {
    const text = slot.holder[slot.field] ?? '';
    slot.holder[slot.field] = text
      .split('\n')
      .map((line) => {
        if (!isSopsEncryptedValue(line)) return line;
        for (const candidate of ancestorsFirstSelf(slot.enclosingPath)) {
          try {
            const decrypted = decryptSopsValue(line, dataKey, aadOf(candidate));
            if (decrypted.type === 'comment') return decrypted.plaintext.toString('utf8');
          } catch {
            // Comment placement differs between YAML libraries; the next enclosing path may be the right one.
          }
        }
        options.onWarning?.(
          `${fileLabel}: an encrypted comment under ${pathLabel(slot.enclosingPath)} could not be decrypted and is kept as is.`,
        );
        return line;
      })
      .join('\n');
  };

  for (const document of documents) {
    walkDocument(document, {
      comment: decryptComment,
      leaf: ({ scalar, path, pathComments }) => {
        const value: GoValue = goValueOf(scalar);
        if (value.kind === 'null') return;
        if (!shouldDecrypt(path, pathComments)) {
          mac.add(goBytesText(value), false);
          return;
        }
        if (value.kind !== 'str') {
          throw valueError(fileLabel, path, `should be encrypted but is a plain ${value.kind}`);
        }
        if (value.value === '') return;
        const fail = (problem: string): never => {
          throw valueError(fileLabel, path, problem);
        };
        let decrypted: DecryptedSopsValue;
        try {
          decrypted = decryptSopsValue(value.value, dataKey, aadOf(path));
        } catch (error) {
          if (error instanceof SopsValueError) {
            if (error.reason === 'format')
              fail('should be encrypted but is not an ENC[…] value of the sops format');
            fail(`could not be decrypted: it ${error.message}`);
          }
          throw error;
        }
        const typed = typedPlaintext(decrypted, fail);
        mac.add(typed.macBytes, true);
        scalar.value = typed.node.value;
        scalar.type = typed.node.type;
        scalar.tag = undefined;
      },
    });
    useSopsStyle(document.contents);
  }
  if (options.verifyMac !== false) verifyMac(metadata, dataKey, mac.hex(), fileLabel);
  return stringifyDocuments(documents, options.indent ?? detectIndent(encrypted));
}
