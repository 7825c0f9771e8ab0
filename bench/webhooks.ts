/**
 * Webhook throughput: requests per second through tunnelbot's Flux, GitHub and Slack HTTP routes as a ratio to a
 * bare fastify route doing the same HMAC check over the raw body, on loopback with real sockets, every server
 * logging at info with pino to a destination that drops the lines (what is measured is producing them, not a disk).
 * The bare route keeps fastify's default request logging, as an app that never thought about it would. Goal: a
 * ratio of 0.8 or more.
 *
 * The Flux and GitHub routes run as the service registers them (their plugin on the service's HTTP server, with a
 * handler that takes the event); Slack's is the whole sandbox service in HTTP mode answering `/expose help`, which
 * goes through Bolt to tunnelbot's listener and back as the ack. Bolt's own HTTPReceiver with a listener that only
 * acks is measured beside it: what any Bolt app pays.
 *
 * This machine's speed drifts by a quarter from one second to the next (a shared VM), more than the differences
 * measured. So the servers take turns in short runs, the order flipping every round, and the figure is the median
 * of each round's ratio: a pair of runs a second apart sees the same machine.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HTTPReceiver } from '@slack/bolt';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { renderPrBody } from '../src/core/pr-metadata.js';
import { createLogger } from '../src/log.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { FakeSlack } from '../src/sandbox/slack/index.js';
import { fluxWebhook } from '../src/transports/http/flux-webhook.js';
import { githubWebhook } from '../src/transports/http/github-webhook.js';
import { createHttpServer } from '../src/transports/http/server.js';
import { SLACK_EVENTS_PATH } from '../src/transports/slack/http-receiver.js';
import { fluxVector } from '../test/helpers/flux.js';
import { metadataFor } from '../test/helpers/github.js';
import { SLACK_APP_TOKEN as APP_TOKEN, SLACK_BOT_TOKEN as BOT_TOKEN } from '../test/helpers/slack.js';
import { bareBoltApp, quietBoltLogger } from './bare-bolt.js';
import { recordResults } from './results.js';
import { median } from './stats.js';

const KEY = 'bench-webhook-key-0123456789abcdef';
const SLACK_SIGNING_SECRET = 'bench-slack-signing-secret-0123456789';
const REQUESTS = 2_000;
const CONCURRENCY = 16;
const ROUNDS = 9;
const GOAL = 0.8;

const nullLogger = () => createLogger({ level: 'info' }, { write: () => {} });

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** What a sender posts to one route, request after request. */
interface Sender {
  path: string;
  status: number;
  next: () => Delivery;
}

interface Listening {
  port: number;
  close: () => Promise<void>;
}

function hmacHex(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
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

function fluxSender(): Sender {
  const body = fluxVector('real-nc-forwarder-test-body.json');
  const headers = {
    'content-type': 'application/json',
    'x-signature': `sha256=${hmacHex(KEY, body)}`,
    'gotk-component': 'kustomize-controller',
  };
  return { path: '/webhooks/flux', status: 202, next: () => ({ body, headers }) };
}

function githubSender(): Sender {
  const body = githubBody();
  const signature = `sha256=${hmacHex(KEY, body)}`;
  return {
    path: '/webhooks/github',
    status: 202,
    next: () => ({
      body,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signature,
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
      },
    }),
  };
}

/** `/expose help` as the Slack fake signs it: a new trigger each time, so no two requests share a signature. */
function slackSender(slack: FakeSlack): Sender {
  let n = 0;
  return {
    path: SLACK_EVENTS_PATH,
    status: 200,
    next: () => {
      n += 1;
      const { body, headers } = slack.prepareSlashCommand({ text: 'help', user_id: `U0BENCH${n % 50}` });
      return { body, headers };
    },
  };
}

async function listen(app: FastifyInstance): Promise<Listening> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

/** The comparison: a fastify route that keeps the raw body and checks the HMAC, nothing else. */
async function bareServer(route: 'flux' | 'github' | 'slack', path: string): Promise<Listening> {
  const app = Fastify({ loggerInstance: nullLogger() as FastifyBaseLogger });
  for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  }
  const header = { flux: 'x-signature', github: 'x-hub-signature-256', slack: 'x-slack-signature' }[route];
  app.post(path, async (req, reply) => {
    const body = (req.body as Buffer).toString('utf8');
    const expected = Buffer.from(
      route === 'slack'
        ? `v0=${hmacHex(SLACK_SIGNING_SECRET, `v0:${String(req.headers['x-slack-request-timestamp'])}:${body}`)}`
        : `sha256=${hmacHex(KEY, body)}`,
    );
    const given = Buffer.from(String(req.headers[header] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send();
    return route === 'slack'
      ? reply.code(200).send({ text: 'ok' })
      : reply.code(202).send({ status: 'accepted' });
  });
  return listen(app);
}

async function tunnelbotRoute(route: 'flux' | 'github'): Promise<Listening> {
  const app = createHttpServer({ logger: nullLogger() });
  if (route === 'flux') await app.register(fluxWebhook, { token: KEY, onFluxEvent: async () => {} });
  else await app.register(githubWebhook, { secret: KEY, onPullRequestEvent: async () => {} });
  return listen(app);
}

/** The sandbox service in Slack's HTTP mode (Bolt, tunnelbot's listeners, the request service over the fakes). */
async function tunnelbotSlack(apiUrl: string): Promise<Listening> {
  const sandbox = await startSandbox({
    slack: { mode: 'http', botToken: BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, apiUrl },
    logger: nullLogger(),
    port: 0,
    slackTuning: { retries: 0 },
  });
  return { port: Number(new URL(sandbox.url).port), close: () => sandbox.stop() };
}

/** Bolt's own HTTPReceiver and a listener that only acks: the floor of any Bolt app in HTTP mode. */
async function bareBolt(): Promise<Listening> {
  const app = bareBoltApp(
    new HTTPReceiver({
      signingSecret: SLACK_SIGNING_SECRET,
      endpoints: SLACK_EVENTS_PATH,
      logger: quietBoltLogger,
    }),
  );
  const server = (await app.start(0)) as { address(): AddressInfo };
  return { port: server.address().port, close: () => app.stop() as Promise<void> };
}

/** Requests per second for `REQUESTS` posts, `CONCURRENCY` at a time over keep-alive connections. */
async function throughput(target: Listening, sender: Sender): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const { body, headers } = sender.next();
      const req = request(
        { host: '127.0.0.1', port: target.port, path: sender.path, method: 'POST', agent, headers },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === sender.status
              ? resolve()
              : reject(new Error(`${sender.path}: HTTP ${response.statusCode}`)),
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
  return REQUESTS / seconds;
}

/** Rounds of one run of each server in turn; per server its median rate and, per other server, the median ratio. */
async function turns(sender: Sender, servers: Listening[]): Promise<{ rates: number[]; ratios: number[][] }> {
  for (const server of servers) await throughput(server, sender); // warm-up: JIT, the first connections
  const runs: number[][] = servers.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const order = servers.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) runs[i]!.push(await throughput(servers[i]!, sender));
  }
  return {
    rates: runs.map(median),
    ratios: runs.map((mine) =>
      runs.map((theirs) => median(mine.map((rate, round) => rate / theirs[round]!))),
    ),
  };
}

/** Prints tunnelbot's route (server 0) against the bare route (server 1) and returns those figures. */
function routeFigures(route: string, sender: Sender, rates: number[], ratios: number[][]) {
  const bodyBytes = Buffer.byteLength(sender.next().body);
  const ratio = ratios[0]![1]!;
  console.log(
    `${route}: ${rates[0]!.toFixed(0)} req/s through tunnelbot's route, ${rates[1]!.toFixed(0)} req/s bare: ratio ${ratio.toFixed(2)} ` +
      `(goal ≥ ${GOAL}: ${ratio >= GOAL ? 'met' : 'MISSED'}; ${bodyBytes}-byte body, median of ${ROUNDS} rounds of ${REQUESTS})`,
  );
  return {
    requestsPerSecond: Math.round(rates[0]!),
    bareRequestsPerSecond: Math.round(rates[1]!),
    ratio: Number(ratio.toFixed(2)),
    bodyBytes,
  };
}

async function compare(route: 'flux' | 'github') {
  const sender = route === 'flux' ? fluxSender() : githubSender();
  const bare = await bareServer(route, sender.path);
  const ours = await tunnelbotRoute(route);
  try {
    const { rates, ratios } = await turns(sender, [ours, bare]);
    return routeFigures(route, sender, rates, ratios);
  } finally {
    await ours.close();
    await bare.close();
  }
}

async function compareSlack() {
  // One Slack fake: the Web API of tunnelbot's service, and the signer of every server's requests. Its delivery URL
  // is not used: each server listens on a port of its own, and the sender posts to it itself.
  const slack = new FakeSlack({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    delivery: {
      mode: 'http',
      url: `http://127.0.0.1${SLACK_EVENTS_PATH}`,
      signingSecret: SLACK_SIGNING_SECRET,
    },
  });
  const { apiUrl } = await slack.start();
  const sender = slackSender(slack);
  const bare = await bareServer('slack', sender.path);
  const bolt = await bareBolt();
  const ours = await tunnelbotSlack(apiUrl);
  try {
    const { rates, ratios } = await turns(sender, [ours, bare, bolt]);
    const figures = routeFigures('slack', sender, rates, ratios);
    console.log(
      `slack: Bolt's own HTTPReceiver acking at once: ${rates[2]!.toFixed(0)} req/s, ratio ${ratios[2]![1]!.toFixed(2)} to the bare route; ` +
        `tunnelbot is ${ratios[0]![2]!.toFixed(2)} of it`,
    );
    const { bodyBytes, ...rest } = figures;
    return {
      ...rest,
      bareBoltRequestsPerSecond: Math.round(rates[2]!),
      bareBoltRatio: Number(ratios[2]![1]!.toFixed(2)),
      ratioToBareBolt: Number(ratios[0]![2]!.toFixed(2)),
      bodyBytes,
    };
  } finally {
    await ours.close();
    await bolt.close();
    await bare.close();
    await slack.stop();
  }
}

export async function run(): Promise<void> {
  const flux = await compare('flux');
  const github = await compare('github');
  const slack = await compareSlack();
  await recordResults('webhooks', {
    goal: `ratio >= ${GOAL}`,
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    figure: 'median over rounds of the ratio of two runs a second apart',
    flux,
    github,
    slack,
  });
}
