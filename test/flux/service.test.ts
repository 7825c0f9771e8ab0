import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/main.js';
import { expose } from '../../src/workflows/expose.js';
import { fluxSignature, kustomizationEvent } from '../helpers/flux.js';
import { captureLogs } from '../helpers/logs.js';
import {
  eventually,
  mergedPullRequestDelivery,
  serviceEnvironment,
  deliverGitHub,
} from '../helpers/service.js';
import { ALICE, BOB, startWorld } from '../helpers/world.js';

const FLUX_TOKEN = 'flux-webhook-token-0123456789';

test('serve with FLUX_WEBHOOK_TOKEN: a merged expose waits for cloudflared, and the signed Flux event creates the CNAME', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const env = serviceEnvironment(world, { FLUX_WEBHOOK_TOKEN: FLUX_TOKEN });
  const logs = captureLogs();
  const service = await createService(
    loadConfig(env, { slack: false, github: true, cloudflare: true }),
    logs.logger,
  );
  const { url } = await service.start({ port: 0, host: '127.0.0.1' });
  t.after(() => service.stop());
  // The first housekeeping round runs at start; its DNS convergence must not be mistaken for the Flux path.
  await eventually(() => logs.text.includes('"msg":"DNS reconciled"'), 'the first housekeeping round');

  const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
  const { mergeSha } = await world.git.mergePr({
    number: exposed.pr.number,
    expectedHeadSha: exposed.pr.headSha,
    approver: BOB,
  });
  const body = mergedPullRequestDelivery(await world.git.getPr(exposed.pr.number), mergeSha);
  const merged = await deliverGitHub(url, body, 'd-1');
  assert.equal(merged.status, 202);
  await eventually(() => logs.text.includes('"outcome":"awaiting-tunnel"'), 'the merged event handled');
  assert.deepEqual(world.cloudflare.records(), [], 'no DNS before cloudflared runs');
  await world.fluxApplies(mergeSha);

  const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` });
  const unsigned = await fetch(`${url}/webhooks/flux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: event,
  });
  assert.equal(unsigned.status, 401);
  const signed = await fetch(`${url}/webhooks/flux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': fluxSignature(FLUX_TOKEN, event) },
    body: event,
  });
  assert.equal(signed.status, 202);
  await eventually(() => world.cloudflare.records().length === 1, 'the CNAME');
  assert.equal(world.cloudflare.records()[0]!.name, 'linkding.example.com');
  await eventually(() => logs.text.includes('Flux applied tunnelbot pull requests'), 'the outcome logged');
  assert.match(
    logs.text,
    new RegExp(`"prs":\\[${exposed.pr.number}\\].*Flux applied tunnelbot pull requests`),
  );
  assert.ok(!logs.text.includes(FLUX_TOKEN), 'the Flux token never reaches the logs');
});

test('serve without FLUX_WEBHOOK_TOKEN has no Flux route', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const service = await createService(
    loadConfig(serviceEnvironment(world), { slack: false, github: true, cloudflare: true }),
    captureLogs().logger,
  );
  const { url } = await service.start({ port: 0, host: '127.0.0.1' });
  t.after(() => service.stop());
  const response = await fetch(`${url}/webhooks/flux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(response.status, 404);
});
