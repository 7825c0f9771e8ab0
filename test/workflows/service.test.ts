import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/main.js';
import { approve } from '../../src/workflows/approve.js';
import { expose } from '../../src/workflows/expose.js';
import { captureLogs } from '../helpers/logs.js';
import { captureIo } from '../helpers/io.js';
import {
  eventually,
  mergedPullRequestDelivery,
  serviceEnvironment,
  WEBHOOK_SECRET,
  deliverGitHub,
} from '../helpers/service.js';
import { ALICE, BOB, BOT_TOKEN, startWorld } from '../helpers/world.js';

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const io = captureIo();
  io.env = env;
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

test('doctor passes on a correct installation and names what is missing on a bare one', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const good = await cli(['doctor'], serviceEnvironment(world));
  assert.equal(good.code, 0, good.out + good.err);
  assert.match(good.out, /✔ GitHub repository acme\/gitops/);
  assert.match(good.out, /✔ Cloudflare API token/);
  assert.match(good.out, /All checks passed\.\n$/);

  const bare = await cli(['doctor'], {});
  assert.equal(bare.code, 1);
  assert.match(bare.out, /✖ GitHub credentials: not configured\n {4}fix: Set GITHUB_TOKEN/);
  assert.match(bare.out, /✖ Cloudflare credentials: not configured/);

  world.cloudflare.setPermissions(['account:read', 'tunnel:read', 'tunnel:edit', 'zone:read']);
  const noDns = await cli(['doctor'], serviceEnvironment(world));
  assert.equal(noDns.code, 1);
  assert.match(noDns.out, /Zone > DNS > Edit|DNS/);
  assert.ok(!noDns.out.includes(world.cloudflare.apiToken) && !noDns.err.includes(BOT_TOKEN));
});

test('serve: a signed GitHub merge delivery makes DNS follow the merged change once cloudflared runs', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = serviceEnvironment(world);
  const logs = captureLogs();
  const service = await createService(
    loadConfig(env, { slack: false, github: true, cloudflare: true }),
    logs.logger,
  );
  const { url } = await service.start({ port: 0, host: '127.0.0.1' });
  t.after(() => service.stop());

  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  const { mergeSha } = await world.git.mergePr({
    number: exposed.pr.number,
    expectedHeadSha: exposed.pr.headSha,
    approver: BOB,
  });
  const pr = await world.git.getPr(exposed.pr.number);
  await world.fluxApplies(mergeSha);
  const body = mergedPullRequestDelivery(pr, mergeSha);
  const unsigned = await deliverGitHub(url, body, 'd-0', false);
  assert.equal(unsigned.status, 401);
  assert.deepEqual(world.cloudflare.records(), []);

  const response = await deliverGitHub(url, body, 'd-1');
  assert.equal(response.status, 202);
  await eventually(() => world.cloudflare.records().length === 1, 'the CNAME');
  assert.equal(world.cloudflare.records()[0]!.name, 'linkding.example.com');
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);

  const metrics = await fetch(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await metrics.text();
  assert.match(
    text,
    /^tunnelbot_http_requests_total\{route="\/webhooks\/github",method="POST",status="401"\} 1$/m,
  );
  assert.match(
    text,
    /^tunnelbot_http_requests_total\{route="\/webhooks\/github",method="POST",status="202"\} 1$/m,
  );
  assert.match(
    text,
    /^tunnelbot_pull_request_events_total\{source="webhook",kind="merged",outcome="dns-reconciled"\} 1$/m,
  );
  assert.match(text, /^tunnelbot_process_cpu_seconds_total /m);
  for (const secret of [WEBHOOK_SECRET, BOT_TOKEN, world.cloudflare.apiToken, 'linkding.example.com']) {
    assert.ok(!text.includes(secret), `metrics must not carry ${secret}`);
  }
});

test('reconcile --dry-run prints the DNS plan and changes nothing; reconcile applies it', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = serviceEnvironment(world);
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  await world.git.mergePr({ number: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB });
  const waiting = await cli(['reconcile', '--dry-run'], env);
  assert.match(waiting.out, /^… waiting linkding\.example\.com: tunnel .* has no active connector yet$/m);
  assert.match(waiting.out, /0 to create, .* 1 waiting for cloudflared/);
  await world.fluxApplies();

  const dry = await cli(['reconcile', '--dry-run'], env);
  assert.equal(dry.code, 0, dry.err);
  assert.match(
    dry.out,
    new RegExp(
      `^\\+ create CNAME linkding\\.example\\.com -> ${exposed.tunnelId}\\.cfargotunnel\\.com \\(proxied\\)$`,
      'm',
    ),
  );
  assert.deepEqual(world.cloudflare.records(), []);

  const applied = await cli(['reconcile'], env);
  assert.equal(applied.code, 0, applied.err);
  assert.equal(world.cloudflare.records().length, 1);
  const again = await cli(['reconcile', '--dry-run'], env);
  assert.match(again.out, /0 to create, 0 to update, 0 to delete, 0 conflict\(s\), 1 unchanged/);
});

test('reconcile reports a foreign record on a desired hostname and exits 1 without touching it', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const foreign = world.cloudflare.seedRecord('example.com', {
    type: 'A',
    name: 'linkding.example.com',
    content: '192.0.2.1',
  });
  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  await world.git.mergePr({ number: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB });
  const result = await cli(['reconcile'], serviceEnvironment(world));
  assert.equal(result.code, 1);
  assert.match(result.out, /! conflict linkding\.example\.com/);
  assert.deepEqual(world.cloudflare.records(), [foreign]);
});

test('list shows what the default branch exposes with tunnel health, and what waits for approval', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = serviceEnvironment(world);
  const empty = await cli(['list'], env);
  assert.equal(empty.code, 0, empty.err);
  assert.equal(empty.out, 'Nothing is exposed on the default branch.\n');

  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  await approve(
    { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
    world.context,
  );
  world.cloudflare.attachConnector(exposed.tunnelId!, { conns: 4 });
  const pending = await expose(
    { app: 'podinfo', port: 9898, namespace: 'podinfo', requester: ALICE },
    world.context,
  );

  const listed = await cli(['list'], env);
  assert.equal(listed.code, 0, listed.err);
  const [header, row] = listed.out.split('\n');
  assert.match(header!, /^ENVIRONMENT +APP +HOSTNAME +PROTECTION +TUNNEL +STATUS +CONNECTORS$/);
  // The environment has no `access`: the app is public, and the listing says so.
  assert.match(
    row!,
    new RegExp(`^staging +linkding +linkding\\.example\\.com +PUBLIC +${exposed.tunnelId} +healthy +1$`),
  );
  assert.match(
    listed.out,
    new RegExp(
      `Waiting for approval:\\n  #${pending.pr.number} expose podinfo \\(staging\\) podinfo\\.example\\.com  http`,
    ),
  );
});
