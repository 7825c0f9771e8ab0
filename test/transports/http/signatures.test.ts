import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { renderPrBody } from '../../../src/core/pr-metadata.js';
import type { RequestService } from '../../../src/requests/service.js';
import { signSlackRequest } from '../../../src/sandbox/slack/index.js';
import { fluxSignature, kustomizationEvent } from '../../helpers/flux.js';
import { metadataFor } from '../../helpers/github.js';
import { eventually, WEBHOOK_SECRET } from '../../helpers/service.js';
import { CHANNEL, FLUX_TOKEN, SLACK_SIGNING_SECRET, startSlackService } from '../../helpers/slack.js';
import { startWorld } from '../../helpers/world.js';
import { figure } from '../../helpers/figures.js';

/**
 * Every inbound route of `tunnelbot serve` (built by createService, as `serve` builds it, with Slack in HTTP mode,
 * GitHub webhooks and Flux events on) against every way of getting a signature wrong. Each is refused with a 4xx
 * and nothing follows: the request service is not called, GitHub and Cloudflare get no write, Slack no message.
 */

type Attack = 'forged' | 'stale' | 'future' | 'missing' | 'malformed' | 'other body' | 'replayed';

interface Route {
  name: string;
  path: string;
  contentType: string;
  /** A body the service acts on when it is genuinely signed. */
  body(): string;
  sign(body: string, options?: { secret?: string; timestamp?: number }): Record<string, string>;
  malformed: Record<string, string>[];
  /** The request-service method a genuine delivery reaches. */
  reaches: keyof RequestService;
  /** Schemes with a timestamp refuse stale and future requests; the others have none to check. */
  timestamped: boolean;
}

const now = () => Math.floor(Date.now() / 1000);

function slashCommand(text: string): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0FAKE0001',
    team_domain: 'fake',
    channel_id: CHANNEL,
    channel_name: 'tunnels',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command: '/expose',
    text,
    api_app_id: 'A0FAKE0001',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/respond/none',
    trigger_id: `trigger-${randomUUID()}`,
  }).toString();
}

function mergedDelivery(): string {
  return JSON.stringify({
    action: 'closed',
    number: 7,
    pull_request: {
      number: 7,
      state: 'closed',
      body: renderPrBody('Expose linkding', metadataFor('linkding', { environment: 'staging' })),
      merged: true,
      merge_commit_sha: 'a'.repeat(40),
      head: { ref: 'tunnelbot/expose-staging-linkding', sha: 'b'.repeat(40) },
      base: { ref: 'main', sha: 'a'.repeat(40) },
    },
    repository: { full_name: 'acme/gitops' },
    sender: { login: 'bob' },
  });
}

const ROUTES: Route[] = [
  {
    name: 'Slack /slack/events',
    path: '/slack/events',
    contentType: 'application/x-www-form-urlencoded',
    body: () => slashCommand('list'),
    sign: (body, options = {}) =>
      signSlackRequest({
        signingSecret: options.secret ?? SLACK_SIGNING_SECRET,
        body,
        timestamp: options.timestamp ?? now(),
      }),
    malformed: [
      { 'x-slack-signature': 'v1=abc', 'x-slack-request-timestamp': String(now()) },
      { 'x-slack-signature': `v0=${'z'.repeat(64)}`, 'x-slack-request-timestamp': String(now()) },
      { 'x-slack-signature': `v0=${'0'.repeat(64)}`, 'x-slack-request-timestamp': 'yesterday' },
      { 'x-slack-signature': `v0=${'0'.repeat(64)}` },
    ],
    reaches: 'list',
    timestamped: true,
  },
  {
    name: 'GitHub /webhooks/github',
    path: '/webhooks/github',
    contentType: 'application/json',
    body: mergedDelivery,
    sign: (body, options = {}) => ({
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret ?? WEBHOOK_SECRET)
        .update(body)
        .digest('hex')}`,
    }),
    malformed: [
      { 'x-github-event': 'pull_request', 'x-hub-signature-256': 'sha256=not-hex' },
      { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` },
      { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${'0'.repeat(63)}` },
      { 'x-github-event': 'pull_request', 'x-hub-signature': `sha1=${'0'.repeat(40)}` },
    ],
    reaches: 'onPullRequestEvent',
    timestamped: false,
  },
  {
    name: 'Flux /webhooks/flux',
    path: '/webhooks/flux',
    contentType: 'application/json',
    body: () => kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${'c'.repeat(40)}` }),
    sign: (body, options = {}) => ({ 'x-signature': fluxSignature(options.secret ?? FLUX_TOKEN, body) }),
    malformed: [
      { 'x-signature': 'sha256=nothex' },
      { 'x-signature': `md5=${'0'.repeat(32)}` },
      { 'x-signature': `sha256 ${'0'.repeat(64)}` },
    ],
    reaches: 'onFluxEvent',
    timestamped: false,
  },
];

const WITHOUT_SIGNATURE = [
  'x-slack-signature',
  'x-slack-request-timestamp',
  'x-hub-signature-256',
  'x-signature',
];

/** The headers of one attack on a route, or undefined where the route's scheme has nothing to attack. */
function attack(
  route: Route,
  kind: Exclude<Attack, 'replayed'>,
): { body: string; headers: Record<string, string>[] } | undefined {
  const body = route.body();
  switch (kind) {
    case 'forged':
      return { body, headers: [route.sign(body, { secret: 'not-the-secret-0123456789' })] };
    case 'stale':
      return route.timestamped
        ? { body, headers: [route.sign(body, { timestamp: now() - 301 })] }
        : undefined;
    case 'future':
      return route.timestamped
        ? { body, headers: [route.sign(body, { timestamp: now() + 301 })] }
        : undefined;
    case 'missing': {
      const signed = route.sign(body);
      const stripped = Object.fromEntries(
        Object.entries(signed).filter(([name]) => !WITHOUT_SIGNATURE.includes(name)),
      );
      return { body, headers: [stripped] };
    }
    case 'malformed':
      return { body, headers: route.malformed };
    case 'other body': {
      // Signed over one body, sent with another of the same length.
      const other = body.replace(/c{40}|linkding|text=list/, (found) =>
        found === 'linkding' ? 'whoamixx' : found === 'text=list' ? 'text=help' : 'd'.repeat(40),
      );
      assert.notEqual(other, body);
      return { body: other, headers: [route.sign(body)] };
    }
  }
}

test('every inbound route refuses every bad signature with a 4xx and no side effect; a genuine one is handled once', async (t) => {
  const writes: string[] = [];
  const world = await startWorld('flux-example', {
    beforeGitHub: async (method, path) => {
      if (method !== 'GET') writes.push(`${method} ${path}`);
    },
  });
  t.after(() => world.close());
  const bot = await startSlackService(world, { mode: 'http' });
  t.after(() => bot.close());
  const { slack } = bot;

  const reached = new Map<string, number>();
  const requests = bot.service.requests as unknown as Record<string, unknown>;
  for (const method of [
    'expose',
    'unexpose',
    'approve',
    'reject',
    'list',
    'onPullRequestEvent',
    'onFluxEvent',
  ]) {
    const original = requests[method] as (...args: unknown[]) => Promise<unknown>;
    requests[method] = (...args: unknown[]) => {
      reached.set(method, (reached.get(method) ?? 0) + 1);
      return original.apply(bot.service.requests, args);
    };
  }
  // Whatever starting up did (housekeeping, readiness) is done before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const cloudflareWrites = () => world.cloudflare.requests.filter((r) => r.method !== 'GET').length;
  const baseline = {
    github: writes.length,
    cloudflare: cloudflareWrites(),
    slack: slack.calls.filter((c) => c.method !== 'auth.test').length,
  };

  const post = (route: Route, body: string, headers: Record<string, string>) =>
    fetch(`${bot.url}${route.path}`, {
      method: 'POST',
      headers: { 'content-type': route.contentType, ...headers },
      body,
    });

  const matrix: string[] = [];
  let refused = 0;
  for (const route of ROUTES) {
    const row: string[] = [];
    for (const kind of ['forged', 'stale', 'future', 'missing', 'malformed', 'other body'] as const) {
      const cases = attack(route, kind);
      if (!cases) {
        row.push(`${kind}: n/a`);
        continue;
      }
      const statuses = new Set<number>();
      for (const headers of cases.headers) {
        const response = await post(route, cases.body, headers);
        const text = await response.text();
        assert.equal(response.status, 401, `${route.name}, ${kind} ${JSON.stringify(headers)}: ${text}`);
        assert.ok(
          !/stack|TypeError|at \S+ \(/.test(text),
          `${route.name}, ${kind}: a short message, ${text}`,
        );
        statuses.add(response.status);
        refused += 1;
      }
      row.push(`${kind}: ${[...statuses].join('/')}`);
    }
    matrix.push(`${route.name.padEnd(24)} ${row.join(' | ')}`);
  }
  // Anything a refused request started would show within this time (a genuine one reaches the service at once).
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(Object.fromEntries(reached), {}, 'no refused request reached the request service');
  assert.deepEqual(writes.slice(baseline.github), [], 'no GitHub write');
  assert.equal(cloudflareWrites(), baseline.cloudflare, 'no Cloudflare write');
  assert.deepEqual(
    slack.calls.filter((c) => c.method !== 'auth.test').slice(baseline.slack),
    [],
    'no Slack API call',
  );
  assert.deepEqual(slack.responseUrlPosts, [], 'no response_url post');

  // Replays, with the genuine delivery first: it is handled (the fixtures are real), its replay is not.
  const replays: string[] = [];
  for (const route of ROUTES) {
    const body = route.body();
    const headers = route.sign(body);
    const first = await post(route, body, headers);
    assert.ok(first.status === 200 || first.status === 202, `${route.name} genuine: ${first.status}`);
    await eventually(() => (reached.get(route.reaches) ?? 0) >= 1, `${route.name} reaching ${route.reaches}`);
    const again = await post(route, body, headers);
    const answer = await again.text();
    replays.push(`${route.name.padEnd(24)} replayed: ${again.status} ${answer}`);
    if (route.path === '/slack/events') {
      assert.equal(again.status, 401, answer);
      assert.match(answer, /already received/);
    } else if (route.path === '/webhooks/github') {
      // GitHub's redelivery of one delivery id is acknowledged (so GitHub stops) and not handled again.
      assert.equal(again.status, 200, answer);
      assert.deepEqual(JSON.parse(answer), { status: 'duplicate' });
    } else {
      // Flux's generic-hmac has no id nor timestamp: a repeated event is accepted, and the service's event memory
      // makes it a no-op (test/transports/slack/end-to-end.test.ts: "Flux repeats its success … nothing more").
      assert.equal(again.status, 202, answer);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(reached.get('list'), 1, 'the Slack command ran once');
  assert.equal(reached.get('onPullRequestEvent'), 1, 'the GitHub delivery was handled once');
  assert.equal(reached.get('onFluxEvent'), 2, 'the Flux event was handed on twice, for the memory to drop');
  figure(t, 'forged, stale, future, missing, malformed and other-body signatures, every route', {
    refused,
    sideEffects: 0,
  });
  t.diagnostic(`${refused} refused requests\n${matrix.join('\n')}\n${replays.join('\n')}`);
});
