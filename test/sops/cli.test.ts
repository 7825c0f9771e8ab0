import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli.js';
import { captureIo } from '../helpers/io.js';
import { parseYamlDocs, sopsBlocks, VECTOR_RECIPIENT, vectorPath } from '../helpers/sops.js';

const SECRET =
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tunnel\nstringData:\n  token: cli-secret-token\n';
const KEY_FILE = vectorPath('keys/age.txt');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunnelbot-cli-sops-'));
  writeFileSync(join(dir, 'secret.yaml'), SECRET);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const io = captureIo(dir);
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

describe('tunnelbot encrypt', () => {
  test('--age prints the encrypted YAML on stdout and leaves the file alone', async () => {
    const result = await run(
      'encrypt',
      'secret.yaml',
      '--age',
      VECTOR_RECIPIENT,
      '--encrypted-regex',
      '^stringData$',
    );
    assert.equal(result.code, 0, result.err);
    assert.equal(result.err, '');
    assert.ok(!result.out.includes('cli-secret-token'));
    assert.match(result.out, /name: tunnel\n/);
    assert.equal(sopsBlocks(result.out)[0]?.['encrypted_regex'], '^stringData$');
    assert.equal(readFileSync(join(dir, 'secret.yaml'), 'utf8'), SECRET);

    writeFileSync(join(dir, 'secret.enc.yaml'), result.out);
    const decrypted = await run('decrypt', 'secret.enc.yaml', '--identity', KEY_FILE);
    assert.equal(decrypted.code, 0, decrypted.err);
    assert.deepEqual(parseYamlDocs(decrypted.out), parseYamlDocs(SECRET));
  });

  test('without --age, recipients, rule and indent come from the nearest .sops.yaml', async () => {
    const nested = join(dir, 'repo', 'clusters', 'prod');
    mkdirSync(join(nested, 'apps'), { recursive: true });
    writeFileSync(join(dir, 'repo', '.sops.yaml'), 'creation_rules:\n  - age: age1wrongwrongwrong\n');
    writeFileSync(
      join(nested, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^apps/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${VECTOR_RECIPIENT}\nstores:\n  yaml:\n    indent: 2\n`,
    );
    writeFileSync(join(nested, 'apps', 'secret.yaml'), SECRET);
    const result = await run('encrypt', 'repo/clusters/prod/apps/secret.yaml');
    assert.equal(result.code, 0, result.err);
    const [block] = sopsBlocks(result.out);
    assert.equal(block?.['encrypted_regex'], '^(data|stringData)$');
    assert.match(result.out, /\nsops:\n {2}age:\n {4}- recipient: age1l44x/);

    writeFileSync(join(nested, 'other.yaml'), SECRET);
    const unmatched = await run('encrypt', 'repo/clusters/prod/other.yaml');
    assert.equal(unmatched.code, 1);
    assert.equal(unmatched.out, '');
    assert.match(unmatched.err, /No creation rule in .*clusters\/prod\/\.sops\.yaml matches other\.yaml/);
    assert.match(unmatched.err, /TB_ERR_SOPS_NO_MATCHING_RULE/);
  });

  test('failures exit 1 with the reason on stderr and nothing on stdout', async () => {
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    const cases: [string[], RegExp][] = [
      [['encrypt', 'secret.yaml'], /TB_ERR_SOPS_NO_RECIPIENT/],
      [['encrypt', 'secret.yaml', '--age', 'age1nope'], /age1nope .*TB_ERR_SOPS_BAD_RECIPIENT/s],
      [['encrypt', 'list.yaml', '--age', VECTOR_RECIPIENT], /list\.yaml is a list.*TB_ERR_SOPS_NOT_MAPPING/s],
      [
        ['encrypt', 'missing.yaml', '--age', VECTOR_RECIPIENT],
        /Cannot read missing\.yaml: ENOENT.*TB_ERR_FILE_READ/s,
      ],
      [['encrypt', '--age', VECTOR_RECIPIENT], /exactly one FILE.*TB_ERR_USAGE/s],
      [['encrypt', 'secret.yaml', '--bogus'], /TB_ERR_USAGE/],
    ];
    for (const [argv, stderr] of cases) {
      const result = await run(...argv);
      assert.equal(result.code, 1, argv.join(' '));
      assert.equal(result.out, '', argv.join(' '));
      assert.match(result.err, stderr);
    }
  });

  test('a .sops.yaml with a bad regex is reported with the file and rule index', async () => {
    const sub = join(dir, 'badregex');
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      join(sub, '.sops.yaml'),
      `creation_rules:\n  - path_regex: "a(?!b)"\n    age: ${VECTOR_RECIPIENT}\n`,
    );
    writeFileSync(join(sub, 's.yaml'), SECRET);
    const result = await run('encrypt', 'badregex/s.yaml');
    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.match(result.err, /badregex\/\.sops\.yaml: creation_rules\[0\]\.path_regex .*TB_ERR_SOPS_CONFIG/s);
  });
});

describe('tunnelbot decrypt', () => {
  test('decrypts a file written by the real sops', async () => {
    const result = await run('decrypt', vectorPath('algorithms/age.yaml'), '--identity', KEY_FILE);
    assert.equal(result.code, 0, result.err);
    assert.equal(
      result.out,
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: value\n',
    );
  });

  test('on a MAC failure nothing reaches stdout, the reason goes to stderr', async () => {
    const encrypted = await run(
      'encrypt',
      'secret.yaml',
      '--age',
      VECTOR_RECIPIENT,
      '--encrypted-regex',
      '^stringData$',
    );
    writeFileSync(join(dir, 'tampered.yaml'), encrypted.out.replace('name: tunnel', 'name: evil'));
    const result = await run('decrypt', 'tampered.yaml', '--identity', KEY_FILE);
    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.match(result.err, /tampered\.yaml failed its integrity check/);
    assert.match(result.err, /TB_ERR_SOPS_MAC_MISMATCH/);
    assert.ok(!result.err.includes('cli-secret-token'));

    const ignored = await run('decrypt', 'tampered.yaml', '--identity', KEY_FILE, '--ignore-mac');
    assert.equal(ignored.code, 0);
    assert.match(ignored.out, /token: cli-secret-token/);
  });

  test('wrong key, bad identity file, missing arguments', async () => {
    writeFileSync(join(dir, 'broken-key.txt'), '# my key\nAGE-SECRET-KEY-1NOTAREALKEYATALL\n');
    const cases: [string[], RegExp][] = [
      [
        ['decrypt', vectorPath('global/secret.yaml'), '--identity', KEY_FILE],
        /no identity matched.*TB_ERR_SOPS_NO_MATCHING_KEY/s,
      ],
      [
        ['decrypt', vectorPath('global/secret.yaml'), '--identity', 'broken-key.txt'],
        /broken-key\.txt: line 2 .*TB_ERR_SOPS_IDENTITY/s,
      ],
      [
        ['decrypt', vectorPath('global/secret.yaml'), '--identity', 'nokey.txt'],
        /Cannot read the identity file nokey\.txt/,
      ],
      [['decrypt', 'secret.yaml', '--identity', KEY_FILE], /sops metadata not found.*TB_ERR_SOPS_METADATA/s],
      [['decrypt', 'secret.yaml'], /--identity AGE_KEY_FILE.*TB_ERR_USAGE/s],
    ];
    for (const [argv, stderr] of cases) {
      const result = await run(...argv);
      assert.equal(result.code, 1, argv.join(' '));
      assert.equal(result.out, '', argv.join(' '));
      assert.match(result.err, stderr);
      assert.ok(!result.err.includes('AGE-SECRET-KEY-1NOTAREALKEYATALL'));
    }
  });

  test('--help documents both commands', async () => {
    const help = await run('--help');
    assert.match(help.out, /encrypt\s+Encrypt a YAML file/);
    assert.match(help.out, /decrypt\s+Decrypt a SOPS\/age YAML file/);
    const usage = await run('decrypt', '--help');
    assert.match(usage.out, /--identity FILE/);
  });
});
