import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseFluxEvent } from '../../src/core/flux-event.js';
import { TunnelbotError } from '../../src/errors.js';
import { fluxWebhook } from '../../src/transports/http/flux-webhook.js';
import { createHttpServer } from '../../src/transports/http/server.js';
import { expose, type ExposeInput } from '../../src/workflows/expose.js';
import {
  FAILURE_MESSAGE_LIMIT,
  RECHECK_INTERVAL_MS,
  FluxEventMemory,
  onFluxEvent,
  type FluxEventOutcome,
} from '../../src/workflows/flux-events.js';
import { approve } from '../../src/workflows/approve.js';
import { purgeUnexposedTunnel } from '../../src/workflows/pull-request-events.js';
import { unexpose } from '../../src/workflows/unexpose.js';
import { fluxSignature, fluxVector, kustomizationEvent } from '../helpers/flux.js';
import { ALICE, BOB, startWorld, type World } from '../helpers/world.js';

const FLUX_TOKEN = 'flux-hmac-token-0123456789abcdef\n';

/** The service's Flux route in front of the world's fakes, with the outcomes collected in order. */
async function fluxEndpoint(world: World, memory: FluxEventMemory) {
  const outcomes: FluxEventOutcome[] = [];
  const waiters: (() => void)[] = [];
  const app: FastifyInstance = createHttpServer({ logger: world.context.logger });
  await app.register(fluxWebhook, {
    token: FLUX_TOKEN,
    onFluxEvent: async (event, log) => {
      outcomes.push(await onFluxEvent(event, { ...world.context, logger: log }, memory));
      waiters.shift()?.();
    },
  });
  await app.ready();
  return {
    app,
    /** Posts a signed event and waits for the workflow to finish with it. */
    async deliver(body: string): Promise<FluxEventOutcome> {
      const done = new Promise<void>((resolve) => waiters.push(resolve));
      const response = await app.inject({
        method: 'POST',
        url: '/webhooks/flux',
        headers: { 'content-type': 'application/json', 'x-signature': fluxSignature(FLUX_TOKEN, body) },
        payload: body,
      });
      assert.equal(response.statusCode, 202, response.body);
      await done;
      return outcomes.at(-1)!;
    },
  };
}

/** Expose, merge as Bob, and hand the merge to the PR workflow with Flux notifications configured. */
async function exposeAndMerge(world: World, memory: FluxEventMemory, input: Omit<ExposeInput, 'requester'>) {
  const exposed = await expose({ ...input, requester: ALICE }, world.context);
  const { mergeSha, outcome } = await approve(
    { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
    world.context,
  );
  const info = await world.git.getPr(exposed.pr.number);
  assert.deepEqual(outcome, { kind: 'awaiting-tunnel', mergeSha });
  memory.awaitFlux({ number: info.number, mergeSha, metadata: info.metadata! });
  return { exposed, mergeSha, info };
}

test('expose -> merge waits for cloudflared; only the Kustomization applying the environment applies it, the CNAME comes once cloudflared runs; a failure is reported', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const memory = new FluxEventMemory();
  const flux = await fluxEndpoint(world, memory);
  t.after(() => flux.app.close());

  const { exposed, mergeSha, info } = await exposeAndMerge(world, memory, { app: 'linkding', port: 9090 });
  assert.deepEqual(world.cloudflare.records(), [], 'no DNS before Flux has applied the merge');

  // Flux's usual sequence: the new artifact and the change set say nothing about DNS.
  const revision = { revision: `main@sha1:${mergeSha}` };
  const progressing = await flux.deliver(
    kustomizationEvent('Progressing', revision, {
      message: `Deployment/tunnels/cloudflared-linkding created`,
    }),
  );
  assert.equal(progressing.kind, 'ignored');
  assert.deepEqual(world.cloudflare.records(), []);

  // flux-system (spec.path ./clusters/staging) reports within seconds; it does not apply apps/staging/tunnels.
  const early = await flux.deliver(
    kustomizationEvent('ReconciliationSucceeded', revision, { name: 'flux-system' }),
  );
  assert.deepEqual(early, {
    kind: 'reconciled',
    commitSha: mergeSha,
    applied: [],
    live: [],
    dnsConflicts: [],
  });
  assert.deepEqual(world.cloudflare.records(), [], 'no CNAME while cloudflared does not run');

  // apps applies it, but its cloudflared has not connected yet (no health check in the Kustomization).
  const pr = { number: info.number, mergeSha, metadata: info.metadata! };
  const applied = await flux.deliver(kustomizationEvent('ReconciliationSucceeded', revision));
  assert.deepEqual(applied, {
    kind: 'reconciled',
    commitSha: mergeSha,
    applied: [pr],
    live: [],
    dnsConflicts: [],
  });
  assert.deepEqual(world.cloudflare.records(), []);
  assert.deepEqual(memory.waitingForFlux(), [pr], 'applied but not live: it still waits');

  // cloudflared connects; the next success of the same revision is a hint to look again, not a duplicate.
  assert.deepEqual((await world.fluxApplies(mergeSha)).started, [exposed.tunnelId]);
  const reconciled = await flux.deliver(kustomizationEvent('ReconciliationSucceeded', revision));
  assert.deepEqual(reconciled, {
    kind: 'reconciled',
    commitSha: mergeSha,
    applied: [pr],
    live: [pr],
    dnsConflicts: [],
  });
  assert.equal(info.metadata!.hostname, 'linkding.example.com');
  const records = world.cloudflare.records();
  assert.equal(records.length, 1);
  assert.equal(records[0]!.name, 'linkding.example.com');
  assert.equal(records[0]!.content, `${exposed.tunnelId}.cfargotunnel.com`);
  assert.deepEqual(memory.waitingForFlux(), [], 'an applied PR stops waiting');

  // notification-controller retries, a second Alert, the next interval's no-op run: nothing happens again.
  world.cloudflare.resetRequests();
  const duplicate = await flux.deliver(
    kustomizationEvent('ReconciliationSucceeded', revision, { message: 'Reconciliation finished in 0.4s' }),
  );
  assert.deepEqual(duplicate, { kind: 'duplicate', commitSha: mergeSha });
  assert.equal(world.cloudflare.requests.length, 0, 'a duplicate makes no Cloudflare call');
  assert.equal(world.cloudflare.records().length, 1);

  // A failure on the same revision (a later health check) is returned for the PR, its message cut for Slack.
  const longMessage = `health check failed after 5m0.03s: timeout waiting for: [${'Deployment/tunnels/cloudflared-linkding status: InProgress, '.repeat(20)}]`;
  const failedBody = kustomizationEvent('HealthCheckFailed', revision, {
    severity: 'error',
    message: longMessage,
  });
  const failed = await flux.deliver(failedBody);
  assert.equal(failed.kind, 'failed');
  if (failed.kind !== 'failed') return;
  assert.equal(failed.commitSha, mergeSha);
  assert.deepEqual(
    failed.pullRequests.map((pr) => pr.number),
    [info.number],
  );
  assert.equal(failed.failure.reason, 'HealthCheckFailed');
  assert.equal(failed.failure.object, 'Kustomization/flux-system/apps');
  assert.equal(Array.from(failed.failure.message).length, FAILURE_MESSAGE_LIMIT);
  assert.ok(longMessage.startsWith(failed.failure.message.slice(0, -1)));
  assert.deepEqual(await flux.deliver(failedBody), { kind: 'duplicate', commitSha: mergeSha });

  // Unexpose: DNS goes at the merge; the tunnel cloudflared still runs for is kept and reported, never deleted.
  const removal = await unexpose({ app: 'linkding', requester: ALICE }, world.context);
  const { mergeSha: removalMergeSha, outcome: removed } = await approve(
    { prNumber: removal.pr.number, expectedHeadSha: removal.pr.headSha, approver: BOB },
    world.context,
  );
  assert.deepEqual(removed, {
    kind: 'dns-reconciled',
    tunnelDeleted: false,
    runningTunnel: { tunnelId: exposed.tunnelId, activeConnectors: 1 },
  });
  assert.deepEqual(world.cloudflare.records(), []);
  assert.equal(world.cloudflare.tunnels().length, 1);
  assert.match(
    world.logs(),
    new RegExp(
      `"tunnelId":"${exposed.tunnelId}","activeConnectors":1,"msg":"tunnel still has active connectors`,
    ),
  );
  // Flux prunes cloudflared and reports it; the tunnel can go now.
  assert.deepEqual((await world.fluxApplies(removalMergeSha)).stopped, [exposed.tunnelId]);
  const afterRemoval = await flux.deliver(
    kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${removalMergeSha}` }),
  );
  assert.equal(afterRemoval.kind, 'reconciled');
  assert.deepEqual(
    afterRemoval.kind === 'reconciled' && afterRemoval.applied.map((applied) => applied.number),
    [removal.pr.number],
  );
  assert.deepEqual(await purgeUnexposedTunnel(exposed.tunnelId!, world.context, 'unexpose applied'), {
    deleted: true,
  });
  assert.deepEqual(world.cloudflare.records(), []);
  assert.deepEqual(world.cloudflare.tunnels(), []);
  assert.deepEqual(
    await world.contractViolations(),
    [],
    'every GitHub exchange matches the OpenAPI description',
  );
});

test('Flux reports only the newest revision: a PR merged just before it is found by ancestry', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const memory = new FluxEventMemory();
  const flux = await fluxEndpoint(world, memory);
  t.after(() => flux.app.close());

  const first = await exposeAndMerge(world, memory, { app: 'linkding', port: 9090 });
  const second = await exposeAndMerge(world, memory, { app: 'podinfo', port: 9898, namespace: 'podinfo' });
  assert.deepEqual(world.cloudflare.records(), []);
  await world.fluxApplies(second.mergeSha);

  // The ArtifactGenerator layout: the Kustomization revision is a digest, the commit is the origin revision.
  const outcome = await flux.deliver(
    kustomizationEvent('ReconciliationSucceeded', {
      revision: `latest@sha256:${'c'.repeat(64)}`,
      originRevision: `main@sha1:${second.mergeSha}`,
    }),
  );
  assert.equal(outcome.kind, 'reconciled');
  if (outcome.kind !== 'reconciled') return;
  const expected = [
    [first.info.number, 'linkding.example.com'],
    [second.info.number, 'podinfo.example.com'],
  ];
  assert.deepEqual(
    outcome.applied.map((pr) => [pr.number, pr.metadata.hostname]),
    expected,
  );
  assert.deepEqual(
    outcome.live.map((pr) => [pr.number, pr.metadata.hostname]),
    expected,
  );
  assert.deepEqual(
    world.cloudflare
      .records()
      .map((record) => record.name)
      .sort(),
    ['linkding.example.com', 'podinfo.example.com'],
  );
});

test('a Cloudflare failure leaves the revision unhandled for the next event; other revisions and events name no PR', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const memory = new FluxEventMemory();
  const before = (await world.git.defaultBranch()).sha;
  const { mergeSha, info } = await exposeAndMerge(world, memory, { app: 'linkding', port: 9090 });
  const succeeded = (sha: string) =>
    parseFluxEvent(kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${sha}` }));

  memory.awaitFlux({ number: 99, mergeSha: 'f'.repeat(40), metadata: info.metadata! });
  await world.fluxApplies(mergeSha);
  world.cloudflare.injectFault('dns.create', { kind: 'error', status: 500, code: 10000 });
  await assert.rejects(onFluxEvent(succeeded(mergeSha), world.context, memory), (error: unknown) => {
    return error instanceof TunnelbotError && error.kind === 'upstream';
  });
  assert.deepEqual(world.cloudflare.records(), []);
  assert.deepEqual(
    memory.waitingForFlux().map((pr) => pr.number),
    [info.number, 99],
    'the PRs still wait',
  );

  const retried = await onFluxEvent(succeeded(mergeSha.toUpperCase()), world.context, memory);
  assert.equal(retried.kind, 'reconciled');
  assert.deepEqual(retried.kind === 'reconciled' && retried.applied.map((pr) => pr.number), [info.number]);
  assert.deepEqual(retried.kind === 'reconciled' && retried.live.map((pr) => pr.number), [info.number]);
  assert.equal(world.cloudflare.records().length, 1);
  assert.deepEqual(memory.waitingForFlux(), [], 'a merge commit GitHub does not know stops waiting');
  assert.match(world.logs(), /merge commit of a pull request waiting for Flux is gone/);

  const older = await onFluxEvent(succeeded(before), world.context, memory);
  assert.deepEqual(older, { kind: 'reconciled', commitSha: before, applied: [], live: [], dnsConflicts: [] });

  const artifact = parseFluxEvent(
    fluxVector('real-notification-sink-gitrepository-newartifact-2022-legacy-rev.json'),
  );
  assert.equal((await onFluxEvent(artifact, world.context, memory)).kind, 'ignored');
  const noRevision = parseFluxEvent(kustomizationEvent('ReconciliationSucceeded', {}));
  assert.deepEqual(await onFluxEvent(noRevision, world.context, memory), {
    kind: 'ignored',
    reason: 'ReconciliationSucceeded of Kustomization/flux-system/apps names no git commit',
  });
  const digestOnly = parseFluxEvent(
    kustomizationEvent('BuildFailed', { revision: `latest@sha256:${'d'.repeat(64)}` }, { severity: 'error' }),
  );
  assert.equal((await onFluxEvent(digestOnly, world.context, memory)).kind, 'ignored');
});

test('while cloudflared never connects, repeated successes look again at most once per interval', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const memory = new FluxEventMemory();
  let clock = Date.parse('2026-08-10T09:14:31Z');
  const context = { ...world.context, now: () => new Date(clock) };
  const { mergeSha } = await exposeAndMerge(world, memory, { app: 'linkding', port: 9090 });
  const succeeded = parseFluxEvent(
    kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` }),
  );
  assert.equal((await onFluxEvent(succeeded, context, memory)).kind, 'reconciled');
  assert.equal((await onFluxEvent(succeeded, context, memory)).kind, 'reconciled', 'a repeat looks again');
  world.cloudflare.resetRequests();
  for (let repeat = 0; repeat < 5; repeat++) {
    assert.deepEqual(await onFluxEvent(succeeded, context, memory), {
      kind: 'duplicate',
      commitSha: mergeSha,
    });
  }
  assert.equal(world.cloudflare.requests.length, 0, 'a burst of repeats costs nothing');
  clock += RECHECK_INTERVAL_MS;
  await world.fluxApplies(mergeSha);
  const later = await onFluxEvent(succeeded, context, memory);
  assert.deepEqual(later.kind === 'reconciled' && later.live.map((pr) => pr.metadata.hostname), [
    'linkding.example.com',
  ]);
  assert.equal(world.cloudflare.records().length, 1);
});
