import { TunnelbotError } from '../../src/errors.js';
import { RequestService } from '../../src/requests/service.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { decryptYaml, parseAgeIdentities } from '../../src/gitops/sops/index.js';
import { approve, reject } from '../../src/workflows/approve.js';
import { expose } from '../../src/workflows/expose.js';
import { onPullRequestEvent } from '../../src/workflows/pull-request-events.js';
import { collectOrphans } from '../../src/workflows/reconcile.js';
import { unexpose } from '../../src/workflows/unexpose.js';
import { ownerCommentOf } from '../../src/workflows/context.js';
import { vectorPath } from '../helpers/vectors.js';
import { kustomizeBuild } from '../helpers/trees.js';
import { ALICE, BOB, startWorld } from '../helpers/world.js';

const identities = parseAgeIdentities(readFileSync(vectorPath('sops-flux/keys/age.txt'), 'utf8'), 'age.txt');

test('expose -> approve -> DNS -> unexpose -> approve leaves Cloudflare and the repository as they were', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const original = world.checkout().files;

  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  assert.equal(exposed.pr.created, true);
  const [tunnel] = world.cloudflare.tunnels();
  assert.equal(tunnel?.name, 'tunnelbot-staging-linkding');
  assert.equal(exposed.tunnelId, tunnel.id);
  assert.deepEqual(world.cloudflare.records(), [], 'no DNS before the change is merged');

  // The PR branch is one commit on top of main, and kustomize builds it.
  const pr = world.github.pull(exposed.pr.number)!;
  const branch = world.checkout(pr.headRef);
  const log = execFileSync('git', ['-C', branch.directory, 'log', '--format=%s', 'origin/main..HEAD'], {
    encoding: 'utf8',
  });
  assert.equal(log.trim().split('\n').length, 1);
  kustomizeBuild(join(branch.directory, 'apps/staging'));

  // A retried /expose (double click, second replica) finds the same PR and makes no second tunnel.
  const retried = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  assert.equal(retried.pr.number, exposed.pr.number);
  assert.equal(retried.pr.created, false);
  assert.equal(world.cloudflare.tunnels().length, 1);

  // Four-eyes, decided by the request service: Alice asked, so Alice cannot approve; Bob can.
  const everyone = { everyone: true, users: [], groups: [] };
  const requests = new RequestService({
    context: {
      ...world.context,
      settings: {
        ...world.context.settings,
        policy: { fourEyes: true, request: everyone, approve: everyone, environments: {} },
      },
    },
    dnsAwaitsFlux: false,
  });
  const refused = await requests.approve(
    { id: ALICE.slackUserId, name: ALICE.name },
    { prNumber: exposed.pr.number, headSha: exposed.pr.headSha },
  );
  assert.equal(refused.ok, false);
  assert.equal(refused.error?.code, 'TB_ERR_POLICY_SELF_APPROVAL');
  assert.match(refused.text, /cannot approve/);
  assert.equal(world.github.pull(exposed.pr.number)?.state, 'open');
  const { mergeSha, outcome } = await approve(
    { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
    world.context,
  );
  const info = await world.git.getPr(exposed.pr.number);
  assert.deepEqual(outcome, { kind: 'awaiting-tunnel', mergeSha });
  assert.deepEqual(world.cloudflare.records(), [], 'merged, but no cloudflared runs yet: no CNAME');

  // Flux applies main, cloudflared connects; the next look (here a duplicated merged event) creates the CNAME.
  assert.deepEqual((await world.fluxApplies()).started, [tunnel.id]);
  const merged = {
    kind: 'merged',
    source: 'poll',
    prNumber: info.number,
    metadata: info.metadata!,
    headSha: info.headSha,
    mergeSha,
  } as const;
  assert.deepEqual(await onPullRequestEvent(merged, world.context), {
    kind: 'dns-reconciled',
    tunnelDeleted: false,
  });
  const records = world.cloudflare.records();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.name, 'linkding.example.com');
  assert.equal(records[0]!.type, 'CNAME');
  assert.equal(records[0]!.content, `${tunnel.id}.cfargotunnel.com`);
  assert.equal(records[0]!.proxied, true);
  assert.equal(records[0]!.comment, ownerCommentOf(world.settings));

  // main now carries the tunnel; its credentials decrypt to the secret Cloudflare holds.
  const main = world.checkout();
  kustomizeBuild(join(main.directory, 'apps/staging'));
  const secret = parseDocument(
    await decryptYaml(main.files.get('apps/staging/tunnels/linkding/secret.sops.yaml')!, { identities }),
  ).toJS();
  const credentials = JSON.parse(secret.stringData['credentials.json']);
  assert.equal(credentials.TunnelID, tunnel.id);
  assert.equal(credentials.TunnelSecret, world.cloudflare.tunnels()[0]!.secret);
  assert.equal(credentials.AccountTag, world.cloudflare.tunnels()[0]!.accountTag);

  // Another duplicated merged event changes nothing.
  await onPullRequestEvent(merged, world.context);
  assert.equal(world.cloudflare.records().length, 1);

  const removal = await unexpose({ app: 'linkding', requester: ALICE }, world.context);
  assert.equal(removal.plan.deleteTunnelId, tunnel.id);
  assert.equal(world.cloudflare.records().length, 1, 'a pending unexpose changes nothing yet');
  const { outcome: removed } = await approve(
    { prNumber: removal.pr.number, expectedHeadSha: removal.pr.headSha, approver: BOB },
    world.context,
  );
  // DNS goes at the merge; the tunnel cloudflared still runs for is kept and reported.
  assert.deepEqual(removed, {
    kind: 'dns-reconciled',
    tunnelDeleted: false,
    runningTunnel: { tunnelId: tunnel.id, activeConnectors: 1 },
  });
  assert.deepEqual(world.cloudflare.records(), []);
  assert.equal(world.cloudflare.tunnels().length, 1);
  // Flux prunes cloudflared; nothing references the tunnel any more, so the orphan collector deletes it.
  assert.deepEqual((await world.fluxApplies()).stopped, [tunnel.id]);
  const swept = await collectOrphans(world.context, { graceMs: 0 });
  assert.deepEqual(
    swept.deleted.map((deleted) => deleted.id),
    [tunnel.id],
  );
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(
    world.checkout().files,
    original,
    'the repository is back to where it started, byte for byte',
  );
  assert.ok(!world.logs().includes(credentials.TunnelSecret), 'the tunnel secret never reaches the logs');
  assert.deepEqual(
    await world.contractViolations(),
    [],
    'every GitHub exchange matches the OpenAPI description',
  );
});

test('a rejected expose deletes its tunnel; a foreign DNS record is never touched', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const foreign = world.cloudflare.seedRecord('example.com', {
    type: 'A',
    name: 'linkding.example.com',
    content: '192.0.2.10',
    comment: 'hand-made',
  });
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  const outcome = await reject({ prNumber: exposed.pr.number, reason: 'not now', actor: BOB }, world.context);
  assert.deepEqual(outcome, { kind: 'tunnel-deleted', tunnelId: exposed.tunnelId });
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(world.cloudflare.records(), [foreign]);
});

test('a rejected expose whose tunnel cloudflared runs for keeps the tunnel and reports it', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  world.cloudflare.startCloudflared(exposed.tunnelId!, 2);
  const outcome = await reject({ prNumber: exposed.pr.number, reason: 'not now', actor: BOB }, world.context);
  assert.equal(outcome.kind, 'tunnel-running');
  assert.deepEqual(outcome.kind === 'tunnel-running' && outcome.tunnel, {
    tunnelId: exposed.tunnelId,
    activeConnectors: 2,
  });
  assert.equal(world.cloudflare.tunnels().length, 1);
  assert.equal(world.cloudflare.tunnels()[0]!.connectors.length, 2, 'its connectors were not cleaned up');
  assert.match(world.logs(), new RegExp(`"tunnelId":"${exposed.tunnelId}","activeConnectors":2`));
});

test('a second expose of the same app with another hostname is refused before any tunnel exists', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  await assert.rejects(
    expose({ app: 'linkding', port: 9090, hostname: 'links.example.com', requester: BOB }, world.context),
    (error: unknown) => error instanceof TunnelbotError && error.code === 'TB_ERR_PLAN_REQUEST_PENDING',
  );
  assert.equal(world.cloudflare.tunnels().length, 1);
});

test('two replicas handling the same /expose at once make one tunnel and one pull request', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const outcomes = await Promise.all([
    expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context),
    expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context),
  ]);
  assert.equal(outcomes[0].pr.number, outcomes[1].pr.number);
  assert.deepEqual(outcomes.map((outcome) => outcome.pr.created).sort(), [false, true]);
  assert.equal(world.cloudflare.tunnels().length, 1);
  assert.equal(outcomes[0].tunnelId, outcomes[1].tunnelId);
  assert.equal((await world.git.listOpenTunnelbotPrs()).length, 1);
  const pr = world.github.pull(outcomes[0].pr.number)!;
  const secret = world.cloudflare.tunnels()[0]!.secret;
  assert.ok(
    !pr.body?.includes(secret) && !pr.title.includes(secret),
    'the PR text never holds the tunnel secret',
  );
  assert.match(pr.body ?? '', /<!-- tunnelbot:\{.*"action":"expose".*\} -->\n?$/s);
});

test('an approval merges with the settings’ repository.mergeMethod and says which method it used', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const repository = { ...world.settings.repository!, mergeMethod: 'merge' as const };
  const context = { ...world.context, settings: { ...world.settings, repository } };
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  const approval = await approve(
    { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
    context,
  );
  assert.equal(approval.method, 'merge');
  const parents = execFileSync(
    'git',
    ['-C', world.github.repoPath, 'rev-list', '--parents', '-n', '1', approval.mergeSha],
    { encoding: 'utf8' },
  );
  assert.equal(parents.trim().split(' ').length, 3, 'a merge commit has two parents');
  assert.match(world.github.pull(exposed.pr.number)?.comments[0]?.body ?? '', /\(merge commit\)\.$/);
});
