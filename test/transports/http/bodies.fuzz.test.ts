import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { signSlackRequest } from '../../../src/sandbox/slack/index.js';
import { fluxSignature, kustomizationEvent } from '../../helpers/flux.js';
import { FUZZ_SEED, hostileString, sample } from '../../helpers/fuzz.js';
import { brokenJson, mutated } from '../../helpers/mutate.js';
import { WEBHOOK_SECRET } from '../../helpers/service.js';
import { FLUX_TOKEN, SLACK_SIGNING_SECRET, startSlackService } from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';
import { figure } from '../../helpers/figures.js';

/**
 * 1,000 malformed, oversized or mis-typed bodies per inbound route, each signed correctly so it reaches parsing, at
 * `tunnelbot serve` as `createService` builds it (Slack in HTTP mode, the GitHub and Flux webhooks) on the loopback
 * fakes. Never a 5xx; a 4xx says what is wrong in a short message; no unhandled rejection; /healthz still 200.
 */

interface Case {
  readonly contentType: string | undefined;
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Mostly the right type; sometimes what a misconfigured sender or a proxy puts there. */
const contentType = (right: string) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(right) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        '',
        `${right}; charset=utf-8`,
        right.toUpperCase(),
        JSON_TYPE === right ? FORM : JSON_TYPE,
        'text/plain',
        'multipart/form-data; boundary=x',
        `${right}x`,
        'application/json; charset=utf-16',
      ),
    },
  );

/** Bodies past the route's limit, just past and far past. */
const oversized = (limit: number) =>
  fc
    .tuple(fc.integer({ min: limit + 1, max: 2 * limit }), fc.constantFrom(0x7b, 0x20, 0x61, 0x25))
    .map(([size, byte]) => Buffer.alloc(size, byte));

const githubPayload = {
  action: 'closed',
  number: 7,
  pull_request: {
    number: 7,
    state: 'closed',
    // Not a tunnelbot block: an accepted delivery is read and ignored, not handed to a workflow.
    body: 'Bump podinfo to 6.7.1',
    merged: true,
    merge_commit_sha: 'a'.repeat(40),
    head: { ref: 'tunnelbot/expose-home-linkding', sha: 'b'.repeat(40) },
    base: { ref: 'main', sha: 'c'.repeat(40) },
  },
  review: { state: 'approved', user: { login: 'bob' } },
  repository: { full_name: 'acme/gitops' },
  sender: { login: 'maintainer' },
};

const fluxPayload = JSON.parse(
  kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${'d'.repeat(40)}` }),
) as unknown;

/** Stands for the fake Slack's response_url in generated bodies; replaced before signing, once the fake runs. */
const RESPOND_URL = 'http://respond.invalid/respond';

const slackCommand = {
  token: 'legacy',
  team_id: 'T0FAKE0001',
  team_domain: 'fake',
  channel_id: 'C0FAKECHN1',
  channel_name: 'ops',
  // Mallory is unknown to the policy: an accepted command is refused before it reaches GitHub or Cloudflare.
  user_id: 'U0MALLORY',
  user_name: 'mallory',
  command: '/expose',
  text: 'linkding 9090',
  api_app_id: 'A0FAKE0001',
  is_enterprise_install: 'false',
  response_url: RESPOND_URL,
  trigger_id: 'trigger-1',
};

const slackInteractions: unknown[] = [
  {
    type: 'block_actions',
    user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0FAKE0001' },
    api_app_id: 'A0FAKE0001',
    token: 'legacy',
    container: { type: 'message', message_ts: '1.000100', channel_id: 'C0FAKECHN1', is_ephemeral: false },
    trigger_id: 'trigger-2',
    team: { id: 'T0FAKE0001', domain: 'fake' },
    channel: { id: 'C0FAKECHN1', name: 'ops' },
    response_url: RESPOND_URL,
    actions: [
      {
        type: 'button',
        action_id: 'tunnelbot_approve',
        block_id: 'tunnelbot_actions',
        value: JSON.stringify({ pr: 1, sha: 'a'.repeat(40) }),
        action_ts: '1.2',
      },
    ],
  },
  {
    type: 'view_submission',
    team: { id: 'T0FAKE0001', domain: 'fake' },
    user: { id: 'U0MALLORY', username: 'mallory', name: 'mallory', team_id: 'T0FAKE0001' },
    api_app_id: 'A0FAKE0001',
    token: 'legacy',
    trigger_id: 'trigger-3',
    view: {
      id: 'V1',
      type: 'modal',
      callback_id: 'tunnelbot_expose_form',
      private_metadata: '{"channel":"C0FAKECHN1"}',
      state: {
        values: {
          app: { value: { type: 'plain_text_input', value: 'linkding' } },
          port: { value: { type: 'plain_text_input', value: '9090' } },
        },
      },
    },
    response_urls: [],
  },
  {
    type: 'shortcut',
    callback_id: 'nope',
    trigger_id: 'trigger-4',
    user: { id: 'U0ALICE' },
    team: { id: 'T0FAKE0001' },
  },
  {
    type: 'event_callback',
    team_id: 'T0FAKE0001',
    event: { type: 'app_mention', user: 'U0ALICE', text: 'hi' },
  },
  { type: 'url_verification', challenge: 'c-1', token: 'x' },
];

/** A JSON route's bodies: a mutated real payload, broken JSON, a non-object, or too big. */
const jsonRouteCases = (payload: unknown, limit: number): fc.Arbitrary<Case> =>
  fc.record({
    contentType: contentType(JSON_TYPE),
    body: fc.oneof(
      { weight: 30, arbitrary: mutated(payload).map((value) => JSON.stringify(value) ?? '') },
      { weight: 12, arbitrary: brokenJson },
      { weight: 1, arbitrary: oversized(limit) },
    ),
  });

const githubCases: fc.Arbitrary<Case> = fc
  .tuple(
    jsonRouteCases(githubPayload, 2 * 1024 * 1024),
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('pull_request', 'pull_request_review') },
      { weight: 1, arbitrary: fc.constantFrom('ping', 'push', 'issues', '') },
      { weight: 1, arbitrary: hostileString.filter((name) => /^[\x21-\x7e]*$/.test(name)) },
    ),
  )
  .map(([base, event]) => ({ ...base, headers: { 'x-github-event': event } }));

const fluxCases = jsonRouteCases(fluxPayload, 3 * 1024 * 1024);

/** Slack's two encodings: form fields (a command, or `payload=` JSON for interactivity) and JSON (events). */
const slackCases: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      contentType: contentType(FORM),
      body: mutated(slackCommand).map((fields) =>
        new URLSearchParams(
          Object.entries(fields as Record<string, unknown>).map(([key, value]): [string, string] => [
            key,
            typeof value === 'string' ? value : JSON.stringify(value),
          ]),
        ).toString(),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      contentType: contentType(FORM),
      body: fc
        .constantFrom(...slackInteractions)
        .chain(mutated)
        .map((payload) => new URLSearchParams({ payload: JSON.stringify(payload) ?? '' }).toString()),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      contentType: contentType(FORM),
      body: fc.oneof(
        fc.constantFrom(
          '',
          '%',
          '%zz',
          'payload=',
          'payload=%7B',
          'payload=null',
          'payload=[1]',
          '=&=&&',
          'a',
        ),
        brokenJson.map((json) => `payload=${encodeURIComponent(json)}`),
        fc.string({ unit: 'binary', maxLength: 64 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      contentType: contentType(JSON_TYPE),
      body: fc.oneof(
        fc
          .constantFrom(...slackInteractions)
          .chain(mutated)
          .map((value) => JSON.stringify(value) ?? ''),
        brokenJson,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ contentType: fc.constant(FORM), body: oversized(1024 * 1024) }) },
);

function signFor(route: string, body: string | Buffer, index: number): Record<string, string> {
  if (route === '/webhooks/github') {
    const digest = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
    return { 'x-hub-signature-256': `sha256=${digest}`, 'x-github-delivery': `fuzz-${index}` };
  }
  if (route === '/webhooks/flux') return { 'x-signature': fluxSignature(FLUX_TOKEN, body) };
  // A different timestamp per case keeps two equal bodies from looking like a replay.
  const timestamp = Math.floor(Date.now() / 1000) - (index % 200);
  return signSlackRequest({ signingSecret: SLACK_SIGNING_SECRET, body: body.toString(), timestamp });
}

function withRespondUrl(item: Case, url: string): Case {
  if (typeof item.body !== 'string') return item;
  const body = item.body
    .replaceAll(RESPOND_URL, url)
    .replaceAll(encodeURIComponent(RESPOND_URL), encodeURIComponent(url));
  return { ...item, body };
}

/** A 4xx that says what is wrong: short, one line, no stack, not a bare status text. */
function assertSpecific4xx(response: LightMyRequestResponse, replay: string): string {
  let parsed: { error?: unknown; message?: unknown };
  try {
    parsed = response.json();
  } catch {
    assert.fail(`${replay}: a ${response.statusCode} without a JSON body: ${response.body.slice(0, 200)}`);
  }
  const message = typeof parsed.message === 'string' ? parsed.message : parsed.error;
  assert.equal(typeof message, 'string', `${replay}: a message`);
  const text = message as string;
  assert.ok(
    text.length > 0 && text.length <= 300,
    `${replay}: a short message, got ${text.length} characters: ${text}`,
  );
  assert.doesNotMatch(text, /\n\s+at |internal server error|^Bad Request$|^Unsupported Media Type$/i, replay);
  return text;
}

test('fuzz: 1,000 malformed, oversized or mis-typed signed bodies per route: never a 5xx, every 4xx specific', async (t) => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.after(() => process.off('unhandledRejection', onRejection));
  const booting = Date.now();
  const world = await startWorld();
  t.after(async () => {
    const closing = Date.now();
    await world.close();
    t.diagnostic(`world closed in ${Date.now() - closing} ms`);
  });
  const bot = await startSlackService(world, { mode: 'http' });
  let closed = false;
  t.after(async () => {
    if (!closed) await bot.close();
  });
  const server = bot.service.server;
  t.diagnostic(`service up in ${Date.now() - booting} ms`);

  const routes = [
    { route: '/webhooks/github', cases: githubCases, seed: FUZZ_SEED + 10 },
    { route: '/webhooks/flux', cases: fluxCases, seed: FUZZ_SEED + 11 },
    { route: '/slack/events', cases: slackCases, seed: FUZZ_SEED + 12 },
  ];
  for (const { route, cases, seed } of routes) {
    const statuses = new Map<number, number>();
    const messages = new Set<string>();
    // Equal bodies would be equal signed requests, which the Slack route rightly refuses as replays.
    const unique = new Map(
      sample(cases, 1_300, seed).map((item) => [
        `${item.contentType} ${item.body.toString()} ${JSON.stringify(item.headers)}`,
        item,
      ]),
    );
    const all = [...unique.values()].slice(0, 1_000);
    assert.equal(all.length, 1_000);
    const started = Date.now();
    // Slack answers 404 only after 3 s without an ack, so the cases go in concurrently, a batch at a time.
    for (let start = 0; start < all.length; start += 250) {
      await Promise.all(
        all.slice(start, start + 250).map(async (generated, offset) => {
          const index = start + offset;
          const item = withRespondUrl(generated, bot.slack.responseUrl(`fuzz-${index}`));
          const replay = `seed ${seed}, ${route} case ${index} (${item.contentType}, ${item.body.length} bytes: ${JSON.stringify(item.body.toString().slice(0, 120))})`;
          const response = await server.inject({
            method: 'POST',
            url: route,
            payload: item.body,
            headers: {
              ...(item.contentType !== undefined && { 'content-type': item.contentType }),
              ...item.headers,
              ...signFor(route, item.body, index),
            },
          });
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          assert.ok(
            response.statusCode < 500,
            `${replay}: ${response.statusCode} ${response.body.slice(0, 300)}`,
          );
          if (response.statusCode >= 400) messages.add(assertSpecific4xx(response, replay));
          else assert.ok(response.statusCode >= 200 && response.statusCode < 300, replay);
        }),
      );
    }
    const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
    figure(t, `body fuzz: signed malformed bodies, ${route}`, {
      bodies: all.length,
      statuses: counts.join(', '),
    });
    t.diagnostic(
      `seed ${seed}: ${route}: ${all.length} bodies in ${Date.now() - started} ms, ${counts.join(', ')}; ${messages.size} distinct 4xx messages`,
    );
    const accepted = [...statuses].filter(([status]) => status < 300).reduce((sum, [, n]) => sum + n, 0);
    assert.ok(
      accepted > 0 && accepted < all.length,
      `${route}: both accepted and refused bodies (${accepted})`,
    );
  }

  const health = await server.inject({ method: 'GET', url: '/healthz' });
  assert.equal(health.statusCode, 200, 'the server is still healthy');
  const closing = Date.now();
  await bot.close();
  closed = true;
  t.diagnostic(`closed in ${Date.now() - closing} ms`);
  assert.doesNotMatch(bot.logs(), /"msg":"request errored"/, 'no route threw');
  assert.deepEqual(rejections, [], 'no unhandled rejection');
});
