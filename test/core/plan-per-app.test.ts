import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parseDocument } from 'yaml';
import { main } from '../../src/cli.js';
import { decryptYaml, parseAgeIdentities } from '../../src/gitops/sops/index.js';
import { copyFixtureRepo } from '../helpers/fixtures.js';
import { captureIo } from '../helpers/io.js';
import { vectorPath } from '../helpers/vectors.js';
import { GOLDEN, kustomizeBuild, matchesGolden, treeContents } from '../helpers/trees.js';

const TUNNEL_ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const ACCOUNT_TAG = '0123456789abcdef0123456789abcdef';
const identities = parseAgeIdentities(
  readFileSync(vectorPath('sops-flux', 'keys', 'age.txt'), 'utf8'),
  'age.txt',
);

function tunnelArgs(secret: string): string[] {
  return ['--tunnel-id', TUNNEL_ID, '--account-tag', ACCOUNT_TAG, '--tunnel-secret', secret];
}

async function plan(args: string[]) {
  const io = captureIo();
  const code = await main(['plan', ...args], io);
  return { code, out: io.out, err: io.err };
}

test('expose writes a per-app tunnel that kustomize builds, with credentials only in SOPS form', async () => {
  const repo = copyFixtureRepo('flux-example');
  const before = treeContents(repo);
  const secret = randomBytes(32).toString('base64');

  const result = await plan(['expose', 'linkding', '9090', '--repo', repo, ...tunnelArgs(secret)]);
  assert.equal(result.code, 0, result.err);
  assert.equal(result.err, '', 'no warnings: the Service and a sops-decrypting Flux Kustomization exist');
  assert.match(result.out, /Expose linkding at https:\/\/linkding\.example\.com \(environment staging\)/);
  assert.match(result.out, /http:\/\/linkding\.linkding\.svc\.cluster\.local:9090/);
  assert.ok(!result.out.includes(secret));

  const after = treeContents(repo);
  const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
  assert.deepEqual(changed, [
    'apps/staging/tunnels/kustomization.yaml',
    'apps/staging/tunnels/linkding/config.yaml',
    'apps/staging/tunnels/linkding/deployment.yaml',
    'apps/staging/tunnels/linkding/kustomization.yaml',
    'apps/staging/tunnels/linkding/secret.sops.yaml',
  ]);
  for (const file of ['config.yaml', 'deployment.yaml', 'kustomization.yaml']) {
    matchesGolden(join(GOLDEN, 'per-app', file), after.get(`apps/staging/tunnels/linkding/${file}`)!);
  }
  assert.equal(
    after.get('apps/staging/tunnels/kustomization.yaml'),
    before.get('apps/staging/tunnels/kustomization.yaml')!.replace('resources: []', 'resources: [linkding]'),
  );

  const encrypted = after.get('apps/staging/tunnels/linkding/secret.sops.yaml')!;
  for (const [path, content] of after)
    assert.ok(!content.includes(secret), `the tunnel secret leaked into ${path}`);
  const plaintext = parseDocument(await decryptYaml(encrypted, { identities })).toJS();
  assert.deepEqual(JSON.parse(plaintext.stringData['credentials.json']), {
    AccountTag: ACCOUNT_TAG,
    TunnelSecret: secret,
    TunnelID: TUNNEL_ID,
    Endpoint: '',
  });
  assert.equal(plaintext.metadata.name, 'cloudflared-linkding-credentials');

  const built = kustomizeBuild(join(repo, 'apps', 'staging'));
  const objects = built.split(/^---$/m).map((document) => parseDocument(document).toJS());
  const configMap = objects.find((object) => object.kind === 'ConfigMap');
  const deployment = objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name === 'cloudflared-linkding',
  );
  const secretObject = objects.find((object) => object.kind === 'Secret');
  assert.match(
    configMap.metadata.name,
    /^cloudflared-linkding-[a-z0-9]{10}$/,
    'the config hash rolls the pods',
  );
  assert.equal(configMap.metadata.namespace, 'linkding');
  assert.equal(deployment.metadata.namespace, 'linkding');
  assert.equal(deployment.spec.template.spec.volumes[0].configMap.name, configMap.metadata.name);
  assert.equal(secretObject.metadata.namespace, 'linkding');
  assert.match(secretObject.stringData['credentials.json'], /^ENC\[AES256_GCM,/);
  assert.ok(typeof secretObject.sops.mac === 'string' && secretObject.sops.mac.startsWith('ENC['));

  const container = deployment.spec.template.spec.containers[0];
  assert.equal(deployment.spec.replicas, 2);
  assert.doesNotMatch(container.image, /:latest$/);
  assert.match(container.image, /^cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/);
  assert.equal(container.livenessProbe.httpGet.path, '/ready');
  assert.equal(container.readinessProbe.httpGet.path, '/ready');
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
  assert.ok(container.resources.requests && container.resources.limits);

  const validate = captureIo();
  assert.equal(
    await main(['validate', join(repo, 'apps/staging/tunnels/linkding/config.yaml')], validate),
    0,
  );
  assert.equal(validate.out, 'OK\n');

  const unexposed = await plan(['unexpose', 'linkding', '--repo', repo]);
  assert.equal(unexposed.code, 0, unexposed.err);
  assert.match(unexposed.out, /Unexpose linkding .* https:\/\/linkding\.example\.com stops serving/);
  assert.deepEqual(treeContents(repo), before, 'expose then unexpose leaves every file byte-identical');
});

test('--dry-run prints a unified diff and writes nothing', async () => {
  const repo = copyFixtureRepo('flux-example');
  const before = treeContents(repo);
  const secret = randomBytes(32).toString('base64');
  const result = await plan([
    'expose',
    'linkding',
    '9090',
    '--repo',
    repo,
    '--dry-run',
    ...tunnelArgs(secret),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /^--- \/dev\/null\n\+\+\+ b\/apps\/staging\/tunnels\/linkding\/config\.yaml$/m);
  assert.match(result.out, /^-resources: \[\]\n\+resources: \[linkding\]$/m);
  assert.ok(!result.out.includes(secret));
  assert.deepEqual(treeContents(repo), before);
});

test('no Service in the repository: a warning, the default namespace, and the tunnel is still planned', async () => {
  const repo = copyFixtureRepo('flux-example');
  const result = await plan([
    'expose',
    'grafana',
    '3000',
    '--repo',
    repo,
    '--ns',
    'monitoring',
    ...tunnelArgs(randomBytes(32).toString('base64')),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(result.err, /^warning: No Service "grafana" with port 3000 in namespace "monitoring"/m);
  assert.match(
    readFileSync(join(repo, 'apps/staging/tunnels/grafana/config.yaml'), 'utf8'),
    /service: http:\/\/grafana\.monitoring\.svc\.cluster\.local:3000/,
  );
});

test('bad input is refused with a specific error and leaves the working tree untouched', async () => {
  const repo = copyFixtureRepo('flux-example');
  const secret = randomBytes(32).toString('base64');
  assert.equal((await plan(['expose', 'linkding', '9090', '--repo', repo, ...tunnelArgs(secret)])).code, 0);
  writeFileSync(
    join(repo, 'other-settings.yaml'),
    'environments:\n  - {name: staging, path: apps/none, domain: example.com}\n',
  );
  const before = treeContents(repo);
  const cases: Array<[string[], RegExp]> = [
    [['expose', 'Link_Ding', '9090'], /TB_ERR_PLAN_INVALID_APP/],
    [['expose', 'wiki', '0'], /"0" is not a port/],
    [['expose', 'wiki', '70000'], /TB_ERR_PLAN_INVALID_PORT/],
    [['expose', 'wiki', '80', '--host', 'wiki.example.com:443'], /must not carry a scheme, port, path/],
    [['expose', 'wiki', '80', '--host', 'wiki.example.com/path'], /TB_ERR_PLAN_INVALID_HOSTNAME/],
    [['expose', 'wiki', '80', '--host', 'wiki.evil.org'], /outside the zones of environment "staging"/],
    [
      ['expose', 'wiki', '80', '--host', 'linkding.example.com'],
      /linkding\.example\.com is already routed by apps\/staging\/tunnels\/linkding\/config\.yaml/,
    ],
    [['expose', 'linkding', '9090', '--host', 'links.example.com'], /TB_ERR_PLAN_ALREADY_EXPOSED/],
    [['expose', 'wiki', '80', '--env', 'prod'], /Unknown environment "prod"; configured: staging/],
    [
      ['expose', 'wiki', '80', '--settings', join(repo, 'other-settings.yaml')],
      /apps\/none\/kustomization\.yaml does not exist/,
    ],
    [['expose', 'wiki', '80', '--ns', 'Bad_NS'], /TB_ERR_PLAN_INVALID_NAMESPACE/],
    [['unexpose', 'wiki'], /wiki has no tunnelbot tunnel in environment "staging"/],
  ];
  for (const [args, message] of cases) {
    const result = await plan([...args, '--repo', repo, ...(args[0] === 'expose' ? tunnelArgs(secret) : [])]);
    assert.equal(result.code, 1, `${args.join(' ')} should fail`);
    assert.match(result.err, message, args.join(' '));
    assert.match(result.err, /\nFix: /, 'every error carries a fix');
    assert.equal(result.out, '');
    assert.deepEqual(treeContents(repo), before, `${args.join(' ')} must not touch the tree`);
  }
  const shortSecret = randomBytes(16).toString('base64');
  const weak = await plan([
    'expose',
    'wiki',
    '80',
    '--repo',
    repo,
    '--tunnel-id',
    TUNNEL_ID,
    '--account-tag',
    ACCOUNT_TAG,
    '--tunnel-secret',
    shortSecret,
  ]);
  assert.equal(weak.code, 1);
  assert.match(weak.err, /not base64 of at least 32 bytes/);
  assert.ok(!weak.err.includes(shortSecret));
  const missing = await plan(['expose', 'wiki', '80', '--repo', repo]);
  assert.match(missing.err, /--tunnel-id, --account-tag and --tunnel-secret are required/);
  assert.deepEqual(treeContents(repo), before);
});

test('without a settings file: environment "default" at apps/tunnels, per-app, hostname from --host', async () => {
  const repo = mkdtempSync(join(tmpdir(), 'tunnelbot-defaults-'));
  mkdirSync(join(repo, 'apps', 'tunnels'), { recursive: true });
  writeFileSync(join(repo, 'apps', 'tunnels', 'kustomization.yaml'), 'resources: []\n');
  writeFileSync(
    join(repo, '.sops.yaml'),
    'creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29\n',
  );
  const secret = randomBytes(32).toString('base64');
  const noHost = await plan(['expose', 'wiki', '3000', '--repo', repo, ...tunnelArgs(secret)]);
  assert.equal(noHost.code, 1);
  assert.match(noHost.err, /Environment "default" has no domain, so there is no default hostname for "wiki"/);
  assert.match(noHost.err, /--host app\.example\.com/);

  const result = await plan([
    'expose',
    'wiki',
    '3000',
    '--repo',
    repo,
    '--host',
    'wiki.example.org',
    ...tunnelArgs(secret),
  ]);
  assert.equal(result.code, 0, result.err);
  assert.match(
    readFileSync(join(repo, 'apps/tunnels/wiki/config.yaml'), 'utf8'),
    /hostname: wiki\.example\.org/,
  );
  assert.match(result.err, /No Flux Kustomization \(kustomize\.toolkit\.fluxcd\.io\) was found/);
  kustomizeBuild(join(repo, 'apps', 'tunnels'));
});

test('the tunnel secret may come from TUNNELBOT_TUNNEL_SECRET instead of the command line', async () => {
  const repo = copyFixtureRepo('flux-example');
  const secret = randomBytes(32).toString('base64');
  const io = captureIo();
  io.env = { TUNNELBOT_TUNNEL_SECRET: secret };
  const code = await main(
    [
      'plan',
      'expose',
      'linkding',
      '9090',
      '--repo',
      repo,
      '--tunnel-id',
      TUNNEL_ID,
      '--account-tag',
      ACCOUNT_TAG,
    ],
    io,
  );
  assert.equal(code, 0, io.err);
  const encrypted = readFileSync(join(repo, 'apps/staging/tunnels/linkding/secret.sops.yaml'), 'utf8');
  const plaintext = parseDocument(await decryptYaml(encrypted, { identities })).toJS();
  assert.equal(JSON.parse(plaintext.stringData['credentials.json']).TunnelSecret, secret);
});

test('an app and a namespace that bare YAML reads as numbers are quoted, so kustomize builds and labels stay strings', async () => {
  // Kubernetes reads manifests as YAML 1.1: a bare `2` is a number, and `namespace: 123` breaks the build.
  const repo = copyFixtureRepo('flux-example');
  mkdirSync(join(repo, 'apps/base/two'), { recursive: true });
  writeFileSync(
    join(repo, 'apps/base/two/service.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: "2"\n  namespace: "123"\nspec:\n  ports:\n    - port: 9090\n',
  );
  const before = treeContents(repo);
  const result = await plan([
    'expose',
    '2',
    '9090',
    '--repo',
    repo,
    ...tunnelArgs(randomBytes(32).toString('base64')),
  ]);
  assert.equal(result.code, 0, result.err);
  const after = treeContents(repo);
  assert.equal(
    after.get('apps/staging/tunnels/kustomization.yaml'),
    before.get('apps/staging/tunnels/kustomization.yaml')!.replace('resources: []', 'resources: ["2"]'),
  );
  assert.match(after.get('apps/staging/tunnels/2/kustomization.yaml')!, /^namespace: "123"$/m);

  const built = kustomizeBuild(join(repo, 'apps', 'staging'));
  const deployment = parseAllDocuments(built, { version: '1.1' })
    .map((document) => document.toJS())
    .find((object) => object.kind === 'Deployment' && object.metadata.name === 'cloudflared-2');
  assert.equal(deployment.metadata.namespace, '123');
  assert.equal(deployment.metadata.labels['tunnelbot.dev/app'], '2');
  assert.equal(deployment.spec.template.metadata.labels['tunnelbot.dev/app'], '2');

  const unexposed = await plan(['unexpose', '2', '--repo', repo]);
  assert.equal(unexposed.code, 0, unexposed.err);
  assert.deepEqual(treeContents(repo), before, 'expose then unexpose leaves every file byte-identical');
});
