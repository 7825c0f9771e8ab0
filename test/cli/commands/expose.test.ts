import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeAsAlice, requestEnvironment, runCli } from '../../helpers/cli.js';
import { ALICE, startWorld } from '../../helpers/world.js';

test('tunnelbot expose opens the pull request with the tunnel, as the person --as names', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const number = await exposeAsAlice(requestEnvironment(world));

  const pr = await world.git.getPr(number);
  assert.equal(pr.state, 'open');
  assert.equal(pr.metadata?.action, 'expose');
  assert.equal(pr.metadata?.app, 'linkding');
  assert.equal(pr.metadata?.hostname, 'linkding.example.com');
  assert.deepEqual(pr.metadata?.requester, { slackUserId: ALICE.slackUserId, name: 'Alice' });
  const tunnels = world.cloudflare.tunnels();
  assert.equal(tunnels.length, 1);
  assert.equal(pr.metadata?.tunnelId, tunnels[0]!.id);
});

test('tunnelbot expose by someone the policy does not list is refused on stderr with exit 1, nothing created', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const result = await runCli(['expose', 'linkding', '9090', '--as', 'U0MALLORY'], requestEnvironment(world));
  assert.equal(result.code, 1);
  assert.equal(result.out, '');
  assert.match(result.err, /may not ask for changes in staging/);
  assert.match(result.err, /TB_ERR_POLICY_NOT_REQUESTER/);
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), []);
});

test('tunnelbot expose --json prints the reply as JSON, with the error object but no stack', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const ok = await runCli(['expose', 'linkding', '9090', '--as', ALICE.slackUserId, '--json'], env);
  assert.equal(ok.code, 0, ok.err);
  const reply = JSON.parse(ok.out) as { ok: boolean; pr: { number: number; headSha: string } };
  assert.equal(reply.ok, true);
  assert.equal((await world.git.getPr(reply.pr.number)).headSha, reply.pr.headSha);

  const bad = await runCli(['expose', 'linkding', '70000', '--as', ALICE.slackUserId, '--json'], env);
  assert.equal(bad.code, 1);
  const refused = JSON.parse(bad.out) as { ok: boolean; error: Record<string, unknown> };
  assert.equal(refused.ok, false);
  assert.deepEqual(Object.keys(refused.error).sort(), ['code', 'fix', 'kind', 'message']);
  assert.equal(refused.error.kind, 'input');
  assert.ok(!bad.out.includes('    at '), 'no stack trace');
});

test('tunnelbot expose without --as is a usage error before any network call', async () => {
  const result = await runCli(['expose', 'linkding', '9090'], {});
  assert.equal(result.code, 1);
  assert.match(result.err, /^tunnelbot expose: needs --as USER_ID/);
  assert.match(result.err, /TB_ERR_USAGE/);
});

test('tunnelbot expose --access public reaches the policy of the environment; any other value is a usage error', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = requestEnvironment(world);
  const other = await runCli(
    ['expose', 'linkding', '9090', '--as', ALICE.slackUserId, '--access', 'open'],
    env,
  );
  assert.equal(other.code, 1);
  assert.match(other.err, /--access takes only `public`/);
  assert.match(other.err, /TB_ERR_USAGE/);
  // The test world's environment has Access off: asking for a public app there is refused, as in Slack.
  const publicApp = await runCli(
    ['expose', 'linkding', '9090', '--as', ALICE.slackUserId, '--access', 'public'],
    env,
  );
  assert.equal(publicApp.code, 1);
  assert.match(publicApp.err, /TB_ERR_ACCESS_PUBLIC_FORBIDDEN/);
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(await world.git.listOpenTunnelbotPrs(), []);
});
