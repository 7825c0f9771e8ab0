import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { decryptSopsValue } from '../../src/gitops/sops/cipher.js';
import { decryptYaml, encryptYaml, SOPS_FORMAT_VERSION } from '../../src/gitops/sops/index.js';
import {
  openSopsFile,
  parseYamlDocs,
  sha512Hex,
  sopsBlocks,
  VECTOR_RECIPIENT,
  vectorIdentities,
  vectorPath,
} from '../helpers/sops.js';

const identities = vectorIdentities('age.txt');
const recipients = [VECTOR_RECIPIENT];
const K8S_RULE = { kind: 'encrypted_regex', value: '^(data|stringData)$' } as const;

const K8S_SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: cloudflared-credentials
  namespace: linkding
  annotations:
    created: "2024-01-01"
type: Opaque
data:
  credentials.json: eyJBY2NvdW50VGFnIjoiYWJjIiwiVHVubmVsU2VjcmV0IjoiczNjcjN0In0=
stringData:
  TUNNEL_TOKEN: eyJhIjoiYWJjIiwidCI6ImRlZiIsInMiOiJnaGkifQ
  config.yaml: |
    tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef
    credentials-file: /etc/cloudflared/creds/credentials.json
`;

describe('Kubernetes Secret with encrypted_regex ^(data|stringData)$', () => {
  test('encrypts exactly data and stringData, keeps the rest readable, and decrypts back byte for byte', async () => {
    const encrypted = await encryptYaml(K8S_SECRET, { recipients, rule: K8S_RULE, indent: 2 });
    const [doc] = parseYamlDocs(encrypted) as Record<string, Record<string, string>>[];
    assert.ok(doc);
    assert.equal(doc['metadata']?.['name'], 'cloudflared-credentials');
    assert.equal(doc['type'] as unknown, 'Opaque');
    for (const section of ['data', 'stringData']) {
      for (const value of Object.values(doc[section] ?? {}))
        assert.match(value, /^ENC\[AES256_GCM,data:.+,type:str\]$/);
    }
    for (const secret of [
      'eyJBY2NvdW50VGFnIjoiYWJj',
      'eyJhIjoiYWJjIiwidCI6',
      '6ff42ae2-765d',
      'credentials-file',
    ]) {
      assert.ok(!encrypted.includes(secret), `${secret} must not appear in the output`);
    }
    assert.equal(await decryptYaml(encrypted, { identities }), K8S_SECRET);
  });

  test('writes the sops block sops 3.10 writes, with the rule, a semver version and a second-precision Z time', async () => {
    const encrypted = await encryptYaml(K8S_SECRET, {
      recipients,
      rule: K8S_RULE,
      now: new Date('2025-01-02T03:04:05.678Z'),
    });
    const [block] = sopsBlocks(encrypted);
    assert.deepEqual(Object.keys(block ?? {}), ['age', 'lastmodified', 'mac', 'encrypted_regex', 'version']);
    assert.equal(block?.['lastmodified'], '2025-01-02T03:04:05Z');
    assert.equal(block?.['encrypted_regex'], '^(data|stringData)$');
    assert.match(String(block?.['version']), /^\d+\.\d+\.\d+$/);
    assert.equal(block?.['version'], SOPS_FORMAT_VERSION);
    assert.match(encrypted, /\n {4}lastmodified: "2025-01-02T03:04:05Z"\n/);
    assert.match(
      encrypted,
      /\n {4}mac: ENC\[AES256_GCM,data:[^\n]+,type:str\]\n/,
      'Flux looks for `mac: ENC[`',
    );
    assert.match(encrypted, /\nsops:\n {4}age:\n {8}- recipient: age1/);
    const opened = await openSopsFile(encrypted, identities);
    assert.equal(opened.macAad, '2025-01-02T03:04:05Z');
    assert.match(opened.storedMac, /^[0-9A-F]{128}$/);
  });

  test('neither the data key nor the MAC plaintext appears in the output', async () => {
    const encrypted = await encryptYaml(K8S_SECRET, { recipients, rule: K8S_RULE });
    const { dataKey, storedMac } = await openSopsFile(encrypted, identities);
    const key = Buffer.from(dataKey);
    for (const form of [
      key.toString('hex'),
      key.toString('base64'),
      key.toString('base64').slice(0, 16),
      storedMac,
    ]) {
      assert.ok(!encrypted.includes(form), 'secret material leaked');
      assert.ok(!encrypted.toLowerCase().includes(form.toLowerCase().slice(0, 24)));
    }
  });

  test('every value, plain or encrypted, feeds the MAC in file order', async () => {
    const encrypted = await encryptYaml(K8S_SECRET, { recipients, rule: K8S_RULE });
    const { storedMac } = await openSopsFile(encrypted, identities);
    const expected = sha512Hex([
      'v1',
      'Secret',
      'cloudflared-credentials',
      'linkding',
      '2024-01-01',
      'Opaque',
      'eyJBY2NvdW50VGFnIjoiYWJjIiwiVHVubmVsU2VjcmV0IjoiczNjcjN0In0=',
      'eyJhIjoiYWJjIiwidCI6ImRlZiIsInMiOiJnaGkifQ',
      'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef\ncredentials-file: /etc/cloudflared/creds/credentials.json\n',
    ]);
    assert.equal(storedMac, expected);
  });
});

const SCALARS = `int: 42
negative: -7
hex: 0x1F
float: 1.5
tiny: 1.5e-7
whole: 1.0
yes_bool: true
no_bool: False
nothing: null
tilde: ~
empty_value:
empty: ""
date: 2024-01-01
stamp: 2024-01-01T10:00:00Z
yaml11_yes: yes
yaml11_on: on
yaml11_n: n
quoted_number: "123"
unicode: "héllo wörld ✓ 日本語"
`;

describe('every scalar type', () => {
  test('encrypts with Go types and bytes: int via decimal, float without exponent, bool True/False', async () => {
    const encrypted = await encryptYaml(SCALARS, { recipients });
    const [doc] = parseYamlDocs(encrypted) as Record<string, unknown>[];
    assert.ok(doc);
    const typeOf = (key: string) => /type:(\w+)\]$/.exec(String(doc[key]))?.[1];
    assert.deepEqual(
      [
        'int',
        'negative',
        'hex',
        'float',
        'tiny',
        'whole',
        'yes_bool',
        'no_bool',
        'date',
        'stamp',
        'yaml11_yes',
      ].map(typeOf),
      ['int', 'int', 'int', 'float', 'float', 'float', 'bool', 'bool', 'str', 'str', 'str'],
    );
    assert.equal(doc['nothing'], null);
    assert.equal(doc['tilde'], null);
    assert.equal(doc['empty_value'], null);
    assert.equal(doc['empty'], '');
    const { dataKey, storedMac } = await openSopsFile(encrypted, identities);
    const plaintextOf = (key: string) =>
      decryptSopsValue(String(doc[key]), dataKey, `${key}:`).plaintext.toString('utf8');
    assert.equal(plaintextOf('tiny'), '0.00000015');
    assert.equal(plaintextOf('whole'), '1');
    assert.equal(plaintextOf('hex'), '31');
    assert.equal(plaintextOf('yes_bool'), 'True');
    assert.equal(plaintextOf('no_bool'), 'False');
    const macValues = ['42', '-7', '31', '1.5', '0.00000015', '1', 'True', 'False'];
    macValues.push('2024-01-01', '2024-01-01T10:00:00Z', 'yes', 'on', 'n', '123', 'héllo wörld ✓ 日本語');
    assert.equal(storedMac, sha512Hex(macValues));
  });

  test('decrypts to the same types, with ambiguous strings quoted for Go and YAML 1.1 readers', async () => {
    const decrypted = await decryptYaml(await encryptYaml(SCALARS, { recipients }), { identities });
    const [doc] = parseYamlDocs(decrypted) as Record<string, unknown>[];
    assert.deepEqual(doc, {
      int: 42,
      negative: -7,
      hex: 31,
      float: 1.5,
      tiny: 1.5e-7,
      whole: 1,
      yes_bool: true,
      no_bool: false,
      nothing: null,
      tilde: null,
      empty_value: null,
      empty: '',
      date: '2024-01-01',
      stamp: '2024-01-01T10:00:00Z',
      yaml11_yes: 'yes',
      yaml11_on: 'on',
      yaml11_n: 'n',
      quoted_number: '123',
      unicode: 'héllo wörld ✓ 日本語',
    });
    assert.match(decrypted, /\nwhole: 1\.0\n/, 'a float stays a float');
    assert.match(decrypted, /\ntiny: 0\.00000015\n/);
    for (const key of ['date', 'stamp', 'yaml11_yes', 'yaml11_on', 'yaml11_n', 'quoted_number']) {
      assert.match(decrypted, new RegExp(`\\n${key}: "`), `${key} must be quoted`);
    }
  });

  test('plain timestamp-looking and YAML 1.1 strings are quoted in the encrypted output too', async () => {
    const encrypted = await encryptYaml(SCALARS, {
      recipients,
      rule: { kind: 'encrypted_regex', value: '^int$' },
    });
    for (const line of [
      'date: "2024-01-01"',
      'stamp: "2024-01-01T10:00:00Z"',
      'yaml11_yes: "yes"',
      'yaml11_on: "on"',
    ]) {
      assert.ok(encrypted.includes(`\n${line}\n`), line);
    }
    assert.ok(encrypted.includes('\nhex: 0x1F\n'), 'a plain int keeps its spelling');
  });
});

describe('structure', () => {
  const NESTED = `top:
  map:
    deep:
      secret: alpha
  list:
    - one
    - two
  people:
    - name: ada
      roles: [admin, dev]
    - name: bob
"weird:key": colon
"a.b": dotted
`;

  test('nested maps, lists and lists of maps round-trip; list indices are not in the AAD', async () => {
    const encrypted = await encryptYaml(NESTED, { recipients });
    const { dataKey } = await openSopsFile(encrypted, identities);
    const [doc] = parseYamlDocs(encrypted) as Record<string, unknown>[];
    const top = doc?.['top'] as {
      map: { deep: { secret: string } };
      list: string[];
      people: { name: string; roles: string[] }[];
    };
    const open = (value: string, aad: string) =>
      decryptSopsValue(value, dataKey, aad).plaintext.toString('utf8');
    assert.equal(open(top.map.deep.secret, 'top:map:deep:secret:'), 'alpha');
    assert.equal(open(top.list[1] ?? '', 'top:list:'), 'two');
    assert.equal(open(top.people[0]?.name ?? '', 'top:people:name:'), 'ada');
    assert.equal(open(top.people[0]?.roles[1] ?? '', 'top:people:roles:'), 'dev');
    assert.equal(open(String(doc?.['weird:key']), 'weird:key:'), 'colon', 'keys with : are joined as is');
    assert.equal(open(String(doc?.['a.b']), 'a.b:'), 'dotted');
    assert.deepEqual(parseYamlDocs(await decryptYaml(encrypted, { identities })), parseYamlDocs(NESTED));
  });

  test('keys YAML 1.1 would read as booleans are quoted in the output; flow collections become block style', async () => {
    const decrypted = await decryptYaml(await encryptYaml('on: push\nyes: [a, b]\n', { recipients }), {
      identities,
    });
    assert.equal(decrypted, '"on": push\n"yes":\n    - a\n    - b\n');
  });

  test('key order is preserved, including integer-like string keys', async () => {
    const text = 'zeta: 1\n"10": ten\n"2": two\nalpha: 3\n';
    const decrypted = await decryptYaml(await encryptYaml(text, { recipients }), { identities });
    assert.equal(decrypted, 'zeta: 1\n"10": ten\n"2": two\nalpha: 3\n');
  });

  test('multi-document files: one data key, one MAC over all documents, the sops block on every document', async () => {
    const text = 'kind: A\nsecret: one\n---\nkind: B\nsecret: two\n---\nkind: C\nnumber: 3\n';
    const encrypted = await encryptYaml(text, { recipients });
    const blocks = sopsBlocks(encrypted);
    assert.equal(blocks.length, 3);
    assert.deepEqual(blocks[1], blocks[0]);
    assert.deepEqual(blocks[2], blocks[0]);
    const { storedMac } = await openSopsFile(encrypted, identities);
    assert.equal(storedMac, sha512Hex(['A', 'one', 'B', 'two', 'C', '3']));
    const decrypted = await decryptYaml(encrypted, { identities });
    assert.deepEqual(parseYamlDocs(decrypted), parseYamlDocs(text));
  });

  test('unencrypted_suffix, encrypted_suffix, unencrypted_regex and mac_only_encrypted', async () => {
    const text = 'name_unencrypted: visible\npassword: hidden\nnested_unencrypted:\n  deep: visible-too\n';
    const bySuffix = await encryptYaml(text, { recipients });
    assert.ok(bySuffix.includes('name_unencrypted: visible\n') && bySuffix.includes('deep: visible-too'));
    assert.ok(!bySuffix.includes('hidden'));
    const onlySuffix = await encryptYaml('a: 1\ntoken_secret: token-secret-value\n', {
      recipients,
      rule: { kind: 'encrypted_suffix', value: '_secret' },
    });
    assert.ok(onlySuffix.includes('\na: 1\n') || onlySuffix.startsWith('a: 1\n'));
    assert.ok(!onlySuffix.includes('token-secret-value'));
    const byRegex = await encryptYaml('public: yes-ok\nsecret: regex-secret-value\n', {
      recipients,
      rule: { kind: 'unencrypted_regex', value: '^pub' },
    });
    assert.ok(byRegex.includes('public: yes-ok') && !byRegex.includes('regex-secret-value'));

    const macOnly = await encryptYaml(text, { recipients, macOnlyEncrypted: true });
    assert.match(macOnly, /\n {4}mac_only_encrypted: true\n/);
    const { storedMac } = await openSopsFile(macOnly, identities);
    const hash = createHash('sha512').update(createHash('sha256').update('sops').digest()).update('hidden');
    assert.equal(storedMac, hash.digest('hex').toUpperCase());
    assert.deepEqual(parseYamlDocs(await decryptYaml(macOnly, { identities })), parseYamlDocs(text));
  });

  test('comment rules: a key preceded by a matching comment is encrypted with its subtree', async () => {
    const text =
      'plain: p1\n# sops:enc\nsecret:\n  inner: first-secret-value\nother: p2\nline: second-secret-value # sops:enc\n';
    const encrypted = await encryptYaml(text, {
      recipients,
      rule: { kind: 'encrypted_comment_regex', value: 'sops:enc' },
      indent: 2,
    });
    assert.ok(encrypted.includes('plain: p1') && encrypted.includes('other: p2'));
    assert.ok(!encrypted.includes('first-secret-value') && !encrypted.includes('second-secret-value'));
    assert.ok(encrypted.includes('# sops:enc'), 'the marker comments stay readable');
    assert.equal(await decryptYaml(encrypted, { identities }), text);
  });
});

describe('comments', () => {
  const COMMENTED = `# the tunnel credentials
apiVersion: v1
kind: Secret
stringData:
  # rotate every 90 days
  token: abc123 # from cloudflare
`;

  test('under the default rule every comment is encrypted as type:comment, and decrypts back', async () => {
    const encrypted = await encryptYaml(COMMENTED, { recipients, indent: 2 });
    for (const text of ['the tunnel credentials', 'rotate every 90 days', 'from cloudflare']) {
      assert.ok(!encrypted.includes(text), text);
    }
    const { dataKey } = await openSopsFile(encrypted, identities);
    const comments = [...encrypted.matchAll(/#(ENC\[[^\]]+\])/g)].map((match) => match[1] ?? '');
    assert.equal(comments.length, 3);
    assert.equal(
      decryptSopsValue(comments[0] ?? '', dataKey, ':').plaintext.toString(),
      ' the tunnel credentials',
    );
    assert.equal(decryptSopsValue(comments[1] ?? '', dataKey, 'stringData:').type, 'comment');
    assert.equal(await decryptYaml(encrypted, { identities }), COMMENTED);
  });

  test('with encrypted_regex, comments outside data/stringData stay plain and comments do not feed the MAC', async () => {
    const encrypted = await encryptYaml(COMMENTED, { recipients, rule: K8S_RULE, indent: 2 });
    assert.ok(encrypted.startsWith('# the tunnel credentials\n'));
    assert.ok(!encrypted.includes('rotate every 90 days'));
    const { storedMac } = await openSopsFile(encrypted, identities);
    assert.equal(storedMac, sha512Hex(['v1', 'Secret', 'abc123']));
    assert.equal(await decryptYaml(encrypted, { identities }), COMMENTED);
  });
});

describe('recipients', () => {
  test('a post-quantum age1pq1 recipient and an X25519 one share the data key; either identity decrypts', async () => {
    const pqKeyFile = readFileSync(vectorPath('keys/age-pq.txt'), 'utf8');
    const pqRecipient = /# public key: (age1pq1\S+)/.exec(pqKeyFile)?.[1] ?? '';
    const encrypted = await encryptYaml(K8S_SECRET, {
      recipients: [pqRecipient, VECTOR_RECIPIENT],
      rule: K8S_RULE,
    });
    const [block] = sopsBlocks(encrypted);
    assert.equal((block?.['age'] as unknown[]).length, 2);
    const viaPq = await decryptYaml(encrypted, { identities: vectorIdentities('age-pq.txt') });
    const viaX25519 = await decryptYaml(encrypted, { identities });
    assert.equal(viaPq, viaX25519);
    assert.deepEqual(parseYamlDocs(viaPq), parseYamlDocs(K8S_SECRET));
  });

  test('duplicate recipients are written once', async () => {
    const encrypted = await encryptYaml('a: 1\n', {
      recipients: [VECTOR_RECIPIENT, ` ${VECTOR_RECIPIENT} `],
    });
    assert.equal((sopsBlocks(encrypted)[0]?.['age'] as unknown[]).length, 1);
  });
});
