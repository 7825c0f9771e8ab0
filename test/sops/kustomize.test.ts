import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decryptYaml, encryptYaml } from '../../src/gitops/sops/index.js';
import { parseYamlDocs, VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';

// Flux decrypts after `kustomize build`, which reorders keys (so only the value layer, not the MAC, survives it).
test('an encrypted Secret builds with kubectl kustomize and its built form still decrypts value by value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-kustomize-'));
  try {
    const plaintext =
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tunnel\n  namespace: app\ntype: Opaque\n' +
      'stringData:\n  credentials.json: \'{"TunnelSecret":"kustomize-check"}\'\n  retries: 3\n';
    const encrypted = await encryptYaml(plaintext, {
      recipients: [VECTOR_RECIPIENT],
      rule: { kind: 'encrypted_regex', value: '^(data|stringData)$' },
      indent: 2,
    });
    writeFileSync(join(dir, 'secret.yaml'), encrypted);
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: prod-\nresources:\n  - secret.yaml\n',
    );
    const built = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    assert.match(built, /mac: ENC\[AES256_GCM,/);
    assert.ok(!built.includes('kustomize-check'));
    const identities = vectorIdentities('age.txt');
    await assert.rejects(decryptYaml(built, { identities }), /integrity check/);
    const [doc] = parseYamlDocs(await decryptYaml(built, { identities, verifyMac: false })) as {
      metadata: { name: string };
      stringData: Record<string, unknown>;
    }[];
    assert.equal(doc?.metadata.name, 'prod-tunnel');
    assert.deepEqual(doc?.stringData, {
      'credentials.json': '{"TunnelSecret":"kustomize-check"}',
      retries: 3,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
