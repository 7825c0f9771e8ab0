/**
 * Webhook throughput: requests per second through tunnelbot's Flux and GitHub routes as a ratio to a bare fastify
 * route doing the same HMAC check over the raw body, all on loopback with real sockets, each server logging at info
 * with pino to a destination that drops the lines (what is measured is producing them, not a disk). The bare route
 * keeps fastify's default request logging, as an app that never thought about it would. Goal: a ratio of 0.8 or
 * more.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { renderPrBody } from '../src/core/pr-metadata.js';
import { createLogger } from '../src/log.js';
import { fluxWebhook } from '../src/transports/http/flux-webhook.js';
import { githubWebhook } from '../src/transports/http/github-webhook.js';
import { createHttpServer } from '../src/transports/http/server.js';
import { fluxVector } from '../test/helpers/flux.js';
import { metadataFor } from '../test/helpers/github.js';
import { recordResults } from './results.js';

const KEY = 'bench-webhook-key-0123456789abcdef';
const REQUESTS = 4_000;
const CONCURRENCY = 16;
const ROUNDS = 3;
const GOAL = 0.8;

const nullLogger = () => createLogger({ level: 'info' }, { write: () => {} });

function sign(body: string): string {
  return `sha256=${createHmac('sha256', KEY).update(body).digest('hex')}`;
}

function githubBody(): string {
  return JSON.stringify({
    action: 'closed',
    number: 7,
    pull_request: {
      number: 7,
      state: 'closed',
      body: renderPrBody('Expose linkding', metadataFor('linkding')),
      merged: true,
      merge_commit_sha: 'a'.repeat(40),
      head: { ref: 'tunnelbot/expose-home-linkding', sha: 'b'.repeat(40) },
      base: { ref: 'main', sha: 'c'.repeat(40) },
    },
    repository: { full_name: 'acme/gitops' },
    sender: { login: 'maintainer' },
  });
}

/** The comparison: a fastify route that keeps the raw body and checks the HMAC, nothing else. */
async function bareServer(path: string, header: string): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: nullLogger() as FastifyBaseLogger });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.post(path, async (req, reply) => {
    const expected = Buffer.from(sign((req.body as Buffer).toString('utf8')));
    const given = Buffer.from(String(req.headers[header] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send();
    return reply.code(202).send({ status: 'accepted' });
  });
  return app;
}

async function tunnelbotServer(route: 'flux' | 'github'): Promise<FastifyInstance> {
  const app = createHttpServer({ logger: nullLogger() });
  if (route === 'flux') await app.register(fluxWebhook, { token: KEY, onFluxEvent: async () => {} });
  else await app.register(githubWebhook, { secret: KEY, onPullRequestEvent: async () => {} });
  return app;
}

/** Requests per second for `REQUESTS` posts, `CONCURRENCY` at a time over keep-alive connections. */
async function throughput(
  app: FastifyInstance,
  path: string,
  body: string,
  headers: () => Record<string, string>,
) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: headers() },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 202
              ? resolve()
              : reject(new Error(`${path}: HTTP ${response.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let sent = 0;
  const worker = async () => {
    while (sent < REQUESTS) {
      sent++;
      await post();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  await app.close();
  return REQUESTS / seconds;
}

async function compare(route: 'flux' | 'github') {
  const path = `/webhooks/${route}`;
  const body = route === 'flux' ? fluxVector('real-nc-forwarder-test-body.json') : githubBody();
  const signature = sign(body);
  const headers =
    route === 'flux'
      ? () => ({
          'content-type': 'application/json',
          'x-signature': signature,
          'gotk-component': 'kustomize-controller',
        })
      : () => ({
          'content-type': 'application/json',
          'x-hub-signature-256': signature,
          'x-github-event': 'pull_request',
          'x-github-delivery': randomUUID(),
        });
  const header = route === 'flux' ? 'x-signature' : 'x-hub-signature-256';
  // Warm both up once (JIT, the first connections), then alternate so drift hits both alike.
  await throughput(await bareServer(path, header), path, body, headers);
  await throughput(await tunnelbotServer(route), path, body, headers);
  const bare: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await throughput(await bareServer(path, header), path, body, headers));
    ours.push(await throughput(await tunnelbotServer(route), path, body, headers));
  }
  const best = (values: number[]) => Math.max(...values);
  const ratio = best(ours) / best(bare);
  console.log(
    `${route}: ${best(ours).toFixed(0)} req/s through tunnelbot's route, ${best(bare).toFixed(0)} req/s bare: ` +
      `ratio ${ratio.toFixed(2)} (goal ≥ ${GOAL}: ${ratio >= GOAL ? 'met' : 'MISSED'}; ${body.length}-byte body, best of ${ROUNDS} rounds of ${REQUESTS})`,
  );
  return {
    requestsPerSecond: Math.round(best(ours)),
    bareRequestsPerSecond: Math.round(best(bare)),
    ratio: Number(ratio.toFixed(2)),
    bodyBytes: body.length,
  };
}

export async function run(): Promise<void> {
  const flux = await compare('flux');
  const github = await compare('github');
  await recordResults('webhooks', {
    goal: `ratio >= ${GOAL}`,
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    flux,
    github,
  });
}
