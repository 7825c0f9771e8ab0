import type * as AgeModule from 'age-encryption';
import { createRequire } from 'node:module';
import { TunnelbotError } from '../../errors.js';

type AgeEncryption = typeof AgeModule;
let loaded: AgeEncryption | undefined;

/**
 * age-encryption, loaded on first use: with its post-quantum code it is about 16 MiB of memory that `serve` does not
 * need until someone exposes an app. Synchronous (Node's require of an ES module), so the checks stay synchronous.
 */
function age(): AgeEncryption {
  loaded ??= createRequire(import.meta.url)('age-encryption') as AgeEncryption;
  return loaded;
}

/**
 * The age layer of sops: the raw 32-byte data key is age-encrypted to each recipient and stored ASCII-armored
 * (64 columns, what `age -a` and sops write). typage handles X25519 `age1…` and hybrid post-quantum `age1pq1…`.
 */

export const DATA_KEY_BYTES = 32;

/** What age-encryption's Decrypter throws when no identity unwraps any stanza (and only then). */
const AGE_NO_MATCH = "no identity matched any of the file's recipients";

/** Whether `age-encryption` can encrypt to this recipient (X25519 `age1…`, post-quantum `age1pq1…`, tag types). */
export function isValidAgeRecipient(recipient: string): boolean {
  try {
    new (age().Encrypter)().addRecipient(recipient);
    return true;
  } catch {
    return false;
  }
}

export interface AgeStanzaEntry {
  readonly recipient: string;
  /** ASCII-armored age file holding the data key. */
  readonly enc: string;
}

export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<AgeStanzaEntry> {
  const encrypter = new (age().Encrypter)();
  encrypter.addRecipient(recipient);
  return { recipient, enc: age().armor.encode(await encrypter.encrypt(dataKey)) };
}

function isValidIdentity(line: string): boolean {
  try {
    new (age().Decrypter)().addIdentity(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads an age identity file: `#` comments and blank lines ignored, one `AGE-SECRET-KEY-1…` or
 * `AGE-SECRET-KEY-PQ-1…` per line. Errors name the line, never its content (it may be a key).
 */
export function parseAgeIdentities(text: string, fileName: string): string[] {
  const identities: string[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!/^AGE-SECRET-KEY-(PQ-)?1/.test(line) || !isValidIdentity(line)) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_IDENTITY',
        `${fileName}: line ${index + 1} is not a valid age identity (expected one AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1… per line).`,
      );
    }
    identities.push(line);
  });
  if (identities.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_IDENTITY',
      `${fileName} holds no age identity (AGE-SECRET-KEY-… line).`,
    );
  }
  return identities;
}

/** Post-quantum recipients are ~2000 characters; messages show their start and end. */
function shortRecipient(recipient: string): string {
  return recipient.length > 90 ? `${recipient.slice(0, 40)}…${recipient.slice(-20)}` : recipient;
}

async function publicKeysOf(identities: readonly string[]): Promise<string[]> {
  return Promise.all(
    identities.map(async (identity) => {
      try {
        return await age().identityToRecipient(identity);
      } catch {
        return '(invalid identity)';
      }
    }),
  );
}

/** Tries every identity on every entry, as sops does; the first entry that yields 32 bytes wins. */
export async function unwrapDataKey(
  entries: readonly AgeStanzaEntry[],
  identities: readonly string[],
  fileLabel: string,
): Promise<Uint8Array> {
  if (identities.length === 0) {
    throw new TunnelbotError('TB_ERR_SOPS_IDENTITY', `No age identity was given to decrypt ${fileLabel}.`);
  }
  const decrypter = new (age().Decrypter)();
  for (const identity of identities) {
    try {
      decrypter.addIdentity(identity);
    } catch {
      throw new TunnelbotError(
        'TB_ERR_SOPS_IDENTITY',
        'One of the given age identities is not a valid age key.',
      );
    }
  }
  // An entry no identity opens may be someone else's; one that fails any other way (armor, header, HMAC, data) was
  // damaged, and reporting that as a wrong key sends people hunting for a key they already have.
  const mismatches: string[] = [];
  const damaged: string[] = [];
  for (const entry of entries) {
    let file: Uint8Array;
    try {
      file = age().armor.decode(entry.enc);
    } catch (error) {
      damaged.push(
        `${shortRecipient(entry.recipient)}: enc is not a valid age armor (${(error as Error).message})`,
      );
      continue;
    }
    try {
      const dataKey = await decrypter.decrypt(file, 'uint8array');
      if (dataKey.length === DATA_KEY_BYTES) return dataKey;
      damaged.push(
        `${shortRecipient(entry.recipient)}: the data key has ${dataKey.length} bytes instead of ${DATA_KEY_BYTES}`,
      );
    } catch (error) {
      const message = (error as Error).message;
      (message === AGE_NO_MATCH ? mismatches : damaged).push(
        `${shortRecipient(entry.recipient)}: ${message}`,
      );
    }
  }
  const recipients = entries.map((entry) => shortRecipient(entry.recipient)).join(', ');
  if (damaged.length > 0) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_AGE_CORRUPT',
      `${fileLabel}: the age-encrypted data key is damaged, so the file was changed after encryption.\n` +
        `  Damaged: ${damaged.join('; ')}` +
        (mismatches.length > 0 ? `\n  Not for the identities tried: ${mismatches.join('; ')}` : ''),
      { details: { recipients: entries.map((entry) => entry.recipient) } },
    );
  }
  const tried = await publicKeysOf(identities);
  throw new TunnelbotError(
    'TB_ERR_SOPS_NO_MATCHING_KEY',
    `${fileLabel}: no identity matched any of the file's age recipients.\n` +
      `  Recipients in the file: ${recipients}\n` +
      `  Public keys of the identities tried: ${tried.map(shortRecipient).join(', ')}`,
    { details: { recipients: entries.map((entry) => entry.recipient), triedPublicKeys: tried } },
  );
}

/** A fresh X25519 key pair (what `age-keygen` makes), for demos and tests that must not reuse a real key. */
export async function generateAgeKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await age().generateX25519Identity();
  return { identity, recipient: await age().identityToRecipient(identity) };
}
