import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { unwrapDataKey } from '../../src/gitops/sops/age.js';
import { decryptSopsValue } from '../../src/gitops/sops/cipher.js';
import { decryptYaml } from '../../src/gitops/sops/index.js';
import { parseMetadata } from '../../src/gitops/sops/metadata.js';
import { parseYamlDocs, vectorIdentities, vectorPath } from '../helpers/sops.js';

/** The table of `test/vectors/sops-flux/README.md`. */
const VECTORS = [
  {
    file: 'algorithms/age.yaml',
    key: 'age.txt',
    x25519: true,
    expected: { path: ['stringData', 'key'], value: 'value' },
    dataKey: '558e95c88337865c839703a4e892c03eed324ae6bbcb65c2989558e1a55825bb',
    macValues: ['v1', 'Secret', 'age', 'value'],
    mac: '5E6C78D06EF2D302C2DBC6DE95E8050A5DC5D24A5EE3F394BEC133BC432257EAD15A476AE609FE74379E7120853F13A1B080772BE5F162AD6945A25113B48862',
  },
  {
    file: 'global/secret.yaml',
    key: 'age-global.txt',
    x25519: true,
    expected: { path: ['stringData', 'key'], value: 'global-value' },
    dataKey: '95c21ac70e00e7cfc9c33cbaf95451176e458a504fe665a77f28ba93ff46b595',
    macValues: ['v1', 'Secret', 'global-age-secret', 'default', 'Opaque', 'global-value'],
    mac: 'F87D88951E6288CB29EAF85C9D738171AF10D9D9B5EE8E6311BFD154FB9BF8B1B6547AC288162AB0F342E8120641E6FF140B6901A165D230A1F53CF927F8C228',
  },
  {
    file: 'algorithms/age-pq.yaml',
    key: 'age-pq.txt',
    x25519: false,
    expected: { path: ['stringData', 'key'], value: 'value' },
    dataKey: 'bf6be4009ce5de949f482d70825a646bfddf6da4b8a79ec8c07099ac53f25eed',
    macValues: ['v1', 'Secret', 'age-pq', 'value'],
    mac: '024FE03695C446E693A8BFE44C9385543DDC67A1B04991DCA89B05821C5C5876FA1369C14889BB04F96DCE3DEDF2826D612156A74FE48346B0016E710BEAA7D3',
  },
  {
    file: 'patches/merge1.yaml',
    key: 'age.txt',
    x25519: true,
    expected: { path: ['stringData', 'key'], value: 'merge1' },
    dataKey: '1c15baa8e9b1775f5db7aabb0d1862485591ccd778c0ca2878992b64118325a7',
    macValues: ['v1', 'Secret', 'secret', 'merge1'],
    mac: '76714B5AC33F8DCA6E643A59A9CDE3B0C13384DE9AD745979CF6EBD00EACDC9E5F3968079EB7A053BC3570ED907C612227AC4185B971D4B6DC63C49B77B27740',
  },
  {
    file: 'patches/merge2.yaml',
    key: 'age.txt',
    x25519: true,
    expected: { path: ['stringData', 'merge2'], value: 'merge2' },
    dataKey: 'bf03b7f435e6a4b2f8672d006a52fb3802c24bc294db237243ef09a9f7bda777',
    macValues: ['v1', 'Secret', 'secret', 'merge2'],
    mac: '7AE1F3A2026966E27B82AEA3F7BB1823365AEDC2307889E6AC53715BA804F028EEAB187D4379A643A6C7DE14AD8D02FF90180160057529AF7ED416A4024C9AAF',
  },
] as const;

function valueAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
}

for (const vector of VECTORS) {
  describe(`sops-flux vector ${vector.file}`, () => {
    const text = readFileSync(vectorPath(vector.file), 'utf8');
    const identities = vectorIdentities(vector.key);
    const metadata = parseMetadata(
      parseDocument(text, { schema: 'failsafe' }).get('sops', true),
      vector.file,
    );

    test('decrypts with its key to the expected value, MAC verified', async () => {
      const plaintext = await decryptYaml(text, { identities, fileName: vector.file });
      const [doc] = parseYamlDocs(plaintext);
      assert.equal(valueAt(doc, vector.expected.path), vector.expected.value);
      assert.equal((doc as { kind: string }).kind, 'Secret');
      assert.equal((doc as Record<string, unknown>)['sops'], undefined);
      assert.doesNotMatch(plaintext, /ENC\[/);
    });

    test('the age-unwrapped data key is the one in the vectors README', async () => {
      const dataKey = await unwrapDataKey(metadata.age, identities, vector.file);
      assert.equal(Buffer.from(dataKey).toString('hex'), vector.dataKey);
    });

    test('the stored MAC decrypts to the README MAC, which is SHA-512 of the listed values', async () => {
      const dataKey = await unwrapDataKey(metadata.age, identities, vector.file);
      const stored = decryptSopsValue(metadata.mac, dataKey, metadata.macAad).plaintext.toString('utf8');
      assert.equal(stored, vector.mac);
      const hash = createHash('sha512');
      for (const value of vector.macValues) hash.update(value);
      assert.equal(hash.digest('hex').toUpperCase(), vector.mac);
    });

    if (vector.x25519) {
      test('the real age CLI unwraps the same 32-byte data key', () => {
        const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-vector-'));
        try {
          const encFile = join(dir, 'enc.txt');
          writeFileSync(encFile, metadata.age[0]?.enc ?? '');
          const dataKey = execFileSync('age', ['-d', '-i', vectorPath('keys', vector.key), encFile]);
          assert.equal(dataKey.length, 32);
          assert.equal(dataKey.toString('hex'), vector.dataKey);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}

test('a vector decrypted with another vector key fails with the recipients named and no secret shown', async () => {
  const text = readFileSync(vectorPath('global/secret.yaml'), 'utf8');
  const identities = vectorIdentities('age.txt');
  await assert.rejects(decryptYaml(text, { identities, fileName: 'secret.yaml' }), (error: Error) => {
    assert.equal((error as { code?: string }).code, 'TB_ERR_SOPS_NO_MATCHING_KEY');
    assert.match(error.message, /age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph/);
    assert.match(error.message, /age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29/);
    assert.doesNotMatch(error.message, /AGE-SECRET-KEY/);
    return true;
  });
});

test('the post-quantum vector with an X25519 key: the long recipient is shortened in the message', async () => {
  const text = readFileSync(vectorPath('algorithms/age-pq.yaml'), 'utf8');
  await assert.rejects(decryptYaml(text, { identities: vectorIdentities('age.txt') }), (error: Error) => {
    assert.match(
      error.message,
      /Recipients in the file: age1pq1ehusfwsvrente8p6gafr4jemv2urnqfm4…vgy2d3fh0afyx54pme6z\n/,
    );
    assert.ok(error.message.length < 1000, `message is ${error.message.length} characters`);
    return true;
  });
  await assert.rejects(decryptYaml(text, { identities: [] }), /No age identity was given/);
});
