import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { parseSettings } from '../../src/core/settings.js';
import { decryptYaml } from '../../src/gitops/sops/index.js';
import { RequestService, type Actor } from '../../src/requests/service.js';
import { sampleRepository, type SampleApp } from '../../src/sandbox/sample-repo.js';
import { signSlackRequest } from '../../src/sandbox/slack/index.js';
import { ACTION_IDS } from '../../src/transports/slack/blocks.js';
import { fluxSignature, kustomizationEvent } from '../helpers/flux.js';
import { deliverGitHub, eventually, mergedPullRequestDelivery } from '../helpers/service.js';
import {
  buttonOf,
  CHANNEL,
  FLUX_TOKEN,
  rootMessages,
  SLACK_SIGNING_SECRET,
  startSlackService,
  threadOf,
} from '../helpers/slack.js';
import { vectorIdentities } from '../helpers/sops.js';
import { kustomizeBuild } from '../helpers/trees.js';
import { startWorld } from '../helpers/world.js';

const ALICE: Actor = { id: 'U0ALICE', name: 'Alice' };
const BOB: Actor = { id: 'U0BOB', name: 'Bob' };
/** The public key of the test-only age key in test/vectors/sops-flux/keys/age.txt. */
const RECIPIENT = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';

const SETTINGS = `repository: {owner: acme, name: gitops, branch: main}
environments:
  - {name: staging, path: apps/staging/tunnels, domain: example.com, tunnelMode: per-app}
policy:
  request: {users: [U0ALICE, U0BOB]}
  approve: {users: [U0ALICE, U0BOB]}
`;

/** 21 apps: twenty asked for once each, the 21st five times at once (its four extra requests are duplicates). */
const APPS: SampleApp[] = Array.from({ length: 21 }, (_, i) => ({
  name: `app${String(i + 1).padStart(2, '0')}`,
  port: 8000 + i,
}));

/** mulberry32: a small seeded generator, so a failing order can be replayed from the printed seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

test('20 concurrent /expose of different apps and 5 at once of a 21st: 21 PRs, 21 tunnels; approved in a seeded order all 21 merge, each later one rebased onto main, and main builds with all 21', async (t) => {
  const seed = Number(process.env['TUNNELBOT_SEED'] ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (TUNNELBOT_SEED=${seed} replays this order)`);
  const world = await startWorld('flux-example', {
    files: { ...sampleRepository(RECIPIENT, APPS), '.tunnelbot.yaml': SETTINGS },
    // The fake answers from git subprocesses: 25 requests at once on a loaded 2-CPU machine take their time.
    timeoutMs: 60_000,
  });
  t.after(() => world.close());
  const service = new RequestService({
    context: { ...world.context, settings: parseSettings(SETTINGS, '.tunnelbot.yaml') },
    dnsAwaitsFlux: true,
  });

  const twice = APPS[20]!;
  const requests = [...APPS.slice(0, 20), ...Array.from({ length: 5 }, () => twice)];
  const started = Date.now();
  const replies = await Promise.all(
    requests.map((app) => service.expose(ALICE, { app: app.name, port: app.port })),
  );
  const exposeMs = Date.now() - started;
  for (const [i, reply] of replies.entries())
    assert.equal(reply.ok, true, `${requests[i]!.name}: ${reply.text}`);
  const prs = await world.git.listOpenTunnelbotPrs();
  assert.equal(prs.length, 21, 'one PR per app, the duplicates none');
  assert.deepEqual(prs.map((pr) => pr.metadata?.app).sort(), APPS.map((app) => app.name).sort());
  const first = prs.find((pr) => pr.metadata?.app === twice.name)!;
  for (const [i, reply] of replies.entries()) {
    if (requests[i] === twice)
      assert.equal(reply.pr?.number, first.number, 'every duplicate points at the one PR');
  }
  assert.equal(world.cloudflare.tunnels().length, 21, 'one tunnel per PR, none for a duplicate');

  // Each PR's own files are its own: only the tunnels kustomization, which lists every tunnel, is shared.
  const shared = 'apps/staging/tunnels/kustomization.yaml';
  const owners = new Map<string, number[]>();
  for (const pr of prs) {
    const changed = execFileSync('git', ['diff', '--name-only', `main...${pr.headRef}`], {
      cwd: world.github.repoPath,
      encoding: 'utf8',
    });
    for (const path of changed.trim().split('\n')) owners.set(path, [...(owners.get(path) ?? []), pr.number]);
  }
  const collisions = [...owners].filter(([, numbers]) => numbers.length > 1).map(([path]) => path);
  assert.deepEqual(collisions, [shared], 'no two PRs write the same file but the tunnels list');

  // Merged one by one in a seeded order. Every PR after the first edits the tunnels list on a base that no longer
  // holds the apps merged since, which GitHub reports as a conflict: the approval rebuilds the PR's commit on the
  // default branch (the list planned again, every other file as reviewed) and merges that, pinned to it.
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: world.github.repoPath, encoding: 'utf8' }).trim();
  const reviewedSecret = new Map(
    prs.map((pr) => [
      pr.number,
      git('show', `${pr.headSha}:apps/staging/tunnels/${pr.metadata!.app}/secret.sops.yaml`),
    ]),
  );
  const commitsBefore = Number(git('rev-list', '--count', '--first-parent', 'main'));
  const order = shuffle(prs, seeded(seed));
  const mergeStarted = Date.now();
  const outcomes: string[] = [];
  for (const [index, pr] of order.entries()) {
    const current = await world.git.getPr(pr.number);
    assert.equal(current.headSha, pr.headSha, 'nothing moved the PR before its approval');
    const approvalStarted = Date.now();
    const reply = await service.approve(BOB, { prNumber: pr.number, headSha: current.headSha });
    const approvalMs = Date.now() - approvalStarted;
    const after = await world.git.getPr(pr.number);
    outcomes.push(
      `#${pr.number} ${pr.metadata?.app}: ${reply.ok ? 'merged' : reply.error?.code} in ${approvalMs} ms`,
    );
    assert.equal(reply.ok, true, `seed ${seed}: #${pr.number} (merge ${index + 1}): ${reply.text}`);
    assert.equal(after.merged, true, `seed ${seed}: #${pr.number}`);
    assert.equal(
      reply.text,
      `${index === 0 ? '' : `Rebased onto main before merging: ${shared} had changed since the PR was opened. `}Merged pull request #${pr.number} as ${after.mergeSha}.`,
    );
    // The first merges its own commit; each later one a rebuild on the main it merged into.
    assert.equal(
      after.headSha === pr.headSha,
      index === 0,
      `seed ${seed}: #${pr.number} rebased iff not first`,
    );
    assert.equal(git('rev-parse', `${after.headSha}^`), git('rev-parse', `${after.mergeSha}^1`));
    // The tunnel Secret merged is the very one reviewed: tunnelbot cannot (and does not) write it again.
    assert.equal(
      git('show', `${after.mergeSha}:apps/staging/tunnels/${pr.metadata!.app}/secret.sops.yaml`),
      reviewedSecret.get(pr.number),
    );
  }
  const mergeMs = Date.now() - mergeStarted;
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 0, 'every PR merged');
  assert.equal(
    Number(git('rev-list', '--count', '--first-parent', 'main')),
    commitsBefore + 21,
    'one commit on main per PR',
  );

  // main lists all 21 tunnels and holds every app's files; the environment builds with kustomize.
  const main = world.checkout();
  t.after(() => rmSync(main.directory, { recursive: true, force: true }));
  const listed = (parseDocument(main.files.get(shared)!).toJS() as { resources: string[] }).resources;
  assert.deepEqual(
    listed.filter((entry) => entry.startsWith('app')).sort(),
    APPS.map((app) => app.name),
  );
  const built = kustomizeBuild(join(main.directory, 'apps/staging'));
  for (const app of APPS) {
    for (const file of ['kustomization.yaml', 'deployment.yaml', 'config.yaml', 'secret.sops.yaml'])
      assert.ok(main.files.has(`apps/staging/tunnels/${app.name}/${file}`), `${app.name}/${file} on main`);
    assert.match(built, new RegExp(`name: cloudflared-${app.name}\n`), `${app.name} builds`);
  }

  // No commit anywhere in the repository carries a tunnel secret but the one Cloudflare holds for its tunnel: the
  // throwaway secret a re-plan is given never reached git.
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
    assert.equal(credentials['TunnelSecret'], secrets.get(credentials['TunnelID']!), `${path} (${object})`);
    checked += 1;
  }
  assert.equal(checked, 21, 'one Secret blob per tunnel in all of history');
  t.diagnostic(
    `25 concurrent requests in ${exposeMs} ms; ${order.length} approvals in ${mergeMs} ms\n${outcomes.join('\n')}`,
  );
});

/** The same signed HTTP request, as Slack (or a retry landing on another replica) would send it, to every replica. */
function toEvery(urls: string[], body: string) {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    ...signSlackRequest({ signingSecret: SLACK_SIGNING_SECRET, body }),
  };
  return Promise.all(
    urls.map((url) => fetch(`${url}/slack/events`, { method: 'POST', headers, body }).then((r) => r.status)),
  );
}

test('two bot instances on the same fakes receive the same command, click, webhook and Flux event: one of each effect', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const commits = () =>
    Number(
      execFileSync('git', ['rev-list', '--count', 'main'], { cwd: world.github.repoPath, encoding: 'utf8' }),
    );
  const before = commits();
  // Built by the same factory (createService, as `serve` does), in HTTP mode, on one Slack.
  const one = await startSlackService(world, { mode: 'http' });
  const two = await startSlackService(world, {
    mode: 'http',
    reuse: { slack: one.slack, apiUrl: one.apiUrl },
  });
  t.after(async () => {
    await two.service.stop();
    await one.close();
  });
  const { slack } = one;
  const urls = [one.url, two.url];

  const command = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0FAKE0001',
    channel_id: CHANNEL,
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/expose',
    text: 'linkding 9090',
    api_app_id: 'A0FAKE0001',
    response_url: slack.responseUrl('two-replicas-command'),
    trigger_id: 'trigger-two-replicas',
  }).toString();
  assert.deepEqual(await toEvery(urls, command), [200, 200], 'each replica acks');
  await eventually(() => rootMessages(slack).some((m) => buttonOf(m, ACTION_IDS.approve)), 'the request');
  await eventually(() => rootMessages(slack).length === 1, 'the duplicate message taken back');
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 1, 'one PR');
  assert.equal(world.cloudflare.tunnels().length, 1, 'one tunnel');

  const root = rootMessages(slack)[0]!;
  const approve = buttonOf(root, ACTION_IDS.approve)!;
  const click = new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0FAKE0001' },
      api_app_id: 'A0FAKE0001',
      token: 'legacy',
      container: { type: 'message', message_ts: root.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: 'trigger-two-replicas-click',
      team: { id: 'T0FAKE0001', domain: 'fake' },
      channel: { id: CHANNEL, name: 'tunnels' },
      response_url: slack.responseUrl('two-replicas-click'),
      message: { type: 'message', ts: root.ts, text: root.text, blocks: root.blocks },
      actions: [
        {
          type: 'button',
          action_id: ACTION_IDS.approve,
          block_id: 'tunnelbot_actions',
          value: approve.value,
          text: approve.text,
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    }),
  }).toString();
  assert.deepEqual(await toEvery(urls, click), [200, 200]);
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Approved by')), 'the approval');
  const number = (JSON.parse(approve.value!) as { pr: number }).pr;
  const merged = await world.git.getPr(number);
  assert.equal(merged.merged, true);

  // GitHub's delivery of the merge reaches both replicas, and so does Flux's event, at the same instant (two Alerts,
  // or a retry racing the first delivery): the replica that claims the announcement posts "Live at", once.
  const delivery = mergedPullRequestDelivery(merged, merged.mergeSha!);
  for (const url of urls)
    assert.equal((await deliverGitHub(url, delivery, 'delivery-two-replicas')).status, 202);
  await world.fluxApplies(merged.mergeSha!);
  const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${merged.mergeSha!}` });
  const postFlux = (url: string) =>
    fetch(`${url}/webhooks/flux`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': fluxSignature(FLUX_TOKEN, event) },
      body: event,
    }).then((r) => r.status);
  assert.deepEqual(await Promise.all(urls.map((url) => postFlux(url))), [202, 202]);
  await eventually(() => threadOf(slack, root).some((text) => text.includes('Live at')), 'live');
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Both replicas ask GitHub to merge; GitHub merges once and refuses the second (the PR is merged already).
  assert.equal(commits(), before + 1, 'one merge commit on main');
  const told = slack.responseUrlPosts
    .filter((post) => post.id === 'two-replicas-click')
    .map((post) => String((post.body as { text?: unknown }).text));
  t.diagnostic(`the click told Bob: ${JSON.stringify(told)}`);
  assert.equal(
    threadOf(slack, root).filter((text) => text.includes('Approved by')).length,
    1,
    'one merge told',
  );
  assert.equal(
    threadOf(slack, root).filter((text) => text.includes('Live at')).length,
    1,
    'one live message',
  );
  assert.equal(rootMessages(slack).length, 1, 'one root message');
  assert.equal(
    slack.callsOf('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined).length -
      slack.deleted.length,
    1,
  );
  assert.equal(world.cloudflare.tunnels().length, 1, 'one tunnel');
  assert.equal(world.cloudflare.records().length, 1, 'one DNS record');
});
