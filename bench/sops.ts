// Encrypt/decrypt throughput of src/gitops/sops for a typical tunnel credentials Secret and a larger manifest.
// Run: node --import tsx bench/sops.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decryptYaml, encryptYaml, parseAgeIdentities } from '../src/gitops/sops/index.js';

const keyFile = fileURLToPath(new URL('../test/vectors/sops-flux/keys/age.txt', import.meta.url));
const identities = parseAgeIdentities(readFileSync(keyFile, 'utf8'), keyFile);
const recipients = ['age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'];
const rule = { kind: 'encrypted_regex', value: '^(data|stringData)$' } as const;

const secret = `apiVersion: v1
kind: Secret
metadata:
  name: cloudflared-credentials
  namespace: linkding
stringData:
  credentials.json: '{"AccountTag":"0123456789abcdef","TunnelSecret":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","TunnelID":"6ff42ae2-765d-4adf-8112-31c55c1551ef"}'
`;
const large = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n${Array.from(
  { length: 500 },
  (_, index) => `  key${index}: value-${index}-${'x'.repeat(40)}`,
).join('\n')}\n`;

async function measure(label: string, plaintext: string, iterations: number): Promise<void> {
  const encrypted = await encryptYaml(plaintext, { recipients, rule });
  let start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) await encryptYaml(plaintext, { recipients, rule });
  const encryptMs = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) await decryptYaml(encrypted, { identities });
  const decryptMs = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  console.log(
    `${label}: ${plaintext.length} B plaintext -> ${encrypted.length} B encrypted ` +
      `(x${(encrypted.length / plaintext.length).toFixed(2)}); encrypt ${encryptMs.toFixed(2)} ms, decrypt ${decryptMs.toFixed(2)} ms (mean of ${iterations})`,
  );
}

export async function run(): Promise<void> {
  await measure('tunnel credentials Secret', secret, 200);
  await measure('Secret with 500 keys', large, 20);
}
