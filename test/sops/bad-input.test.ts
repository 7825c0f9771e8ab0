import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  decryptYaml,
  encryptYaml,
  isValidAgeRecipient,
  parseAgeIdentities,
} from '../../src/gitops/sops/index.js';
import { parseYamlDocs, VECTOR_RECIPIENT, vectorIdentities, vectorPath } from '../helpers/sops.js';

const recipients = [VECTOR_RECIPIENT];
const SECRET_KEY = 'AGE-SECRET-KEY-1RH87A5Z54ZGUR9S0AS3R6WHFSEFNPLYMAKF5Z2CEU7R06VRJ0A3Q7242AM';

async function encryptRejects(text: string, code: string, message: RegExp, options = {}): Promise<void> {
  await assert.rejects(
    encryptYaml(text, { recipients, fileName: 'app/secret.yaml', ...options }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('encrypt refuses input sops would refuse', () => {
  test('a top-level list, a scalar or an empty document', async () => {
    await encryptRejects('- a\n- b\n', 'TB_ERR_SOPS_NOT_MAPPING', /app\/secret\.yaml is a list/);
    await encryptRejects('just text\n', 'TB_ERR_SOPS_NOT_MAPPING', /is a scalar/);
    await encryptRejects(
      'a: 1\n---\n---\nb: 2\n',
      'TB_ERR_SOPS_NOT_MAPPING',
      /document 2 of app\/secret\.yaml is empty/,
    );
    await encryptRejects('', 'TB_ERR_SOPS_NOT_MAPPING', /has no YAML document/);
  });

  test('keys that are not strings', async () => {
    await encryptRejects(
      '1: x\n',
      'TB_ERR_SOPS_NON_STRING_KEY',
      /key "1" under the top level is read as int/,
    );
    await encryptRejects(
      'a:\n  true: x\n',
      'TB_ERR_SOPS_NON_STRING_KEY',
      /key "true" under "a" is read as bool/,
    );
    await encryptRejects('? [a, b]\n: x\n', 'TB_ERR_SOPS_NON_STRING_KEY', /collection/);
    await encryptRejects('~: x\n', 'TB_ERR_SOPS_NON_STRING_KEY', /read as null/);
  });

  test('duplicate keys, at any depth', async () => {
    await encryptRejects(
      'a: 1\na: 2\n',
      'TB_ERR_SOPS_DUPLICATE_KEY',
      /"a" appears twice under the top level/,
    );
    await encryptRejects(
      'x:\n  y: 1\n  "y": 2\n',
      'TB_ERR_SOPS_DUPLICATE_KEY',
      /"y" appears twice under "x"/,
    );
  });

  test('a file that already has a top-level sops key', async () => {
    const vector = readFileSync(vectorPath('algorithms/age.yaml'), 'utf8');
    await encryptRejects(
      vector,
      'TB_ERR_SOPS_ALREADY_ENCRYPTED',
      /app\/secret\.yaml already has a top-level "sops" key/,
    );
  });

  test('invalid YAML names the file and the line', async () => {
    await encryptRejects(
      'a: [1\n',
      'TB_ERR_SOPS_YAML_PARSE',
      /app\/secret\.yaml is not valid YAML: .*line 2/,
    );
  });

  test('merge keys and custom tags', async () => {
    await encryptRejects('base: &b {x: 1}\nm:\n  <<: *b\n', 'TB_ERR_SOPS_UNSUPPORTED_YAML', /merge key/);
    await encryptRejects('a: !vault x\n', 'TB_ERR_SOPS_UNSUPPORTED_YAML', /tag !vault/);
  });

  test('invalid recipients, without echoing a secret key passed by mistake', async () => {
    await encryptRejects('a: 1\n', 'TB_ERR_SOPS_BAD_RECIPIENT', /age1notakey/, {
      recipients: ['age1notakey'],
    });
    await encryptRejects('a: 1\n', 'TB_ERR_SOPS_BAD_RECIPIENT', /not a valid age public key/, {
      recipients: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
    });
    await assert.rejects(
      encryptYaml('a: 1\n', { recipients: [SECRET_KEY] }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TB_ERR_SOPS_BAD_RECIPIENT');
        assert.ok(!error.message.includes(SECRET_KEY));
        return true;
      },
    );
    await encryptRejects('a: 1\n', 'TB_ERR_SOPS_NO_RECIPIENT', /No age recipient/, { recipients: [' ', ''] });
    assert.equal(isValidAgeRecipient(VECTOR_RECIPIENT), true);
    assert.equal(
      isValidAgeRecipient(`${VECTOR_RECIPIENT.slice(0, -1)}x`),
      false,
      'bech32 checksum is checked',
    );
  });

  test('an integer only Go uint64 can hold', async () => {
    await encryptRejects(
      'big: 18446744073709551615\n',
      'TB_ERR_SOPS_UNSUPPORTED_YAML',
      /"big" is larger than a signed 64-bit/,
    );
    const quoted = await encryptYaml('big: "18446744073709551615"\nmax: 9223372036854775807\n', {
      recipients,
    });
    assert.match(quoted, /type:str/);
  });

  test('a crypt rule regex JavaScript cannot express faithfully', async () => {
    await encryptRejects('a: 1\n', 'TB_ERR_SOPS_CONFIG', /encrypted_regex "\(\?=x\)" .*lookaround/, {
      rule: { kind: 'encrypted_regex', value: '(?=x)' },
    });
  });

  test('aliases are expanded: each copy is encrypted under its own path', async () => {
    const text = 'a: &shared s3cret-value\nb: *shared\n';
    const encrypted = await encryptYaml(text, { recipients });
    assert.ok(
      !encrypted.includes('s3cret-value') && !encrypted.includes('&shared') && !encrypted.includes('*shared'),
    );
    const decrypted = await decryptYaml(encrypted, { identities: vectorIdentities('age.txt') });
    assert.deepEqual(parseYamlDocs(decrypted), [{ a: 's3cret-value', b: 's3cret-value' }]);
  });
});

describe('age identity files', () => {
  test('comments and blank lines are ignored; X25519 and post-quantum keys are read', () => {
    const pq = readFileSync(vectorPath('keys/age-pq.txt'), 'utf8');
    const text = `# created: today\n\n${SECRET_KEY}\n  \n${pq}`;
    const identities = parseAgeIdentities(text, 'keys.txt');
    assert.equal(identities.length, 2);
    assert.equal(identities[0], SECRET_KEY);
    assert.match(identities[1] ?? '', /^AGE-SECRET-KEY-PQ-1/);
  });

  test('a malformed line is named by number and never echoed', () => {
    const broken = `${SECRET_KEY.slice(0, -1)}Q`;
    assert.throws(
      () => parseAgeIdentities(`# key\n${broken}\n`, 'keys.txt'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TB_ERR_SOPS_IDENTITY');
        assert.match(error.message, /keys\.txt: line 2 is not a valid age identity/);
        assert.ok(!error.message.includes(broken));
        return true;
      },
    );
    assert.throws(() => parseAgeIdentities('age1public-key-instead\n', 'keys.txt'), /line 1/);
  });

  test('a file without any identity', () => {
    assert.throws(
      () => parseAgeIdentities('# only a comment\n\n', 'empty.txt'),
      /empty\.txt holds no age identity/,
    );
  });
});
