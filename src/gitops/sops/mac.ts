import { createHash, type Hash } from 'node:crypto';

/**
 * The sops MAC: SHA-512 over the `ToBytes` of every non-null value in walk order, with no separators and no keys
 * (keys are bound by each value's AAD). With `mac_only_encrypted` the hash starts with sha256("sops") and takes only
 * the encrypted values, so plain fields may be edited later without breaking it.
 */
export class SopsMac {
  private readonly hash: Hash = createHash('sha512');

  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(createHash('sha256').update('sops').digest());
  }

  add(valueBytes: string | Uint8Array, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return;
    this.hash.update(valueBytes);
  }

  /** Go's `fmt.Sprintf("%X", sum)`: upper-case hex, 128 characters. */
  hex(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}
