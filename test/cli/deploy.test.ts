import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../src/config.js';
import { parseSettings } from '../../src/core/settings.js';
import { renderFluxNotifications } from '../../src/gitops/manifests/flux-notifications.js';
import { kustomizeBuild } from '../helpers/trees.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- built manifests are untyped YAML
type Manifest = any;

function build(directory: string): Manifest[] {
  return parseAllDocuments(kustomizeBuild(directory)).map((document) => document.toJS());
}

function kustomizationDirectories(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return kustomizationDirectories(join(directory, entry.name));
    return entry.name === 'kustomization.yaml' ? [directory] : [];
  });
}

test('deploy/ builds with kustomize: a hardened Deployment running `serve` with the settings mounted', () => {
  const objects = parseAllDocuments(kustomizeBuild('deploy')).map((document) => document.toJS());
  const deployment = objects.find((object) => object.kind === 'Deployment');
  const configMap = objects.find((object) => object.kind === 'ConfigMap');
  assert.equal(deployment.metadata.namespace, 'tunnelbot');
  const container = deployment.spec.template.spec.containers[0];
  assert.deepEqual(container.args, ['serve']);
  assert.doesNotMatch(container.image, /:latest$/);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(deployment.spec.template.spec.volumes[0].configMap.name, configMap.metadata.name);
  assert.match(configMap.metadata.name, /^tunnelbot-settings-[a-z0-9]+$/);
  assert.equal(configMap.data['tunnelbot.yaml'], readFileSync('deploy/tunnelbot.example.yaml', 'utf8'));
});

test('.env.example names every environment variable the configuration reads', () => {
  const example = readFileSync('.env.example', 'utf8');
  // The contract of DESIGN.md §5: add, never rename.
  assert.deepEqual([...ENVIRONMENT_VARIABLES].sort(), [
    'CLOUDFLARE_ACCOUNT_ID',
    'CLOUDFLARE_API_TOKEN',
    'CLOUDFLARE_BASE_URL',
    'FLUX_WEBHOOK_TOKEN',
    'GITHUB_API_URL',
    'GITHUB_APP_ID',
    'GITHUB_APP_INSTALLATION_ID',
    'GITHUB_APP_PRIVATE_KEY',
    'GITHUB_TOKEN',
    'GITHUB_WEBHOOK_SECRET',
    'LOG_LEVEL',
    'PORT',
    'SLACK_API_URL',
    'SLACK_APP_TOKEN',
    'SLACK_BOT_TOKEN',
    'SLACK_MODE',
    'SLACK_SIGNING_SECRET',
    'TUNNELBOT_SETTINGS',
  ]);
  for (const name of ENVIRONMENT_VARIABLES)
    assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is missing from .env.example`);
});

test('every kustomization in deploy/ builds with kubectl kustomize', () => {
  const directories = kustomizationDirectories('deploy').sort();
  assert.deepEqual(directories, [
    'deploy',
    'deploy/flux',
    'deploy/flux/notifications',
    'deploy/flux/secrets',
  ]);
  for (const directory of directories) assert.ok(build(directory).length > 0, `${directory} builds objects`);
});

test('the namespace enforces Pod Security restricted, and the NetworkPolicy admits only the HTTP port', () => {
  const objects = build('deploy');
  const namespace = objects.find((object) => object.kind === 'Namespace');
  assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  const deployment = objects.find((object) => object.kind === 'Deployment');
  const policy = objects.find((object) => object.kind === 'NetworkPolicy');
  assert.equal(policy.metadata.namespace, 'tunnelbot');
  assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels);
  assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
  const containerPort = deployment.spec.template.spec.containers[0].ports[0].containerPort;
  assert.deepEqual(policy.spec.ingress, [{ ports: [{ protocol: 'TCP', port: containerPort }] }]);
  const egressPorts = policy.spec.egress.flatMap((rule: Manifest) =>
    rule.ports.map((port: Manifest) => `${port.protocol}/${port.port}`),
  );
  assert.deepEqual(egressPorts.sort(), ['TCP/443', 'TCP/53', 'UDP/53']);
  const https = policy.spec.egress.find((rule: Manifest) => rule.ports[0].port === 443);
  assert.ok(
    https.to.every((peer: Manifest) => peer.ipBlock.except.length > 0),
    'no HTTPS into private ranges',
  );
});

test('the Flux example installs deploy/ from a release tag with the settings patched in, secrets decrypted', () => {
  const objects = build('deploy/flux');
  const source = objects.find((object) => object.kind === 'GitRepository');
  assert.equal(source.spec.url, 'https://github.com/tunnelbot/tunnelbot');
  assert.match(source.spec.ref.tag, /^v\d+\.\d+\.\d+$/);
  const image = build('deploy').find((object) => object.kind === 'Deployment').spec.template.spec
    .containers[0].image;
  assert.equal(
    image,
    `ghcr.io/tunnelbot/tunnelbot:${source.spec.ref.tag.slice(1)}`,
    'the tag and the image move together',
  );
  const [workload, secrets] = ['tunnelbot', 'tunnelbot-secrets'].map((name) =>
    objects.find((object) => object.kind === 'Kustomization' && object.metadata.name === name),
  );
  assert.equal(workload.spec.path, './deploy');
  assert.equal(workload.spec.sourceRef.name, source.metadata.name);
  assert.equal(secrets.spec.decryption.provider, 'sops');
  assert.deepEqual(secrets.spec.dependsOn, [{ name: 'tunnelbot' }]);

  // Flux adds spec.patches to the kustomization.yaml at spec.path; do the same and build, as kustomize-controller does.
  const copy = mkdtempSync(join(tmpdir(), 'tunnelbot-deploy-'));
  cpSync('deploy', copy, { recursive: true });
  const kustomization = parseDocument(readFileSync(join(copy, 'kustomization.yaml'), 'utf8')).toJS();
  writeFileSync(
    join(copy, 'kustomization.yaml'),
    stringify({ ...kustomization, patches: workload.spec.patches }),
  );
  const patched = build(copy);
  const configMap = patched.find((object) => object.kind === 'ConfigMap');
  const deployment = patched.find((object) => object.kind === 'Deployment');
  assert.equal(deployment.spec.template.spec.volumes[0].configMap.name, configMap.metadata.name);
  const settings = parseSettings(configMap.data['tunnelbot.yaml'], 'patched settings');
  assert.equal(settings.repository?.name, 'gitops');

  const secret = build('deploy/flux/secrets')[0];
  assert.equal(secret.metadata.name, deployment.spec.template.spec.containers[0].envFrom[0].secretRef.name);
  assert.equal(secret.metadata.namespace, 'tunnelbot');
});

test('the tokens Secret template names every variable the Deployment does not set, each with its comment', () => {
  const text = readFileSync('deploy/flux/secrets/tunnelbot-env.sops.yaml', 'utf8');
  const lines = text.split('\n');
  const set = build('deploy')
    .find((object) => object.kind === 'Deployment')
    .spec.template.spec.containers[0].env.map((variable: Manifest) => variable.name);
  for (const name of ENVIRONMENT_VARIABLES.filter(
    (variable) => !set.includes(variable) && variable !== 'PORT',
  )) {
    const at = lines.findIndex((line) => new RegExp(`^  (# )?${name}: `).test(line));
    assert.notEqual(at, -1, `${name} is missing from the template`);
    assert.match(lines[at - 1]!, /^ {2}# /, `${name} has no comment above it`);
  }
  assert.deepEqual(set, ['TUNNELBOT_SETTINGS']);
});

test('the Flux notifications of deploy/ are the ones `tunnelbot init` writes', () => {
  const rendered = renderFluxNotifications('flux-system', 'unused');
  for (const file of ['provider.yaml', 'alert.yaml']) {
    assert.equal(readFileSync(join('deploy/flux/notifications', file), 'utf8'), rendered.files.get(file));
  }
  const objects = build('deploy/flux/notifications');
  const provider = objects.find((object) => object.kind === 'Provider');
  const secret = objects.find((object) => object.metadata.name === provider.spec.secretRef.name);
  assert.equal(secret.kind, 'Secret');
  assert.ok('token' in secret.stringData);
  const receiver = objects.find((object) => object.kind === 'Receiver');
  assert.ok(objects.some((object) => object.metadata.name === receiver.spec.secretRef.name));
});
