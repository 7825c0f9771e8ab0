import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { main } from '../../src/cli.js';
import { copyFixtureRepo } from '../helpers/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { kustomizeBuild, treeContents } from '../helpers/trees.js';

const CREDENTIALS = [
  '--tunnel-id',
  '0b8f3f5e-3b7a-4d0e-9a51-2c1f5a6b7c8d',
  '--account-tag',
  'fedcba9876543210fedcba9876543210',
];

async function plan(args: string[]) {
  const io = captureIo();
  const code = await main(['plan', ...args], io);
  return { code, out: io.out, err: io.err };
}

function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { removed: a.filter((line) => !b.includes(line)), added: b.filter((line) => !a.includes(line)) };
}

test('shared mode on the seed layout: one rule added inside the inline ConfigMap, nothing else changes', async () => {
  const repo = copyFixtureRepo('seed');
  const before = treeContents(repo);
  const result = await plan(['expose', 'wiki', '3000', '--repo', repo]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.err, /inline ConfigMap: cloudflared reads its config only at start/);

  const after = treeContents(repo);
  const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
  assert.deepEqual(changed, ['apps/staging/cloudflared/configmap.yaml']);
  const path = 'apps/staging/cloudflared/configmap.yaml';
  const lines = changedLines(before.get(path)!, after.get(path)!);
  assert.deepEqual(lines.removed, []);
  assert.deepEqual(lines.added, [
    '    - hostname: wiki.hervedelaunay.com',
    '      service: http://wiki.default.svc.cluster.local:3000',
  ]);
  const embedded = parseDocument(after.get(path)!).toJS().data['config.yaml'] as string;
  const rules = parseDocument(embedded).toJS().ingress as Array<{ hostname?: string }>;
  assert.deepEqual(
    rules.map((rule) => rule.hostname ?? '(catch-all)'),
    ['linkding.hervedelaunay.com', 'hello.example.com', 'wiki.hervedelaunay.com', '(catch-all)'],
  );
  kustomizeBuild(join(repo, 'apps', 'staging'));

  const unexposed = await plan(['unexpose', 'wiki', '--repo', repo]);
  assert.equal(unexposed.code, 0, unexposed.err);
  assert.deepEqual(treeContents(repo), before, 'expose then unexpose restores the ConfigMap byte for byte');
});

test('shared mode refuses a hostname the shared tunnel already routes', async () => {
  const repo = copyFixtureRepo('seed');
  const before = treeContents(repo);
  const result = await plan(['expose', 'linkding', '9090', '--repo', repo]);
  assert.equal(result.code, 1);
  assert.match(
    result.err,
    /linkding\.hervedelaunay\.com is already routed by apps\/staging\/cloudflared\/configmap\.yaml \(ConfigMap data\."config\.yaml"\)/,
  );
  assert.deepEqual(treeContents(repo), before);
});

test('shared mode without an existing config: the first expose creates the shared tunnel, the last unexpose removes it', async () => {
  const repo = copyFixtureRepo('flux-example');
  const settings = join(repo, 'shared.yaml');
  writeFileSync(
    settings,
    'environments:\n  - {name: staging, path: apps/staging/tunnels, domain: example.com, tunnelMode: shared, namespace: cloudflared}\n',
  );
  const before = treeContents(repo);
  const secret = randomBytes(32).toString('base64');

  const first = await plan([
    'expose',
    'linkding',
    '9090',
    '--repo',
    repo,
    '--settings',
    settings,
    ...CREDENTIALS,
    '--tunnel-secret',
    secret,
  ]);
  assert.equal(first.code, 0, first.err);
  const config = join(repo, 'apps/staging/tunnels/cloudflared/config.yaml');
  assert.match(readFileSync(config, 'utf8'), /hostname: linkding\.example\.com/);
  const afterFirst = treeContents(repo);

  // The second app reuses the tunnel: no credentials needed, one rule added.
  const second = await plan([
    'expose',
    'podinfo',
    '9898',
    '--ns',
    'podinfo',
    '--repo',
    repo,
    '--settings',
    settings,
  ]);
  assert.equal(second.code, 0, second.err);
  const lines = changedLines(
    afterFirst.get('apps/staging/tunnels/cloudflared/config.yaml')!,
    readFileSync(config, 'utf8'),
  );
  assert.deepEqual(lines.added, [
    '  - hostname: podinfo.example.com',
    '    service: http://podinfo.podinfo.svc.cluster.local:9898',
  ]);
  const built = kustomizeBuild(join(repo, 'apps', 'staging'));
  assert.match(built, /name: cloudflared\n {2}namespace: cloudflared/);

  assert.equal((await plan(['unexpose', 'podinfo', '--repo', repo, '--settings', settings])).code, 0);
  assert.deepEqual(treeContents(repo), afterFirst);
  const last = await plan(['unexpose', 'linkding', '--repo', repo, '--settings', settings]);
  assert.equal(last.code, 0, last.err);
  assert.match(last.out, /last app of the shared tunnel/);
  assert.deepEqual(treeContents(repo), before);
});
