import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configMapConfigs, findTunnelConfigs } from '../../src/gitops/cloudflared-in-repo.js';

const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';

function configMap(embedded: string): string {
  const indented = embedded
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cloudflared\ndata:\n  config.yaml: |\n${indented}\n`;
}

const GOOD = `tunnel: ${TUNNEL}\ningress:\n  - hostname: a.example.com\n    service: http://a:80\n  - service: http_status:404\n`;

test('a cloudflared config inside a ConfigMap is found with the hostnames it routes', () => {
  const files = new Map([['apps/cm.yaml', configMap(GOOD)]]);
  const [found, ...rest] = findTunnelConfigs({ files });
  assert.deepEqual(rest, []);
  assert.deepEqual(found?.location, {
    kind: 'configmap',
    path: 'apps/cm.yaml',
    document: 0,
    key: 'config.yaml',
  });
  assert.deepEqual(found?.hostnames, ['a.example.com']);
  assert.deepEqual(
    configMapConfigs(configMap(GOOD), 'cm.yaml').map(({ name }) => name),
    ['cm.yaml (ConfigMap data."config.yaml")'],
  );
});

// Found by the planner fuzzer: yaml threw a ReferenceError out of every plan for an embedded config with an alias
// whose anchor is missing, instead of the text being passed over as no cloudflared config.
test('an embedded text whose aliases do not resolve is no cloudflared config, not an error', () => {
  const broken = `tunnel: ${TUNNEL}\ningress: *rules\n`;
  const files = new Map([
    ['apps/broken.yaml', configMap(broken)],
    ['apps/cm.yaml', configMap(GOOD)],
  ]);
  assert.deepEqual(
    findTunnelConfigs({ files }).map(({ location }) => location.path),
    ['apps/cm.yaml'],
  );
  assert.deepEqual(configMapConfigs(configMap(broken), 'broken.yaml'), []);
});
