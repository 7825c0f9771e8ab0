import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { validateSettings } from '../../src/core/settings.js';
import { decryptYaml } from '../../src/gitops/sops/index.js';
import type { Conversation, MessageRef } from '../../src/requests/conversation.js';
import { RequestService } from '../../src/requests/service.js';
import { vectorIdentities } from '../helpers/sops.js';
import { startWorld, type World } from '../helpers/world.js';

const ALICE = { id: 'U0ALICE', name: 'Alice' };
const BOB = { id: 'U0BOB', name: 'Bob' };
const LIST = 'apps/staging/tunnels/kustomization.yaml';
const LINKDING = { app: 'linkding', port: 9090 };
const PODINFO = { app: 'podinfo', port: 9898, namespace: 'podinfo' };

function gitIn(world: World) {
  return (...args: string[]) =>
    execFileSync('git', args, { cwd: world.github.repoPath, encoding: 'utf8' }).trim();
}

/** A request service on the world whose conversation records what is said in each request's thread. */
function serviceOn(world: World, environment: Record<string, unknown> = {}) {
  const raw = JSON.parse(JSON.stringify(world.settings)) as Record<string, unknown> & {
    environments: Record<string, unknown>[];
  };
  Object.assign(raw.environments[0]!, environment);
  raw['policy'] = { request: { everyone: true }, approve: { everyone: true } };
  const thread: string[] = [];
  let ts = 0;
  const conversation: Conversation = {
    post: async (channel): Promise<MessageRef> => ({
      channel,
      ts: `1700000000.${String(++ts).padStart(6, '0')}`,
    }),
    update: async () => undefined,
    reply: async (_ref, text) => {
      thread.push(text);
    },
    remove: async () => undefined,
    tell: async () => undefined,
  };
  const context = { ...world.context, settings: validateSettings(raw, 'test.yaml') };
  return { service: new RequestService({ context, conversation, dnsAwaitsFlux: false }), thread };
}

/** Two exposes opened on the same main; the first approved and merged, so the second now conflicts on the list. */
async function twoExposesOneMerged(world: World, service: RequestService) {
  for (const request of [LINKDING, PODINFO]) {
    const reply = await service.expose(ALICE, request, { channel: 'C0REQUESTS' });
    assert.equal(reply.ok, true, reply.text);
  }
  const prs = await world.git.listOpenTunnelbotPrs();
  const first = prs.find((pr) => pr.metadata?.app === 'linkding')!;
  const second = prs.find((pr) => pr.metadata?.app === 'podinfo')!;
  const merged = await service.approve(BOB, { prNumber: first.number, headSha: first.headSha });
  assert.equal(merged.ok, true, merged.text);
  return second;
}

/** Every tunnel Secret blob in the repository's history decrypts to the secret Cloudflare holds for its tunnel. */
async function assertOnlyRealSecrets(world: World): Promise<number> {
  const git = gitIn(world);
  const identities = vectorIdentities('age.txt');
  const secrets = new Map(world.cloudflare.tunnels().map((tunnel) => [tunnel.id, tunnel.secret]));
  let checked = 0;
  for (const line of git('rev-list', '--all', '--objects').split('\n')) {
    const [object, path] = line.split(' ');
    if (!object || !path?.endsWith('/secret.sops.yaml')) continue;
    const plain = parseDocument(
      await decryptYaml(git('cat-file', 'blob', object), { identities }),
    ).toJS() as {
      stringData: Record<string, string>;
    };
    const credentials = JSON.parse(plain.stringData['credentials.json']!) as Record<string, string>;
    assert.ok(secrets.has(credentials['TunnelID']!), `${path}: a tunnel Cloudflare knows`);
    assert.equal(credentials['TunnelSecret'], secrets.get(credentials['TunnelID']!), `${path} (${object})`);
    checked += 1;
  }
  return checked;
}

test('an expose that conflicts after another merged is rebased: the list is planned again, every other file (the Secret too) is the reviewed bytes, the thread is told, the approver recorded', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const git = gitIn(world);
  const { service, thread } = serviceOn(world);
  const pr = await twoExposesOneMerged(world, service);
  const reviewedHead = pr.headSha;
  const ownFiles = git('diff', '--name-only', `${reviewedHead}^`, reviewedHead).split('\n');
  assert.deepEqual(ownFiles, [
    'apps/staging/tunnels/kustomization.yaml',
    'apps/staging/tunnels/podinfo/config.yaml',
    'apps/staging/tunnels/podinfo/deployment.yaml',
    'apps/staging/tunnels/podinfo/kustomization.yaml',
    'apps/staging/tunnels/podinfo/secret.sops.yaml',
  ]);
  const mainBefore = git('rev-parse', 'main');
  // GitHub itself refuses the PR's own commit: it conflicts with main.
  assert.equal(world.github.pull(pr.number)?.state, 'open');
  assert.throws(() => git('merge-tree', '--write-tree', '--no-messages', mainBefore, reviewedHead));

  thread.length = 0;
  const reply = await service.approve(BOB, { prNumber: pr.number, headSha: reviewedHead });
  assert.equal(reply.ok, true, reply.text);
  assert.equal(
    thread[0],
    'Rebased onto main before merging: apps/staging/tunnels/kustomization.yaml had changed since the PR was opened.',
  );
  assert.match(thread[1] ?? '', /^Approved by .*; merged as `[0-9a-f]{7}`\.$/);

  const after = await world.git.getPr(pr.number);
  assert.equal(after.merged, true);
  assert.notEqual(after.headSha, reviewedHead, 'merged a rebuild, not the reviewed commit');
  assert.equal(git('rev-parse', `${after.headSha}^`), mainBefore, 'the rebuild is one commit on main');
  assert.equal(git('log', '-1', '--format=%B', after.headSha), git('log', '-1', '--format=%B', reviewedHead));
  // Every file but the list is byte for byte the reviewed one; the SOPS-encrypted Secret above all.
  for (const path of ownFiles.filter((path) => path !== LIST))
    assert.equal(git('show', `${after.mergeSha}:${path}`), git('show', `${reviewedHead}:${path}`), path);
  const listed = (parseDocument(git('show', `${after.mergeSha}:${LIST}`)).toJS() as { resources: string[] })
    .resources;
  assert.deepEqual(listed, ['linkding', 'podinfo']);
  assert.match(git('log', '-1', '--format=%B', after.mergeSha!), /Approved-by: Bob \(Slack U0BOB\)/);
  assert.match(
    world.github.pull(pr.number)?.comments.at(-1)?.body ?? '',
    new RegExp(`^Approved in Slack by Bob \\(Slack U0BOB\\) and merged as ${after.mergeSha}`),
  );
  // The re-plan's throwaway secret reached no commit: both Secrets in history are the tunnels' real ones.
  assert.equal(await assertOnlyRealSecrets(world), 2);

  // An unexpose that conflicts is rebased the same way: each takes its own line out of the list.
  for (const app of ['linkding', 'podinfo']) {
    const asked = await service.unexpose(ALICE, { app }, { channel: 'C0REQUESTS' });
    assert.equal(asked.ok, true, asked.text);
  }
  const removals = await world.git.listOpenTunnelbotPrs();
  assert.equal(removals.length, 2);
  for (const removal of removals) {
    thread.length = 0;
    const done = await service.approve(BOB, { prNumber: removal.number, headSha: removal.headSha });
    assert.equal(done.ok, true, done.text);
  }
  assert.equal(
    thread[0],
    'Rebased onto main before merging: apps/staging/tunnels/kustomization.yaml had changed since the PR was opened.',
  );
  assert.deepEqual(
    git('ls-tree', '-r', '--name-only', 'main', 'apps/staging/tunnels').split('\n'),
    [LIST],
    'both apps gone',
  );
  assert.deepEqual(
    (parseDocument(git('show', `main:${LIST}`)).toJS() as { resources?: unknown }).resources ?? [],
    [],
  );
});

test('a PR whose head moved is not rebased: approving what was shown is refused, approving the pushed head too, and nothing is written', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const git = gitIn(world);
  const { service } = serviceOn(world);
  const pr = await twoExposesOneMerged(world, service);
  const pushed = await world.github.commitToBranch(
    pr.headRef,
    { 'apps/staging/tunnels/podinfo/NOTES.md': 'pushed by a human\n' },
    'A human pushes to the request branch',
  );
  const mainBefore = git('rev-parse', 'main');
  const headBefore = git('rev-parse', pr.headRef);
  assert.notEqual(headBefore, pr.headSha);

  const shown = await service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(shown.ok, false);
  assert.equal(shown.error?.code, 'TB_ERR_GITHUB_PR_HEAD_CHANGED', shown.text);

  // Even approved as it is now, the PR holds a commit tunnelbot did not make: it conflicts and is not rebuilt.
  const now = await service.approve(BOB, { prNumber: pr.number, headSha: headBefore });
  assert.equal(now.ok, false);
  assert.equal(now.error?.code, 'TB_ERR_GITHUB_PR_NOT_REBASABLE', now.text);
  assert.match(now.text, /ask again with `\/expose podinfo 9898`/);

  assert.equal(git('rev-parse', pr.headRef), headBefore, 'the branch is as pushed');
  assert.equal(git('rev-parse', 'main'), mainBefore, 'nothing merged');
  assert.equal((await world.git.getPr(pr.number)).state, 'open');
  assert.ok(pushed);
});

test('a conflicting expose one of whose own files was written on main meanwhile is refused when planned again, and no throwaway secret is written', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const git = gitIn(world);
  const { service } = serviceOn(world);
  const pr = await twoExposesOneMerged(world, service);
  // Someone writes one of the PR's files on main by hand: the PR conflicts, and its files no longer apply as reviewed.
  // The planner, run again on main, refuses the request before any Secret is planned.
  await world.github.commitToBranch(
    'main',
    { 'apps/staging/tunnels/podinfo/config.yaml': 'placed: by hand\n' },
    "A human adds podinfo's tunnel directory",
  );
  const mainBefore = git('rev-parse', 'main');
  const reply = await service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(reply.ok, false);
  assert.equal(reply.error?.code, 'TB_ERR_PLAN_ALREADY_EXPOSED', reply.text);
  assert.equal(git('rev-parse', pr.headRef), pr.headSha, 'the PR is as reviewed');
  assert.equal(git('rev-parse', 'main'), mainBefore);
  assert.equal((await world.git.getPr(pr.number)).state, 'open');
  assert.equal(await assertOnlyRealSecrets(world), 2);
});

test('a rebase whose re-plan changes other files than the PR is refused: two shared-mode exposes that each created the shared tunnel', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const git = gitIn(world);
  const { service } = serviceOn(world, { tunnelMode: 'shared', namespace: 'cloudflared' });
  const pr = await twoExposesOneMerged(world, service);
  // On main now the shared tunnel exists: planned again, the second request only adds its rule to it.
  const mainBefore = git('rev-parse', 'main');
  const reply = await service.approve(BOB, { prNumber: pr.number, headSha: pr.headSha });
  assert.equal(reply.ok, false);
  assert.equal(reply.error?.code, 'TB_ERR_GITHUB_PR_REBASE_DIFFERS', reply.text);
  assert.match(reply.text, /ask again with `\/expose podinfo 9898`/);
  assert.equal(git('rev-parse', pr.headRef), pr.headSha);
  assert.equal(git('rev-parse', 'main'), mainBefore);
});
