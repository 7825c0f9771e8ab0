import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, parseDocument } from 'yaml';
import { main } from '../../src/cli.js';
import { decryptYaml } from '../../src/gitops/sops/index.js';
import { copyFixtureRepo, readFixtureRepo } from '../helpers/fixtures.js';
import { startGitHub, TOKEN } from '../helpers/github.js';
import { captureIo } from '../helpers/io.js';
import { VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';
import { kustomizeBuild, treeContents } from '../helpers/trees.js';

const identities = vectorIdentities('age.txt');
const WEBHOOK_SECRET = 'apps/staging/tunnelbot-notifications/webhook-token.sops.yaml';
const KUBECTL_LINE =
  'kubectl create secret generic sops-age --namespace=flux-system --from-file=age.agekey=./age.agekey';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo();
  io.env = env;
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

const ACCESS_ARGS = ['--access-team', 'acme', '--access-policy', 'Staff'];
const AUD = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';

function initArgs(repo: string, ...extra: string[]): string[] {
  return [
    'init',
    '--repo',
    repo,
    '--age',
    VECTOR_RECIPIENT,
    '--domain',
    'example.com',
    ...ACCESS_ARGS,
    ...extra,
  ];
}

/** Every directory of the written files that holds a kustomization.yaml, and the Flux paths: kustomize builds each. */
function buildsEveryTree(repo: string, changed: readonly string[], fluxPaths: readonly string[]): number {
  const directories = new Set(fluxPaths);
  for (const path of changed) {
    const directory = path.slice(0, path.lastIndexOf('/'));
    if (existsSync(join(repo, directory, 'kustomization.yaml'))) directories.add(directory);
  }
  for (const directory of directories) {
    const objects = parseAllDocuments(kustomizeBuild(join(repo, directory))).map((document) =>
      document.toJS(),
    );
    assert.ok(objects.length > 0 || directory.endsWith('/tunnels'), `${directory} builds to objects`);
  }
  return directories.size;
}

function tokenFrom(out: string): string {
  const lines = out.split('\n').filter((line) => line.startsWith('FLUX_WEBHOOK_TOKEN='));
  assert.equal(lines.length, 1, 'the token is shown on exactly one line');
  return lines[0]!.slice('FLUX_WEBHOOK_TOKEN='.length);
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

test('init --repo on the clusters layout: the trees build, the token is shown once and stored only encrypted', async () => {
  const repo = copyFixtureRepo('flux-clusters');
  const before = treeContents(repo);
  const first = await run(initArgs(repo, '--path', 'apps/staging'));
  assert.equal(first.code, 0, first.err);
  assert.equal(first.err, '');
  const token = tokenFrom(first.out);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(occurrences(first.out, token), 1, 'nowhere else in the output');
  assert.ok(first.out.includes(KUBECTL_LINE));

  const after = treeContents(repo);
  const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
  for (const [path, content] of after)
    assert.ok(!content.includes(token), `${path} holds the token in plaintext`);
  const secret = parseDocument(await decryptYaml(after.get(WEBHOOK_SECRET)!, { identities })).toJS();
  assert.equal(secret.stringData.token, token);
  const built = buildsEveryTree(repo, changed, ['apps/staging']);
  assert.equal(built, 3, 'apps/staging, its tunnels and its notifications');
  const staging = parseAllDocuments(kustomizeBuild(join(repo, 'apps/staging'))).map((document) =>
    document.toJS(),
  );
  assert.deepEqual(staging.map((object) => `${object.kind}/${object.metadata.name}`).sort(), [
    'Alert/tunnelbot',
    'Namespace/podinfo',
    'Provider/tunnelbot',
    'Secret/tunnelbot-flux-webhook',
    'Service/podinfo',
  ]);

  const second = await run(initArgs(repo, '--path', 'apps/staging'));
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /Nothing to change: the repository is ready\./);
  assert.doesNotMatch(second.out, /FLUX_WEBHOOK_TOKEN=/, 'no new token: the Secret was kept');
  assert.ok(second.out.includes(KUBECTL_LINE));
  assert.deepEqual(treeContents(repo), after);

  // `plan expose` on the result needs no further edit: no warning, and the tree still builds. The environment
  // requires Access (init writes it so), so the plan refuses to go without the application's aud tag.
  const secretValue = randomBytes(32).toString('base64');
  const planArgs = [
    'plan',
    'expose',
    'podinfo',
    '9898',
    '--repo',
    repo,
    '--tunnel-id',
    '6ff42ae2-765d-4adf-8112-31c55c1551ef',
    '--account-tag',
    '0123456789abcdef0123456789abcdef',
  ];
  const unprotected = await run(planArgs, { TUNNELBOT_TUNNEL_SECRET: secretValue });
  assert.equal(unprotected.code, 1);
  assert.match(unprotected.err, /TB_ERR_ACCESS_AUD_MISSING/);
  assert.deepEqual(treeContents(repo), after, 'nothing written');
  const publicApp = await run([...planArgs, '--access', 'public'], { TUNNELBOT_TUNNEL_SECRET: secretValue });
  assert.equal(publicApp.code, 1);
  assert.match(publicApp.err, /TB_ERR_ACCESS_PUBLIC_FORBIDDEN/);
  const expose = await run([...planArgs, '--access-aud', AUD], { TUNNELBOT_TUNNEL_SECRET: secretValue });
  assert.equal(expose.code, 0, expose.err);
  const config = parseDocument(
    readFileSync(join(repo, 'apps/staging/tunnels/podinfo/config.yaml'), 'utf8'),
  ).toJS();
  assert.deepEqual(config.ingress[0].originRequest, {
    access: { required: true, teamName: 'acme', audTag: [AUD] },
  });
  assert.equal(expose.err, '');
  const exposed = parseAllDocuments(kustomizeBuild(join(repo, 'apps/staging'))).map((document) =>
    document.toJS(),
  );
  assert.ok(
    exposed.some((object) => object.kind === 'Deployment' && object.metadata.name === 'cloudflared-podinfo'),
  );
  const credentials = readFileSync(join(repo, 'apps/staging/tunnels/podinfo/secret.sops.yaml'), 'utf8');
  assert.ok(!credentials.includes(secretValue));
  assert.ok((await decryptYaml(credentials, { identities })).includes(secretValue));
});

test('init --repo on flux-example takes FLUX_WEBHOOK_TOKEN and never prints it; --dry-run writes nothing', async () => {
  const repo = copyFixtureRepo('flux-example');
  const before = treeContents(repo);
  const token = 'operator-chosen-token-0123456789abcdef';
  const dry = await run([...initArgs(repo), '--dry-run'], { FLUX_WEBHOOK_TOKEN: token });
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /\+\+\+ b\/apps\/staging\/tunnelbot-notifications\/provider\.yaml/);
  assert.deepEqual(treeContents(repo), before);

  const result = await run(initArgs(repo), { FLUX_WEBHOOK_TOKEN: token });
  assert.equal(result.code, 0, result.err);
  assert.ok(!result.out.includes(token) && !dry.out.includes(token));
  assert.match(result.out, /The Flux webhook token is the value of FLUX_WEBHOOK_TOKEN/);
  const after = treeContents(repo);
  const changed = [...after.keys()].filter((path) => before.get(path) !== after.get(path));
  assert.equal(buildsEveryTree(repo, changed, ['apps/staging']), 2);
  const secret = parseDocument(await decryptYaml(after.get(WEBHOOK_SECRET)!, { identities })).toJS();
  assert.equal(secret.stringData.token, token);

  const short = await run(initArgs(copyFixtureRepo('flux-example')), { FLUX_WEBHOOK_TOKEN: 'short' });
  assert.equal(short.code, 1);
  assert.match(short.err, /TB_ERR_INIT_INVALID_ARGUMENT/);
});

test('init asks for --path when several Flux Kustomizations fit, and says which ones', async () => {
  const result = await run(initArgs(copyFixtureRepo('flux-clusters')));
  assert.equal(result.code, 1);
  assert.match(result.err, /TB_ERR_INIT_AMBIGUOUS_PATH/);
  assert.match(result.err, /--path apps\/production/);
});

test('init without --repo opens one pull request; a rerun while it is open is refused, after the merge it changes nothing', async () => {
  const fixture = readFixtureRepo('flux-clusters');
  const github = await startGitHub({ files: Object.fromEntries(fixture.files) });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelbot-init-'));
    const settings = join(dir, 'tunnelbot.yaml');
    writeFileSync(
      settings,
      `repository:\n  owner: ${github.fake.owner.login}\n  name: ${github.fake.repoName}\n`,
    );
    const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.fake.url, TUNNELBOT_SETTINGS: settings };
    const args = [
      'init',
      '--age',
      VECTOR_RECIPIENT,
      '--domain',
      'example.com',
      '--path',
      'apps/staging',
      ...ACCESS_ARGS,
    ];
    const first = await run(args, env);
    assert.equal(first.code, 0, first.err);
    const token = tokenFrom(first.out);
    assert.match(first.out, /Pull request: http.*\/pull\/1/);

    const git = github.provider();
    const pr = await git.findOpenPr('tunnelbot/init-staging');
    assert.ok(pr, 'the init branch carries the pull request');
    assert.equal(pr.metadata, undefined, 'an init PR is not a pending request');
    assert.match(pr.body, /<!-- tunnelbot:\{"version":1,"action":"init","environment":"staging"\} -->/);
    assert.ok(!pr.body.includes(token));
    const head = await git.readSnapshot(pr.headSha);
    assert.ok(head.files.get('.tunnelbot.yaml')!.includes(`owner: ${github.fake.owner.login}`));
    for (const [path, content] of head.files) assert.ok(!content.includes(token), `${path} holds the token`);
    const secret = parseDocument(await decryptYaml(head.files.get(WEBHOOK_SECRET)!, { identities })).toJS();
    assert.equal(secret.stringData.token, token);

    const pending = await run(args, env);
    assert.equal(pending.code, 1);
    assert.match(pending.err, /TB_ERR_INIT_PENDING/);

    await git.mergePr({
      number: pr.number,
      expectedHeadSha: pr.headSha,
      approver: { slackUserId: 'U0APPROVER', name: 'Approver' },
    });
    const again = await run(args, env);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /Nothing to change/);
    assert.doesNotMatch(again.out, /Pull request:|FLUX_WEBHOOK_TOKEN=/);
    assert.equal((await git.listOpenTunnelbotPrs()).length, 0);
  } finally {
    await github.close();
  }
});
