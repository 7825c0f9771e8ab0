import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { accessApplicationName } from '../../src/core/access.js';
import type { Settings } from '../../src/core/settings.js';
import { TunnelbotError } from '../../src/errors.js';
import { reject } from '../../src/workflows/approve.js';
import { onPullRequestEvent } from '../../src/workflows/pull-request-events.js';
import { repairFailureNotice } from '../../src/workflows/access.js';
import { expose } from '../../src/workflows/expose.js';
import { ALICE, BOB, settingsWith, startWorld, type World } from '../helpers/world.js';

const CONFIG = 'apps/staging/tunnels/linkding/config.yaml';

function withAccess(world: World, access: Record<string, unknown>): Settings {
  return settingsWith(world, { access });
}

async function accessWorld(
  access: Record<string, unknown>,
  beforeGitHub?: (m: string, p: string) => Promise<void>,
) {
  const world = await startWorld('flux-example', beforeGitHub ? { beforeGitHub } : {});
  const staff = world.cloudflare.seedAccessPolicy('Staff', [{ email_domain: { domain: 'example.com' } }]);
  const settings = withAccess(world, access);
  return { world, staff, context: { ...world.context, settings } };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TunnelbotError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('an expose where Access is required makes the application first, and the PR rule requires its token', async (t) => {
  const { world, staff, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());

  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  const [app] = world.cloudflare.accessApps();
  assert.ok(app, 'an Access application exists');
  assert.equal(app.domain, 'linkding.example.com');
  assert.equal(app.name, accessApplicationName(context.settings.instance, 'linkding.example.com'));
  assert.deepEqual(app.policyIds, [staff.id]);
  assert.match(app.aud, /^[0-9a-f]{64}$/);
  assert.equal(exposed.accessApp?.aud, app.aud);

  const pr = world.github.pull(exposed.pr.number)!;
  const files = world.checkout(pr.headRef).files;
  const rule = (parseDocument(files.get(CONFIG)!).toJS() as { ingress: Record<string, unknown>[] })
    .ingress[0];
  assert.deepEqual(rule, {
    hostname: 'linkding.example.com',
    service: 'http://linkding.linkding.svc.cluster.local:9090',
    originRequest: { access: { required: true, teamName: 'tunnelbot-fake', audTag: [app.aud] } },
  });
  const body = pr.body ?? '';
  assert.match(body, /Who may enter \| only people allowed by the Access policy "Staff"/);
  const metadata = (await world.git.getPr(exposed.pr.number)).metadata;
  assert.deepEqual(metadata?.access, { appId: app.id, aud: app.aud });

  // A retry finds the PR and makes no second application.
  await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  assert.equal(world.cloudflare.accessApps().length, 1);

  // Rejecting the request deletes the application together with the tunnel.
  await reject({ prNumber: exposed.pr.number, reason: 'not now', actor: BOB }, context);
  assert.deepEqual(world.cloudflare.accessApps(), []);
  assert.deepEqual(world.cloudflare.tunnels(), []);
});

test('an expose closed on GitHub (not through tunnelbot) takes its Access application with its tunnel', async (t) => {
  const { world, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  assert.equal(world.cloudflare.accessApps().length, 1);
  // Closed by hand on GitHub: the poller or the webhook reports it as a closed pull request.
  await world.git.closePr({ number: exposed.pr.number, reason: 'closed on GitHub', actor: BOB });
  const closed = await world.git.getPr(exposed.pr.number);
  await onPullRequestEvent(
    {
      kind: 'closed',
      source: 'poll',
      prNumber: closed.number,
      metadata: closed.metadata!,
      headSha: closed.headSha,
    },
    context,
  );
  assert.deepEqual(world.cloudflare.accessApps(), []);
  assert.deepEqual(world.cloudflare.tunnels(), []);
});

test('include rules become a policy of the application itself', async (t) => {
  const { world, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    include: [{ email: 'ops@example.com' }],
  });
  t.after(() => world.close());
  await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  const [app] = world.cloudflare.accessApps();
  assert.deepEqual(app?.policyIds, []);
  assert.deepEqual(
    app?.ownPolicies.map((policy) => [policy.decision, policy.include]),
    [['allow', [{ email: { email: 'ops@example.com' } }]]],
  );
});

test('a wrong team name, an unknown policy or a foreign application fail before anything exists', async (t) => {
  const cases: Array<[Record<string, unknown>, string, ((world: World) => void)?]> = [
    [{ mode: 'required', teamName: 'typo', policies: ['Staff'] }, 'TB_ERR_ACCESS_TEAM_MISMATCH'],
    [{ mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staf'] }, 'TB_ERR_ACCESS_POLICY_UNKNOWN'],
    [
      { mode: 'optional', teamName: 'tunnelbot-fake', policies: ['Staff'] },
      'TB_ERR_ACCESS_APP_FOREIGN',
      (world) => {
        world.cloudflare.seedAccessApp({ name: 'hand made', domain: 'linkding.example.com' });
      },
    ],
  ];
  for (const [access, expected, seed] of cases) {
    const { world, context } = await accessWorld(access);
    t.after(() => world.close());
    seed?.(world);
    const before = world.cloudflare.accessApps().map((app) => ({ ...app }));
    await expectCode(expose({ app: 'linkding', port: 9090, requester: ALICE }, context), expected);
    assert.deepEqual(world.cloudflare.accessApps(), before, `${expected}: Access untouched`);
    assert.deepEqual(world.cloudflare.tunnels({ includeDeleted: true }), [], `${expected}: no tunnel made`);
    assert.deepEqual(await world.git.listOpenTunnelbotPrs(), []);
  }
});

test('access=public is refused where Access is required, and makes no application where it is optional', async (t) => {
  const required = await accessWorld({ mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staff'] });
  t.after(() => required.world.close());
  await expectCode(
    expose({ app: 'linkding', port: 9090, access: 'public', requester: ALICE }, required.context),
    'TB_ERR_ACCESS_PUBLIC_FORBIDDEN',
  );
  assert.deepEqual(required.world.cloudflare.tunnels({ includeDeleted: true }), []);

  const optional = await accessWorld({ mode: 'optional', teamName: 'tunnelbot-fake', policies: ['Staff'] });
  t.after(() => optional.world.close());
  const exposed = await expose(
    { app: 'linkding', port: 9090, access: 'public', requester: ALICE },
    optional.context,
  );
  assert.deepEqual(optional.world.cloudflare.accessApps(), []);
  const pr = optional.world.github.pull(exposed.pr.number)!;
  assert.match(pr.body ?? '', /PUBLIC: anyone on the internet reaches this app/);
  const config = optional.world.checkout(pr.headRef).files.get(CONFIG)!;
  assert.doesNotMatch(config, /originRequest/);
});

test('a failed expose deletes the Access application it created, and keeps one it adopted', async (t) => {
  let armed = true;
  const { world, context } = await accessWorld(
    { mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staff'] },
    async (method, path) => {
      if (armed && method === 'POST' && /\/pulls$/.test(path)) {
        armed = false;
        throw new Error('injected outage');
      }
    },
  );
  t.after(() => world.close());
  await assert.rejects(expose({ app: 'linkding', port: 9090, requester: ALICE }, context));
  assert.equal(armed, false);
  assert.deepEqual(world.cloudflare.accessApps(), [], 'the created application is gone');
  assert.deepEqual(world.cloudflare.tunnels(), []);

  // An application of ours from an earlier attempt may belong to another replica's PR: adopted, never deleted.
  const earlier = world.cloudflare.seedAccessApp({
    name: accessApplicationName(context.settings.instance, 'linkding.example.com'),
    domain: 'linkding.example.com',
  });
  armed = true;
  await assert.rejects(expose({ app: 'linkding', port: 9090, requester: ALICE }, context));
  assert.deepEqual(
    world.cloudflare.accessApps().map((app) => app.id),
    [earlier.id],
  );
});

test('the application is made beside the tunnel: a failed tunnel takes back the application, and the other way round', async (t) => {
  const { world, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());
  world.cloudflare.injectFault('tunnel.create', { kind: 'error', status: 503, code: 10001 }, 1);
  await assert.rejects(expose({ app: 'linkding', port: 9090, requester: ALICE }, context));
  assert.equal(world.cloudflare.requestCount('access.apps.create'), 1, 'the application was made meanwhile');
  assert.deepEqual(world.cloudflare.accessApps(), [], 'and deleted again');
  assert.deepEqual(world.cloudflare.tunnels(), []);

  world.cloudflare.injectFault('access.apps.create', { kind: 'error', status: 503, code: 10001 }, 1);
  await assert.rejects(expose({ app: 'linkding', port: 9090, requester: ALICE }, context));
  assert.deepEqual(world.cloudflare.tunnels(), [], 'the tunnel made meanwhile is deleted');
  assert.deepEqual(world.cloudflare.accessApps(), []);
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), []);
});

test('fail closed: a merged hostname whose application is gone gets no CNAME, with one listing per run', async (t) => {
  const { world, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  const { approve } = await import('../../src/workflows/approve.js');
  await approve({ prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB }, context);
  world.cloudflare.deleteAccessAppByHand(world.cloudflare.accessApps()[0]!.id);
  await world.fluxApplies();
  const { reconcileDns } = await import('../../src/workflows/reconcile.js');
  const before = world.cloudflare.requestCount('access.apps.list');
  const run = await reconcileDns(context);
  assert.equal(
    world.cloudflare.requestCount('access.apps.list') - before,
    1,
    'one listing for the whole run',
  );
  assert.deepEqual(world.cloudflare.records(), [], 'no CNAME without its Access application');
  assert.deepEqual(run.dns.plan.waiting, [
    { hostname: 'linkding.example.com', tunnelId: exposed.tunnelId, reason: 'access-application' },
  ]);
  assert.equal(run.access?.drift[0]?.kind, 'missing');
});

test('the orphan collector deletes our unreferenced Access applications after the grace period, never others', async (t) => {
  const { world, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());
  const { collectOrphans } = await import('../../src/workflows/reconcile.js');
  const ours = world.cloudflare.seedAccessApp({
    name: accessApplicationName(context.settings.instance, 'stale.example.com'),
    domain: 'stale.example.com',
  });
  const foreign = world.cloudflare.seedAccessApp({ name: 'hand made', domain: 'other.example.com' });
  const young = await collectOrphans(context);
  assert.deepEqual(young.access?.deleted, [], 'within the grace period');
  assert.equal(world.cloudflare.accessApps().length, 2);
  const swept = await collectOrphans(context, { graceMs: 0 });
  assert.deepEqual(
    swept.access?.deleted.map((d) => d.id),
    [ours.id],
  );
  assert.deepEqual(
    world.cloudflare.accessApps().map((a) => a.id),
    [foreign.id],
  );
  assert.match(world.logs(), /orphan Access application deleted/);
});

test('drift: an application of ours whose policies were changed by hand is made again from the settings', async (t) => {
  const { world, staff, context } = await accessWorld({
    mode: 'required',
    teamName: 'tunnelbot-fake',
    policies: ['Staff'],
  });
  t.after(() => world.close());
  const everyone = world.cloudflare.seedAccessPolicy('Everyone');
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, context);
  const { approve } = await import('../../src/workflows/approve.js');
  await approve({ prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB }, context);
  const [original] = world.cloudflare.accessApps();
  original!.policyIds = [everyone.id];
  const { readAccessInventory, repairAccess, repairNotice } = await import('../../src/workflows/access.js');
  const { desiredState } = await import('../../src/core/desired-state.js');
  const base = await context.git.defaultBranch();
  const desired = desiredState(await context.git.readSnapshot(base.sha), context.settings);
  const inventory = await readAccessInventory(context, desired);
  assert.deepEqual(
    inventory?.drift.map((d) => [d.hostname, d.kind]),
    [['linkding.example.com', 'changed']],
  );
  assert.equal(
    inventory?.gate.ready.has('linkding.example.com'),
    false,
    'a changed application is not in place',
  );
  const { repaired } = await repairAccess(context, inventory!);
  const apps = world.cloudflare.accessApps();
  assert.equal(apps.length, 1);
  assert.notEqual(apps[0]!.id, original!.id);
  assert.deepEqual(apps[0]!.policyIds, [staff.id]);
  assert.deepEqual(repaired[0]?.staleAudTags, [original!.aud]);
  assert.match(
    repairNotice(repaired[0]!),
    /had changed \(its reusable policies are not the ones the settings name\)/,
  );
});

test("a failed repair's notice says what drifted, why the repair failed with its code, and that the app stays closed", () => {
  const notice = repairFailureNotice({
    hostname: 'linkding.example.com',
    environment: 'staging',
    app: 'linkding',
    kind: 'changed',
    reason: 'its own include rules differ from the settings',
    code: 'TB_ERR_CLOUDFLARE_UNREACHABLE',
    message: 'Could not connect to the Cloudflare API: timed out.',
  });
  assert.match(
    notice,
    /^The Access application for https:\/\/linkding\.example\.com had changed \(its own include rules differ from the settings\); recreating it from the settings failed: Could not connect to the Cloudflare API: timed out \(`TB_ERR_CLOUDFLARE_UNREACHABLE`\)\. /,
  );
  assert.match(notice, /closed meanwhile, never public/);
});
