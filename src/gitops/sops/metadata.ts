import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { TunnelbotError } from '../../errors.js';
import type { AgeStanzaEntry } from './age.js';
import { CRYPT_RULE_KINDS, DEFAULT_CRYPT_RULE, type CryptRule } from './rules.js';

/** Written as `sops.version`; must be semver for the sops CLI. The layout below is the one sops 3.10 writes. */
export const SOPS_FORMAT_VERSION = '3.10.2';

export interface SopsMetadata {
  readonly age: readonly AgeStanzaEntry[];
  /** `lastmodified` as written in the file. */
  readonly lastModified: string;
  /** The MAC's AAD: `lastmodified` re-formatted the way Go's time.Format(RFC3339) prints the parsed time. */
  readonly macAad: string;
  /** `ENC[…]` of the MAC, or "" when the file has none (sops then reports expected mac ""). */
  readonly mac: string;
  readonly rule: CryptRule;
  readonly macOnlyEncrypted: boolean;
}

/** `lastmodified` for a new file: UTC with second precision, as sops writes it. */
export function formatLastModified(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Parses RFC3339 and prints it back as Go's time.Format(time.RFC3339) would: the fraction is dropped, a zero offset
 * becomes `Z`, other offsets stay. Undefined when the text is not RFC3339.
 */
export function macAadFromLastModified(text: string): string | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, zone = '', offsetHours, offsetMinutes] = match;
  const monthNumber = Number(month);
  const daysInMonth = new Date(Date.UTC(Number(year), monthNumber, 0)).getUTCDate();
  if (monthNumber < 1 || monthNumber > 12 || Number(day) < 1 || Number(day) > daysInMonth) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  if (offsetHours !== undefined && (Number(offsetHours) > 23 || Number(offsetMinutes) > 59)) return undefined;
  const zeroOffset = zone === 'Z' || /^[+-]00:00$/.test(zone);
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${zeroOffset ? 'Z' : zone}`;
}

function scalar(value: string, type?: Scalar.Type): Scalar<string> {
  const node = new Scalar(value);
  if (type) node.type = type;
  return node;
}

export interface NewMetadata {
  readonly age: readonly AgeStanzaEntry[];
  readonly lastModified: string;
  readonly mac: string;
  readonly rule: CryptRule;
  readonly macOnlyEncrypted: boolean;
}

/** The `sops:` mapping, in the key order sops 3.10 writes; a fresh node per document. */
export function buildMetadataNode(metadata: NewMetadata, quoteIfNeeded: (value: string) => Scalar): YAMLMap {
  const map = new YAMLMap();
  const add = (key: string, value: unknown) => map.items.push(new Pair(scalar(key), value));
  const age = new YAMLSeq();
  for (const entry of metadata.age) {
    const item = new YAMLMap();
    item.items.push(new Pair(scalar('recipient'), scalar(entry.recipient)));
    item.items.push(new Pair(scalar('enc'), scalar(entry.enc, 'BLOCK_LITERAL')));
    age.items.push(item);
  }
  add('age', age);
  add('lastmodified', scalar(metadata.lastModified, 'QUOTE_DOUBLE'));
  // Flux finds encrypted patches by the bytes `mac: ENC[`, so the MAC must stay a plain scalar.
  add('mac', scalar(metadata.mac, 'PLAIN'));
  add(metadata.rule.kind, quoteIfNeeded(metadata.rule.value));
  if (metadata.macOnlyEncrypted) add('mac_only_encrypted', scalar('true', 'PLAIN'));
  add('version', scalar(SOPS_FORMAT_VERSION, 'PLAIN'));
  return map;
}

function metadataError(fileLabel: string, problem: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_SOPS_METADATA', `${fileLabel}: the sops metadata ${problem}.`);
}

function stringField(map: YAMLMap, key: string): string | undefined {
  const value = map.get(key, true) as unknown;
  if (value === undefined) return undefined;
  return isScalar(value) && value.value !== null ? String(value.value) : undefined;
}

function ageEntries(node: unknown, fileLabel: string, where: string): AgeStanzaEntry[] {
  if (node === undefined) return [];
  if (!isSeq(node)) throw metadataError(fileLabel, `field ${where} is not a list`);
  return node.items.map((item, index) => {
    if (!isMap(item)) throw metadataError(fileLabel, `entry ${index} of ${where} is not a mapping`);
    const recipient = stringField(item, 'recipient') ?? '';
    const enc = stringField(item, 'enc');
    if (!enc) throw metadataError(fileLabel, `entry ${index} of ${where} has no enc`);
    return { recipient, enc };
  });
}

/** Reads and checks the `sops` mapping the way sops' `ToInternal` does. */
export function parseMetadata(node: unknown, fileLabel: string): SopsMetadata {
  if (!isMap(node)) throw metadataError(fileLabel, 'block `sops:` is not a mapping');
  const lastModified = stringField(node, 'lastmodified');
  if (lastModified === undefined) throw metadataError(fileLabel, 'has no lastmodified');
  const macAad = macAadFromLastModified(lastModified);
  if (macAad === undefined) {
    throw metadataError(
      fileLabel,
      `field lastmodified ${JSON.stringify(lastModified)} is not an RFC3339 time`,
    );
  }
  let age = ageEntries(node.get('age', true), fileLabel, 'age');
  const keyGroups = node.get('key_groups', true) as unknown;
  if (keyGroups !== undefined) {
    if (!isSeq(keyGroups)) throw metadataError(fileLabel, 'field key_groups is not a list');
    if (keyGroups.items.length > 1) {
      throw metadataError(
        fileLabel,
        `has ${keyGroups.items.length} key groups (Shamir secret sharing), which tunnelbot does not support`,
      );
    }
    const [group] = keyGroups.items;
    if (group !== undefined) {
      if (!isMap(group)) throw metadataError(fileLabel, 'key group 0 is not a mapping');
      age = [...age, ...ageEntries(group.get('age', true), fileLabel, 'key_groups[0].age')];
    }
  }
  if (age.length === 0) throw metadataError(fileLabel, 'lists no age keys ("No keys found in file")');
  const rules = CRYPT_RULE_KINDS.flatMap((kind): CryptRule[] => {
    const value = stringField(node, kind);
    return value ? [{ kind, value }] : [];
  });
  if (rules.length > 1) {
    throw metadataError(
      fileLabel,
      `sets more than one crypt rule (${rules.map((rule) => rule.kind).join(', ')})`,
    );
  }
  const macOnly = stringField(node, 'mac_only_encrypted');
  return {
    age,
    lastModified,
    macAad,
    mac: stringField(node, 'mac') ?? '',
    rule: rules[0] ?? DEFAULT_CRYPT_RULE,
    macOnlyEncrypted: macOnly === 'true' || macOnly === 'True' || macOnly === 'TRUE',
  };
}
