/**
 * The Flux webhook: what one event costs in the server (signature check over the raw body, parse, classify, 202),
 * for the real 295-byte vector and a 1 MiB event, and how many upstream calls a burst of repeated events makes:
 * notification-controller sends the same revision again for every Alert and every interval's no-op success.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyFluxSignature } from '../src/core/webhook-signature.js';
import { createLogger } from '../src/log.js';
import { fluxWebhook } from '../src/transports/http/flux-webhook.js';
import { createHttpServer } from '../src/transports/http/server.js';
import { expose } from '../src/workflows/expose.js';
import { FluxEventMemory, onFluxEvent } from '../src/workflows/flux-events.js';
import { VECTORS_DIR } from '../test/helpers/vectors.js';
import { ALICE, BOB, startWorld } from '../test/helpers/world.js';

const TOKEN = '7152fed34dd6149a7c75a276c510da27cb6f82b0';
const RUNS = 400;
const REPEATS = 50;

function sign(body: string): string {
  return `sha256=${createHmac('sha256', TOKEN).update(body).digest('hex')}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function kustomizationEvent(reason: string, revision: string, message: string): string {
  return JSON.stringify({
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    severity: 'info',
    timestamp: '2026-08-10T09:14:31Z',
    message,
    reason,
    metadata: { revision },
    reportingController: 'kustomize-controller',
  });
}

async function routeCost(): Promise<void> {
  const vector = readFileSync(join(VECTORS_DIR, 'flux-events/real-nc-forwarder-test-body.json'), 'utf8');
  const large = kustomizationEvent('Progressing', `main@sha1:${'a'.repeat(40)}`, 'x'.repeat(1024 * 1024));
  const app = createHttpServer({ logger: createLogger({ level: 'silent' }) });
  await app.register(fluxWebhook, { token: TOKEN, onFluxEvent: async () => {} });
  await app.ready();
  for (const [name, body] of [
    ['295-byte vector', vector],
    ['1 MiB event', large],
  ] as const) {
    const signature = sign(body);
    const raw = Buffer.from(body);
    const route: number[] = [];
    const verify: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let start = performance.now();
      const response = await app.inject({
        method: 'POST',
        url: '/webhooks/flux',
        headers: { 'content-type': 'application/json', 'x-signature': signature },
        payload: body,
      });
      route.push(performance.now() - start);
      if (response.statusCode !== 202) throw new Error(`${name}: HTTP ${response.statusCode}`);
      start = performance.now();
      verifyFluxSignature(TOKEN, raw, signature);
      verify.push(performance.now() - start);
    }
    console.log(
      `${name}: ${median(route).toFixed(3)} ms per event through the route (median of ${RUNS}), ` +
        `of which ${median(verify).toFixed(3)} ms verifying the HMAC`,
    );
  }
  await app.close();
}

async function repeatedEvents(cloudflaredRuns: boolean): Promise<void> {
  let githubRequests = 0;
  const world = await startWorld('flux-example', {
    beforeGitHub: async () => {
      githubRequests++;
    },
  });
  try {
    const exposed = await expose({ app: 'linkding', port: 9090, requester: ALICE }, world.context);
    const { mergeSha } = await world.git.mergePr({
      number: exposed.pr.number,
      expectedHeadSha: exposed.pr.headSha,
      approver: BOB,
    });
    const memory = new FluxEventMemory();
    // Flux applied the merge; cloudflared connects, or (a crash-looping pod) never does.
    if (cloudflaredRuns) await world.fluxApplies(mergeSha);
    world.cloudflare.resetRequests();
    githubRequests = 0;
    const event = (index: number) =>
      JSON.parse(
        kustomizationEvent(
          'ReconciliationSucceeded',
          `main@sha1:${mergeSha}`,
          `Reconciliation finished in ${index / 10}s, next run in 10m0s`,
        ),
      );
    const start = performance.now();
    let handled = 0;
    for (let index = 0; index < REPEATS; index++) {
      const outcome = await onFluxEvent(event(index), world.context, memory);
      if (outcome.kind === 'reconciled') handled++;
    }
    const elapsed = performance.now() - start;
    console.log(
      `${REPEATS} events for one revision, cloudflared ${cloudflaredRuns ? 'running' : 'never connecting'}: ${handled} handled, ${world.cloudflare.requests.length} Cloudflare requests, ` +
        `${githubRequests} GitHub requests, ` +
        `${elapsed.toFixed(0)} ms in all; CNAMEs: ${world.cloudflare.records().length}`,
    );
  } finally {
    await world.close();
  }
}

export async function run(): Promise<void> {
  await routeCost();
  await repeatedEvents(true);
  await repeatedEvents(false);
}
