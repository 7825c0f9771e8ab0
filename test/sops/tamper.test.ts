import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encryptSopsValue } from '../../src/gitops/sops/cipher.js';
import { decryptYaml, encryptYaml } from '../../src/gitops/sops/index.js';
import { dataKeyOf, openSopsFile, sha512Hex, VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';

const identities = vectorIdentities('age.txt');
const recipients = [VECTOR_RECIPIENT];
const RULE = { kind: 'encrypted_regex', value: '^(data|stringData)$' } as const;
const NOW = new Date('2025-01-02T03:04:05Z');
const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: tunnel
stringData:
  TUNNEL_TOKEN: tok-very-secret-1
  other: tok-very-secret-2
`;

async function encrypted(text = SECRET, macOnlyEncrypted = false): Promise<string> {
  return encryptYaml(text, { recipients, rule: RULE, now: NOW, indent: 2, macOnlyEncrypted });
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const result = text.replace(from, to);
  assert.notEqual(result, text, `tamper pattern ${String(from)} did not match`);
  return result;
}

/** Replaces the stored MAC with `macHex` encrypted under `aad`, as a (buggy or malicious) producer might. */
async function withMac(text: string, macHex: string, aad: string): Promise<string> {
  const dataKey = await dataKeyOf(text, identities);
  return replaceOnce(text, /mac: ENC\[[^\n]+\]/, `mac: ${encryptSopsValue(macHex, dataKey, aad, 'str')}`);
}

async function rejectsWith(text: string, code: string, message?: RegExp): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(decryptYaml(text, { identities, fileName: 'secret.enc.yaml' }), (error: Error) => {
    assert.equal((error as { code?: string }).code, code, error.message);
    if (message) assert.match(error.message, message);
    assert.doesNotMatch(error.message, /tok-very-secret/);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}

describe('tampering is detected', () => {
  test('a plain value changed after encryption: MAC mismatch with expected and computed MAC', async () => {
    const tampered = replaceOnce(await encrypted(), 'name: tunnel', 'name: tunnel2');
    const error = await rejectsWith(
      tampered,
      'TB_ERR_SOPS_MAC_MISMATCH',
      /expected mac "[0-9A-F]{128}", computed "[0-9A-F]{128}"/,
    );
    assert.match(error.message, /secret\.enc\.yaml/);
    const ignored = await decryptYaml(tampered, { identities, verifyMac: false });
    assert.match(ignored, /name: tunnel2/);
  });

  test('two plain keys swapped: MAC mismatch', async () => {
    const tampered = replaceOnce(
      await encrypted(),
      'apiVersion: v1\nkind: Secret\n',
      'kind: Secret\napiVersion: v1\n',
    );
    await rejectsWith(tampered, 'TB_ERR_SOPS_MAC_MISMATCH');
  });

  test('two encrypted values swapped between keys: the AAD names the first failing path', async () => {
    const text = await encrypted();
    const token = /TUNNEL_TOKEN: (ENC\[[^\n]+\])/.exec(text)?.[1] ?? '';
    const other = /other: (ENC\[[^\n]+\])/.exec(text)?.[1] ?? '';
    const swapped = text.replace(token, 'SWAP').replace(other, token).replace('SWAP', other);
    await rejectsWith(swapped, 'TB_ERR_SOPS_VALUE', /stringData\.TUNNEL_TOKEN could not be decrypted/);
  });

  test('the MAC itself changed', async () => {
    const text = await encrypted();
    const tampered = text.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_all, prefix: string, char: string) => {
      return `${prefix}${char === 'A' ? 'B' : 'A'}`;
    });
    assert.notEqual(tampered, text);
    await rejectsWith(tampered, 'TB_ERR_SOPS_MAC_MISMATCH', /stored MAC could not be decrypted/);
  });

  for (const part of ['iv', 'tag'] as const) {
    test(`a value's ${part} changed: that path fails authentication`, async () => {
      const text = await encrypted();
      const pattern = new RegExp(`(other: ENC\\[AES256_GCM,data:[^,]+,(?:iv:[^,]+,)?${part}:)(.)`);
      const tampered = text.replace(
        pattern,
        (_all, prefix: string, char: string) => `${prefix}${char === 'A' ? 'B' : 'A'}`,
      );
      assert.notEqual(tampered, text);
      await rejectsWith(tampered, 'TB_ERR_SOPS_VALUE', /stringData\.other could not be decrypted/);
    });
  }

  test('lastmodified changed: the stored MAC no longer decrypts', async () => {
    const tampered = replaceOnce(await encrypted(), '2025-01-02T03:04:05Z', '2025-01-02T03:04:06Z');
    await rejectsWith(tampered, 'TB_ERR_SOPS_MAC_MISMATCH', /lastmodified "2025-01-02T03:04:06Z"/);
  });

  test('a MAC written in lowercase hex does not verify', async () => {
    const text = await encrypted();
    const { storedMac } = await openSopsFile(text, identities);
    await rejectsWith(
      await withMac(text, storedMac.toLowerCase(), '2025-01-02T03:04:05Z'),
      'TB_ERR_SOPS_MAC_MISMATCH',
    );
  });

  test('a float hashed with the JavaScript spelling 1.5e-7 instead of Go 0.00000015 does not verify', async () => {
    const text = await encryptYaml('tiny: 1.5e-7\nkey: v\n', {
      recipients,
      rule: { kind: 'encrypted_regex', value: '^key$' },
      now: NOW,
    });
    await decryptYaml(text, { identities });
    const { storedMac } = await openSopsFile(text, identities);
    assert.equal(storedMac, sha512Hex(['0.00000015', 'v']));
    await rejectsWith(
      await withMac(text, sha512Hex(['1.5e-7', 'v']), '2025-01-02T03:04:05Z'),
      'TB_ERR_SOPS_MAC_MISMATCH',
    );
  });

  test('an encrypted value replaced by a plain string is refused without echoing it', async () => {
    const tampered = replaceOnce(await encrypted(), /other: ENC\[[^\n]+\]/, 'other: tok-very-secret-3');
    await rejectsWith(tampered, 'TB_ERR_SOPS_VALUE', /stringData\.other should be encrypted/);
  });

  test('an ENC value with empty data is not sops format', async () => {
    const tampered = replaceOnce(await encrypted(), /(other: ENC\[AES256_GCM,data:)[^,]+/, '$1');
    await rejectsWith(tampered, 'TB_ERR_SOPS_VALUE', /stringData\.other/);
  });
});

describe('lastmodified is parsed and re-formatted for the MAC AAD, as sops does', () => {
  test('a .123Z fraction in the file is dropped for the AAD', async () => {
    const text = replaceOnce(await encrypted(), '"2025-01-02T03:04:05Z"', '"2025-01-02T03:04:05.123Z"');
    assert.match(await decryptYaml(text, { identities }), /TUNNEL_TOKEN: tok-very-secret-1/);
  });

  test('a producer that used the .123Z text verbatim as AAD fails', async () => {
    const text = replaceOnce(await encrypted(), '"2025-01-02T03:04:05Z"', '"2025-01-02T03:04:05.123Z"');
    const { storedMac } = await openSopsFile(text, identities);
    await rejectsWith(await withMac(text, storedMac, '2025-01-02T03:04:05.123Z'), 'TB_ERR_SOPS_MAC_MISMATCH');
  });

  test('an unquoted lastmodified and a +01:00 offset are accepted; a zero offset means Z', async () => {
    const base = await encrypted();
    const { storedMac } = await openSopsFile(base, identities);
    const offset = replaceOnce(base, '"2025-01-02T03:04:05Z"', '2025-01-02T04:04:05+01:00');
    await decryptYaml(await withMac(offset, storedMac, '2025-01-02T04:04:05+01:00'), { identities });
    const zero = replaceOnce(base, '"2025-01-02T03:04:05Z"', '"2025-01-02T03:04:05+00:00"');
    await decryptYaml(zero, { identities });
  });
});

describe('MAC options', () => {
  test('a missing MAC is reported as expected mac "" unless the check is skipped', async () => {
    const text = replaceOnce(await encrypted(), /\n {2}mac: ENC\[[^\n]+\]/, '');
    await rejectsWith(text, 'TB_ERR_SOPS_MAC_MISMATCH', /expected mac ""/);
    assert.match(await decryptYaml(text, { identities, verifyMac: false }), /tok-very-secret-2/);
  });

  test('mac_only_encrypted: editing a plain field keeps the file valid', async () => {
    const text = await encrypted(SECRET, true);
    const renamed = replaceOnce(text, 'name: tunnel', 'name: renamed');
    assert.match(await decryptYaml(renamed, { identities }), /name: renamed/);
  });
});

describe('bad metadata', () => {
  const cases: [string, (text: string) => string, RegExp][] = [
    ['no sops block', (text) => text.slice(0, text.indexOf('sops:')), /sops metadata not found/],
    ['missing lastmodified', (text) => text.replace(/\n {2}lastmodified: [^\n]+/, ''), /has no lastmodified/],
    [
      'unparsable lastmodified',
      (text) => text.replace('"2025-01-02T03:04:05Z"', '"yesterday"'),
      /not an RFC3339 time/,
    ],
    ['no keys', (text) => text.replace(/\n {2}age:\n(?: {4}[^\n]*\n)+/, '\n'), /No keys found/],
    [
      'two crypt rules',
      (text) => text.replace('  encrypted_regex:', '  unencrypted_suffix: _plain\n  encrypted_regex:'),
      /more than one crypt rule \(unencrypted_suffix, encrypted_regex\)/,
    ],
    [
      'two key groups',
      (text) => text.replace('  version:', '  key_groups:\n    - age: []\n    - age: []\n  version:'),
      /2 key groups/,
    ],
  ];
  for (const [name, tamper, message] of cases) {
    test(name, async () => {
      const text = await encrypted();
      const tampered = tamper(text);
      assert.notEqual(tampered, text);
      await rejectsWith(tampered, 'TB_ERR_SOPS_METADATA', message);
    });
  }
});
