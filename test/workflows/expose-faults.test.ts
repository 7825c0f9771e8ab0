import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { TunnelbotError } from '../../src/errors.js';
import { expose } from '../../src/workflows/expose.js';
import { ALICE, startWorld, type World } from '../helpers/world.js';

/** Every write an expose makes on GitHub, in order; a failure at any of them must leave nothing behind. */
const GITHUB_WRITES: Array<[method: string, path: RegExp]> = [
  ['POST', /\/git\/trees$/],
  ['POST', /\/git\/commits$/],
  ['POST', /\/git\/refs$/],
  ['POST', /\/pulls$/],
  ['POST', /\/issues\/\d+\/labels$/],
];

function branches(world: World): string[] {
  return execFileSync(
    'git',
    ['-C', world.github.repoPath, 'for-each-ref', '--format=%(refname:short)', 'refs/heads'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n');
}

async function assertNothingLeft(world: World): Promise<void> {
  assert.deepEqual(world.cloudflare.tunnels(), [], 'no live tunnel');
  assert.deepEqual(world.cloudflare.records(), [], 'no DNS record');
  assert.deepEqual(branches(world), ['main'], 'no branch without its PR');
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), [], 'no open PR');
}

for (const [method, path] of GITHUB_WRITES) {
  test(`a GitHub failure at ${method} ${path.source} rolls the expose back completely`, async (t) => {
    let armed = true;
    const world = await startWorld('flux-example', {
      beforeGitHub: async (requestMethod, requestPath) => {
        if (armed && requestMethod === method && path.test(requestPath)) {
          armed = false;
          throw new Error('injected outage');
        }
      },
    });
    t.after(() => world.close());
    await assert.rejects(
      expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context),
      (error: unknown) => {
        assert.ok(error instanceof TunnelbotError, String(error));
        assert.equal(error.kind, 'upstream');
        return true;
      },
    );
    assert.equal(armed, false, 'the fault was injected');
    await assertNothingLeft(world);
    assert.equal(
      world.cloudflare.tunnels({ includeDeleted: true }).length,
      1,
      'the tunnel was created, then deleted',
    );

    // Once GitHub is back, the same request goes through.
    const retried = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
    assert.equal(retried.pr.created, true);
    assert.equal(world.cloudflare.tunnels().length, 1);
  });
}

test('a Cloudflare failure creating the tunnel leaves nothing anywhere', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  world.cloudflare.injectFault('tunnel.create', { kind: 'error', status: 503, code: 10001 }, 1);
  await assert.rejects(
    expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context),
    (error: unknown) => error instanceof TunnelbotError && error.kind === 'upstream',
  );
  await assertNothingLeft(world);
});

test('an announcement that fails while the tunnel is being created takes the tunnel back', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  let announced = false;
  await assert.rejects(
    expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context, {
      announce: async () => {
        announced = true;
        // Slack answers after Cloudflare has made the tunnel: the failure comes with a tunnel to undo.
        await new Promise((resolve) => setTimeout(resolve, 200));
        throw new TunnelbotError('TB_ERR_SLACK_UNAVAILABLE', 'Slack is not answering.');
      },
    }),
    (error: unknown) => error instanceof TunnelbotError && error.code === 'TB_ERR_SLACK_UNAVAILABLE',
  );
  assert.ok(announced);
  assert.equal(world.cloudflare.tunnels({ includeDeleted: true }).length, 1, 'the tunnel was made');
  await assertNothingLeft(world);
});

test('bad input fails before anything is created', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  for (const request of [
    { app: 'Bad_Name', port: 9090 },
    { app: 'linkding', port: 0 },
    { app: 'linkding', port: 9090, hostname: 'linkding.elsewhere.org' },
  ]) {
    await assert.rejects(expose({ ...request, requester: ALICE }, world.context), TunnelbotError);
  }
  assert.equal(world.cloudflare.requests.length, 0, 'Cloudflare was never called');
  await assertNothingLeft(world);
});

test('a concurrent expose that opens the PR first is adopted: its PR, branch and tunnel stay', async (t) => {
  let concurrent: Promise<Awaited<ReturnType<typeof expose>>> | undefined;
  const world: World = await startWorld('flux-example', {
    beforeGitHub: async (method, path) => {
      // Our branch exists, our PR not yet: another replica handles the same request now and opens the PR first.
      if (!concurrent && method === 'POST' && /\/pulls$/.test(path)) {
        concurrent = expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
        await concurrent;
      }
    },
  });
  t.after(() => world.close());
  const ours = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  const theirs = await concurrent!;
  assert.equal(theirs.pr.created, true, 'the other replica opened the PR');
  assert.deepEqual(ours.pr, { ...theirs.pr, created: false }, 'ours returns that same PR');
  const [open] = await world.git.listOpenTunnelbotPrs();
  assert.equal(open?.number, theirs.pr.number, 'the PR stays open');
  assert.ok(open && branches(world).includes(open.headRef), 'its branch stays');
  assert.deepEqual(
    world.cloudflare.tunnels().map((tunnel) => tunnel.id),
    [ours.tunnelId],
    'the tunnel the PR routes is not deleted',
  );
  assert.deepEqual(await world.contractViolations(), []);
});
