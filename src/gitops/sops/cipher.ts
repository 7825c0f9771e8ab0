import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The sops value cipher (`aes/cipher.go`): AES-256-GCM with a 32-byte nonce and 16-byte tag, AAD = the value's key
 * path. Encrypting "" yields "" (sops never writes an empty `data:`).
 */

export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

const SOPS_VALUE_TYPES: readonly string[] = ['str', 'int', 'float', 'bool', 'time', 'comment', 'bytes'];
const IV_BYTES = 32;
const TAG_BYTES = 16;
/** sops' own decrypt regex; `(.+)` means an empty data, iv or tag is not sops format. */
const ENC_PATTERN = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The AAD of a value: its key path joined by `:`, plus a trailing `:` (`:` alone at the top level). */
export function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

export function encryptSopsValue(
  plaintext: string,
  dataKey: Uint8Array,
  aad: string,
  type: SopsValueType,
  iv: Uint8Array = randomBytes(IV_BYTES),
): string {
  if (plaintext === '') return '';
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(tag)},type:${type}]`;
}

export function isSopsEncryptedValue(text: string): boolean {
  return ENC_PATTERN.test(text);
}

/** Why a value could not be decrypted; never carries the value itself. */
export class SopsValueError extends Error {
  constructor(readonly reason: 'format' | 'authentication') {
    super(
      reason === 'format'
        ? "does not match sops' ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] format"
        : 'failed authentication (wrong key path, or the value, IV or tag was changed)',
    );
  }
}

export interface DecryptedSopsValue {
  readonly plaintext: Buffer;
  readonly type: SopsValueType;
}

export function decryptSopsValue(encrypted: string, dataKey: Uint8Array, aad: string): DecryptedSopsValue {
  const match = ENC_PATTERN.exec(encrypted);
  if (!match) throw new SopsValueError('format');
  const [, dataText = '', ivText = '', tagText = '', type = ''] = match;
  if (![dataText, ivText, tagText].every((part) => STRICT_BASE64.test(part)))
    throw new SopsValueError('format');
  if (!SOPS_VALUE_TYPES.includes(type)) throw new SopsValueError('format');
  const iv = Buffer.from(ivText, 'base64');
  const tag = Buffer.from(tagText, 'base64');
  if (iv.length === 0 || tag.length !== TAG_BYTES) throw new SopsValueError('format');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    const plaintext = Buffer.concat([decipher.update(Buffer.from(dataText, 'base64')), decipher.final()]);
    return { plaintext, type: type as SopsValueType };
  } catch {
    throw new SopsValueError('authentication');
  }
}
