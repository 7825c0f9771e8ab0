import assert from 'node:assert/strict';
import { test } from 'node:test';
import { armor } from 'age-encryption';
import { generateAgeKeyPair, unwrapDataKey, wrapDataKey } from '../../../src/gitops/sops/age.js';
import { TunnelbotError } from '../../../src/errors.js';

const DATA_KEY = new Uint8Array(32).fill(7);

/**
 * The entry with one byte of its age file changed, at `at(header)`: what a bad merge or a hand edit leaves. Inside
 * the header's base64 MAC the byte becomes another base64 letter (a flipped bit can leave base64, which age reports
 * as bad encoding, not as a bad MAC); elsewhere one bit is flipped.
 */
function damage(entry: { recipient: string; enc: string }, at: (header: string) => number, base64 = false) {
  const bytes = armor.decode(entry.enc);
  const position = at(new TextDecoder().decode(bytes.slice(0, 300)));
  const A = 'A'.charCodeAt(0);
  bytes[position] = base64 ? (bytes[position] === A ? A + 1 : A) : bytes[position]! ^ 1;
  return { recipient: entry.recipient, enc: armor.encode(bytes) };
}

function rejectedWith(code: string, message: RegExp) {
  return (error: unknown) =>
    error instanceof TunnelbotError && error.code === code && message.test(error.message);
}

test('a damaged age header or payload is reported as damage, a key for someone else as no matching key', async () => {
  const key = await generateAgeKeyPair();
  const other = await generateAgeKeyPair();
  const entry = await wrapDataKey(DATA_KEY, key.recipient);
  assert.deepEqual(await unwrapDataKey([entry], [key.identity], 'secret.sops.yaml'), DATA_KEY);

  await assert.rejects(
    unwrapDataKey([entry], [other.identity], 'secret.sops.yaml'),
    rejectedWith('TB_ERR_SOPS_NO_MATCHING_KEY', /no identity matched any of the file's age recipients/),
  );
  const damaged: Array<[string, (header: string) => number, RegExp, boolean?]> = [
    ['header MAC', (header) => header.indexOf('--- ') + 10, /invalid header HMAC/, true],
    ['version line', () => 3, /invalid version/],
    ['payload', (header) => header.indexOf('\n', header.indexOf('--- ')) + 20, /invalid tag|payload/],
  ];
  for (const [where, at, reason, base64] of damaged) {
    await assert.rejects(
      unwrapDataKey([damage(entry, at, base64)], [key.identity], 'secret.sops.yaml'),
      (error: unknown) =>
        rejectedWith(
          'TB_ERR_SOPS_AGE_CORRUPT',
          /secret\.sops\.yaml: the age-encrypted data key is damaged/,
        )(error) && reason.test((error as Error).message),
      where,
    );
  }
});
