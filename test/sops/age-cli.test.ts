import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Document } from 'yaml';
import { parseAllDocuments } from 'yaml';
import { decryptYaml, encryptYaml } from '../../src/gitops/sops/index.js';
import { ageKeygen, openSopsFile, parseYamlDocs, sopsBlocks, type AgeKeyPair } from '../helpers/sops.js';

let keys: AgeKeyPair;
let second: AgeKeyPair;
before(() => {
  keys = ageKeygen();
  second = ageKeygen();
});
after(() => {
  keys.cleanup();
  second.cleanup();
});

const SECRET =
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tunnel\nstringData:\n  token: s3cr3t-value\n';

test('the data key we wrap decrypts with the real age CLI to exactly our 32 bytes, for every recipient', async () => {
  const encrypted = await encryptYaml(SECRET, { recipients: [keys.recipient, second.recipient] });
  const [block] = sopsBlocks(encrypted);
  const entries = block?.['age'] as { recipient: string; enc: string }[];
  assert.deepEqual(
    entries.map((entry) => entry.recipient),
    [keys.recipient, second.recipient],
  );
  const ours = Buffer.from((await openSopsFile(encrypted, [keys.identity])).dataKey);
  assert.equal(ours.length, 32);
  for (const [index, pair] of [keys, second].entries()) {
    const entry = entries[index];
    assert.ok(entry);
    assert.match(entry.enc, /^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    for (const line of entry.enc.trim().split('\n').slice(1, -1))
      assert.ok(line.length <= 64, 'armor wraps at 64');
    const encFile = join(pair.dir, `enc-${index}.txt`);
    writeFileSync(encFile, entry.enc);
    const fromCli = execFileSync('age', ['-d', '-i', pair.keyFile, encFile]);
    assert.equal(fromCli.length, 32);
    assert.deepEqual(fromCli, ours);
  }
});

test('the enc block is written as a YAML literal block (enc: |)', async () => {
  const encrypted = await encryptYaml(SECRET, { recipients: [keys.recipient] });
  assert.match(encrypted, /\n {10}enc: \|\n {14}-----BEGIN AGE ENCRYPTED FILE-----\n/);
  assert.match(encrypted, /\n {4}mac: ENC\[AES256_GCM,/);
});

test('a file whose enc was made by `age -e -a -r` decrypts with our implementation', async () => {
  const encrypted = await encryptYaml(SECRET, { recipients: [keys.recipient] });
  const { dataKey } = await openSopsFile(encrypted, [keys.identity]);
  // The data key goes to age on stdin so it never touches the disk.
  const armored = execFileSync('age', ['-e', '-a', '-r', second.recipient], {
    input: dataKey,
    encoding: 'utf8',
  });
  const [document] = parseAllDocuments(encrypted, { schema: 'failsafe' }) as Document.Parsed[];
  assert.ok(document);
  document.setIn(['sops', 'age', 0, 'recipient'], second.recipient);
  const enc = document.getIn(['sops', 'age', 0, 'enc'], true) as { value: string };
  enc.value = armored;
  const rewritten = document.toString({ indent: 4, lineWidth: 0 });
  assert.notEqual(rewritten, encrypted);
  const plaintext = await decryptYaml(rewritten, { identities: [second.identity] });
  assert.equal(
    (parseYamlDocs(plaintext)[0] as { stringData: { token: string } }).stringData.token,
    's3cr3t-value',
  );
});
