import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { unwrapDataKey } from '../../src/gitops/sops/age.js';
import { decryptSopsValue } from '../../src/gitops/sops/cipher.js';
import { parseAgeIdentities } from '../../src/gitops/sops/index.js';
import { parseMetadata } from '../../src/gitops/sops/metadata.js';
import { vectorPath as repoVector } from './vectors.js';
import { registerSecret } from './leak-scan.js';

export const VECTOR_RECIPIENT = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';

export function vectorPath(...parts: string[]): string {
  return repoVector('sops-flux', ...parts);
}

export function vectorIdentities(keyFile: string): string[] {
  const path = vectorPath('keys', keyFile);
  return parseAgeIdentities(readFileSync(path, 'utf8'), path);
}

export interface AgeKeyPair {
  readonly dir: string;
  readonly keyFile: string;
  readonly identity: string;
  readonly recipient: string;
  cleanup(): void;
}

/** A throwaway key pair from the real `age-keygen`, in its own temp directory. */
export function ageKeygen(): AgeKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-sops-'));
  const keyFile = join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const text = readFileSync(keyFile, 'utf8');
  const recipient = /# public key: (age1\S+)/.exec(text)?.[1];
  const identity = text.split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-1'));
  if (!recipient || !identity) throw new Error(`age-keygen wrote an unexpected key file:\n${text}`);
  registerSecret('age identity', identity);
  return { dir, keyFile, identity, recipient, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The documents of a YAML stream as plain JS (core schema); for asserting on decrypted output. */
export function parseYamlDocs(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors[0]?.message);
    return document.toJS() as unknown;
  });
}

/** Each `sops` block of an encrypted stream (plain JS). */
export function sopsBlocks(text: string): Record<string, unknown>[] {
  return parseYamlDocs(text).map((doc) => (doc as { sops: Record<string, unknown> }).sops);
}

/** The data key of an encrypted stream, without looking at its MAC. */
export async function dataKeyOf(text: string, identities: readonly string[]): Promise<Uint8Array> {
  const [first] = parseAllDocuments(text, { schema: 'failsafe' });
  return unwrapDataKey(parseMetadata(first?.get('sops', true), 'test').age, identities, 'test');
}

/** The data key and decrypted stored MAC of an encrypted stream, for checking MAC bytes against Go's. */
export async function openSopsFile(
  text: string,
  identities: readonly string[],
): Promise<{ dataKey: Uint8Array; storedMac: string; lastModified: string; macAad: string }> {
  const [first] = parseAllDocuments(text, { schema: 'failsafe' });
  const metadata = parseMetadata(first?.get('sops', true), 'test');
  const dataKey = await unwrapDataKey(metadata.age, identities, 'test');
  const storedMac = decryptSopsValue(metadata.mac, dataKey, metadata.macAad).plaintext.toString('utf8');
  return { dataKey, storedMac, lastModified: metadata.lastModified, macAad: metadata.macAad };
}

export function sha512Hex(values: readonly string[]): string {
  const hash = createHash('sha512');
  for (const value of values) hash.update(value);
  return hash.digest('hex').toUpperCase();
}
