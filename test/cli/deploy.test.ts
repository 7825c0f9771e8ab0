import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../src/config.js';
import { kustomizeBuild } from '../helpers/trees.js';

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
