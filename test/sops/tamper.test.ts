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

describe('files from other sops versions and producers', () => {
  test('sops >=3.10 time values: type:time decrypts, and unquoted plain timestamps hash as RFC3339Nano', async () => {
    const base = await encryptYaml('created_unencrypted: "2024-01-01"\nsecret: placeholder-value\n', {
      recipients,
      now: NOW,
    });
    const dataKey = await dataKeyOf(base, identities);
    let text = replaceOnce(base, 'created_unencrypted: "2024-01-01"', 'created_unencrypted: 2024-01-01');
    text = replaceOnce(
      text,
      /secret: ENC\[[^\n]+\]/,
      `secret: ${encryptSopsValue('2024-05-06T07:08:09.5+02:00', dataKey, 'secret:', 'time')}`,
    );
    text = await withMac(
      text,
      sha512Hex(['2024-01-01T00:00:00Z', '2024-05-06T07:08:09.5+02:00']),
      '2025-01-02T03:04:05Z',
    );
    const decrypted = await decryptYaml(text, { identities });
    assert.equal(decrypted, 'created_unencrypted: 2024-01-01\nsecret: 2024-05-06T07:08:09.5+02:00\n');
  });

  test('an encrypted comment that no longer decrypts is kept as is, with a warning', async () => {
    const text = await encryptYaml('# note\nkey: value-here\n', { recipients, now: NOW });
    const tampered = text.replace(
      /^#ENC\[AES256_GCM,data:(.)/,
      (_all, char: string) => `#ENC[AES256_GCM,data:${char === 'A' ? 'B' : 'A'}`,
    );
    assert.notEqual(tampered, text);
    const warnings: string[] = [];
    const decrypted = await decryptYaml(tampered, {
      identities,
      onWarning: (warning) => warnings.push(warning),
    });
    assert.match(decrypted, /^#ENC\[AES256_GCM,/);
    assert.match(decrypted, /\nkey: value-here\n/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /encrypted comment under \(top level\) could not be decrypted/);
  });

  test('enc: |- is accepted; armor re-wrapped at 76 columns is refused like sops refuses it', async () => {
    const text = await encrypted();
    const stripped = replaceOnce(text, 'enc: |\n', 'enc: |-\n');
    assert.match(await decryptYaml(stripped, { identities }), /tok-very-secret-1/);

    const armor = /( +)-----BEGIN AGE ENCRYPTED FILE-----\n((?:\1[A-Za-z0-9+/=]+\n)+)\1-----END/.exec(text);
    assert.ok(armor);
    const indent = armor[1] ?? '';
    const body = (armor[2] ?? '').replace(/\s+/g, '');
    const rewrapped = (body.match(/.{1,76}/g) ?? []).map((line) => `${indent}${line}\n`).join('');
    const wide = text.replace(armor[2] ?? '', rewrapped);
    assert.notEqual(wide, text);
    await rejectsWith(wide, 'TB_ERR_SOPS_AGE_CORRUPT', /enc is not a valid age armor/);
  });
});
