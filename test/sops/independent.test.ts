import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decryptSops } from 'sops-age';
import { encryptYaml } from '../../src/gitops/sops/index.js';
import { VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';

// sops-age is an independent implementation of the value layer (age unwrap, AES-GCM, AAD per path). It does not
// check the MAC and cannot read multi-document files, so it only cross-checks values; the MAC is checked elsewhere.
test('an independent sops reader (npm sops-age) decrypts what we write, with the same types', async () => {
  const plaintext = `apiVersion: v1
kind: Secret
metadata:
  name: tunnel
stringData:
  token: independent-check
  nested:
    deeper: [one, two]
  number: 42
  ratio: 0.25
  flag: true
data:
  blob: aGVsbG8=
`;
  const encrypted = await encryptYaml(plaintext, {
    recipients: [VECTOR_RECIPIENT],
    rule: { kind: 'encrypted_regex', value: '^(data|stringData)$' },
  });
  const [secretKey] = vectorIdentities('age.txt');
  const decrypted = (await decryptSops(encrypted, { secretKey, fileType: 'yaml' })) as Record<
    string,
    unknown
  >;
  assert.deepEqual(decrypted['stringData'], {
    token: 'independent-check',
    nested: { deeper: ['one', 'two'] },
    number: 42,
    ratio: 0.25,
    flag: true,
  });
  assert.deepEqual(decrypted['data'], { blob: 'aGVsbG8=' });
  assert.deepEqual(decrypted['metadata'], { name: 'tunnel' });
});
