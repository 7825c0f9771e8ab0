import { randomBytes } from 'node:crypto';
import { Pair, Scalar } from 'yaml';
import { TunnelbotError } from '../../errors.js';
import { DATA_KEY_BYTES, isValidAgeRecipient, wrapDataKey } from './age.js';
import { aadOf, encryptSopsValue } from './cipher.js';
import { goBytesText, mustQuoteString } from './goformat.js';
import { SopsMac } from './mac.js';
import { buildMetadataNode, formatLastModified } from './metadata.js';
import { GoRegexError } from './regex.js';
import {
  compileCryptRule,
  DEFAULT_CRYPT_RULE,
  isCommentRule,
  type CryptRule,
  type EncryptionDecider,
} from './rules.js';
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
} from './tree.js';

export interface EncryptOptions {
  recipients: readonly string[];
  /** Default: `unencrypted_suffix: _unencrypted`, i.e. everything is encrypted, as sops does. */
  rule?: CryptRule;
  macOnlyEncrypted?: boolean;
  /** Time written as `lastmodified`; defaults to now. Pass it for reproducible output. */
  now?: Date;
  /** YAML indent of the output (sops default 4; `.sops.yaml` `stores: yaml: indent:`). */
  indent?: number;
  /** Names the input in error messages. */
  fileName?: string;
}

function compileRule(rule: CryptRule, fileLabel: string): EncryptionDecider {
  try {
    return compileCryptRule(rule);
  } catch (error) {
    if (error instanceof GoRegexError) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_CONFIG',
        `${rule.kind} ${JSON.stringify(rule.value)} for ${fileLabel} is not a usable Go RE2 pattern: ${error.message}`,
      );
    }
    throw error;
  }
}

function checkRecipients(recipients: readonly string[], fileLabel: string): string[] {
  const unique = [...new Set(recipients.map((recipient) => recipient.trim()).filter(Boolean))];
  if (unique.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_NO_RECIPIENT',
      `No age recipient was given to encrypt ${fileLabel}.`,
    );
  }
  for (const recipient of unique) {
    if (!isValidAgeRecipient(recipient)) {
      const shown = recipient.toUpperCase().startsWith('AGE-SECRET-KEY')
        ? '(an AGE-SECRET-KEY, not shown)'
        : recipient;
      throw new TunnelbotError(
        'TB_ERR_SOPS_BAD_RECIPIENT',
        `The age recipient ${shown} for ${fileLabel} is not a valid age public key.`,
      );
    }
  }
  return unique;
}

/**
 * Encrypts a YAML stream like `sops --encrypt`: one data key for the file, every value selected by the rule
 * AES-256-GCM encrypted under its key path, one MAC over all documents, and the same `sops:` block appended to every
 * document. Comments inside encrypted paths are encrypted as `type:comment`; comments outside stay plain.
 */
export async function encryptYaml(plaintext: string, options: EncryptOptions): Promise<string> {
  const fileLabel = describeFile(options.fileName);
  const documents = parseYamlStream(plaintext, options.fileName);
  if (documents.length === 0) {
    throw new TunnelbotError('TB_ERR_SOPS_NOT_MAPPING', `${fileLabel} has no YAML document to encrypt.`);
  }
  documents.forEach((document, index) => {
    const top = normaliseDocument(document, options.fileName, index, documents.length);
    if (top.has('sops')) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_ALREADY_ENCRYPTED',
        `${fileLabel} already has a top-level "sops" key${documents.length > 1 ? ` in document ${index + 1}` : ''}.`,
      );
    }
  });
  const recipients = checkRecipients(options.recipients, fileLabel);
  const rule = options.rule ?? DEFAULT_CRYPT_RULE;
  const shouldEncrypt = compileRule(rule, fileLabel);
  const macOnlyEncrypted = options.macOnlyEncrypted ?? false;

  const dataKey = randomBytes(DATA_KEY_BYTES);
  const mac = new SopsMac(macOnlyEncrypted);
  const encryptComment = (slot: CommentSlot) => {
    if (isCommentRule(rule) || !shouldEncrypt(slot.enclosingPath, [])) return;
    const text = slot.holder[slot.field] ?? '';
    const aad = aadOf(slot.enclosingPath);
    slot.holder[slot.field] = text
      .split('\n')
      .map((line) => encryptSopsValue(line, dataKey, aad, 'comment'))
      .join('\n');
  };
  for (const document of documents) {
    walkDocument(document, {
      comment: encryptComment,
      leaf: ({ scalar, path, pathComments }) => {
        const resolved = goValueOf(scalar);
        if (resolved.kind === 'null') return;
        // Unquoted timestamps are kept as the strings JavaScript YAML readers see; quoting them below makes Go
        // read a string too, so type and MAC bytes agree for every reader.
        const value =
          resolved.kind === 'time' ? { kind: 'str' as const, value: String(scalar.value) } : resolved;
        const bytes = goBytesText(value);
        const encrypted = shouldEncrypt(path, pathComments);
        mac.add(bytes, encrypted);
        if (encrypted) {
          scalar.value = encryptSopsValue(bytes, dataKey, aadOf(path), value.kind);
          scalar.type = bytes === '' ? 'QUOTE_DOUBLE' : 'PLAIN';
          scalar.tag = undefined;
        } else if (value.kind === 'str' && (scalar.type === 'PLAIN' || scalar.type === undefined)) {
          if (mustQuoteString(value.value)) scalar.type = 'QUOTE_DOUBLE';
        }
      },
    });
    useSopsStyle(document.contents);
  }

  const lastModified = formatLastModified(options.now ?? new Date());
  const macValue = encryptSopsValue(mac.hex(), dataKey, lastModified, 'str');
  const age = await Promise.all(recipients.map((recipient) => wrapDataKey(dataKey, recipient)));
  for (const document of documents) {
    const metadata = buildMetadataNode(
      { age, lastModified, mac: macValue, rule, macOnlyEncrypted },
      stringScalar,
    );
    (document.contents as { items: Pair[] }).items.push(new Pair(new Scalar('sops'), metadata));
  }
  return stringifyDocuments(documents, options.indent ?? 4);
}
