import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { renderPrBody } from '../../../src/core/pr-metadata.js';
import type { PullRequestEvent } from '../../../src/core/pull-request-event.js';
import { githubWebhook } from '../../../src/transports/http/github-webhook.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { captureLogs } from '../../helpers/logs.js';
import { metadataFor } from '../../helpers/github.js';

const SECRET = 'whsec-test-0123456789-secret-value';

function sign(raw: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

function pullRequestPayload(overrides: { action?: string; merged?: boolean; body?: string | null } = {}) {
  return {
    action: overrides.action ?? 'closed',
    number: 7,
    pull_request: {
      number: 7,
      state: 'closed',
      body:
        overrides.body === undefined
          ? renderPrBody('Expose linkding', metadataFor('linkding'))
          : overrides.body,
      merged: overrides.merged ?? true,
      merge_commit_sha: overrides.merged === false ? null : 'a'.repeat(40),
      head: { ref: 'tunnelbot/expose-home-linkding', sha: 'b'.repeat(40) },
      base: { ref: 'main', sha: 'c'.repeat(40) },
    },
    repository: { full_name: 'acme/gitops' },
    sender: { login: 'maintainer' },
  };
}

describe('POST /webhooks/github', () => {
  let app: FastifyInstance;
  let events: PullRequestEvent[];
  let handled: Promise<void>;
  let markHandled: () => void;
  let logs: () => string;
  let handlerFails = false;

  beforeEach(async () => {
    events = [];
    handlerFails = false;
    handled = new Promise((resolve) => (markHandled = resolve));
    const captured = captureLogs();
    logs = () => captured.text;
    app = createHttpServer({ logger: captured.logger });
    await app.register(githubWebhook, {
      secret: SECRET,
      deliveryCacheSize: 2,
      onPullRequestEvent: async (event) => {
        events.push(event);
        markHandled();
        if (handlerFails) throw new Error('workflow exploded');
      },
    });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    assert.ok(!logs().includes(SECRET), 'the webhook secret never reaches the logs');
  });

  async function deliver(
    payload: unknown,
    options: { event?: string; delivery?: string; signature?: string | null; raw?: string } = {},
  ) {
    const raw = options.raw ?? JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': options.event ?? 'pull_request',
      'x-github-delivery': options.delivery ?? crypto.randomUUID(),
    };
    if (options.signature !== null) headers['x-hub-signature-256'] = options.signature ?? sign(raw);
    return app.inject({ method: 'POST', url: '/webhooks/github', headers, payload: raw });
  }

  test('a signed merge delivery reaches the handler with the metadata and merge SHA', async () => {
    const response = await deliver(pullRequestPayload());
    assert.equal(response.statusCode, 202);
    await handled;
    assert.deepEqual(events, [
      {
        kind: 'merged',
        source: 'webhook',
        prNumber: 7,
        metadata: metadataFor('linkding'),
        headSha: 'b'.repeat(40),
        mergeSha: 'a'.repeat(40),
        actor: 'maintainer',
      },
    ]);
    assert.match(logs(), /"reqId":"[0-9a-f-]{36}".*"delivery"/);
  });

  test('a PR closed without merge and a submitted review are reported with their kind', async () => {
    await deliver(pullRequestPayload({ merged: false }));
    await deliver(
      {
        ...pullRequestPayload({ action: 'submitted' }),
        review: { state: 'approved', user: { login: 'alice' } },
      },
      { event: 'pull_request_review' },
    );
    assert.deepEqual(
      events.map((event) => [event.kind, event.mergeSha, event.review]),
      [
        ['closed', undefined, undefined],
        ['review', undefined, { state: 'approved', reviewer: 'alice' }],
      ],
    );
  });

  test('the signature is checked on the exact raw bytes', async () => {
    const raw = JSON.stringify(pullRequestPayload(), null, 3);
    assert.equal((await deliver(undefined, { raw })).statusCode, 202);
    const reserialised = sign(JSON.stringify(JSON.parse(raw)));
    assert.equal((await deliver(undefined, { raw, signature: reserialised })).statusCode, 401);
    assert.equal(events.length, 1);
  });

  test('bad, missing or foreign-secret signatures get 401 and never reach the handler', async () => {
    const payload = pullRequestPayload();
    assert.equal((await deliver(payload, { signature: null })).statusCode, 401);
    assert.equal((await deliver(payload, { signature: 'sha256=deadbeef' })).statusCode, 401);
    assert.equal(
      (await deliver(payload, { signature: sign(JSON.stringify(payload), 'other-secret') })).statusCode,
      401,
    );
    assert.equal(
      (await deliver(payload, { signature: sign(JSON.stringify(payload)).replace('sha256=', 'sha1=') }))
        .statusCode,
      401,
    );
    assert.equal(events.length, 0);
    assert.ok(!logs().includes(sign(JSON.stringify(payload))), 'signatures are not logged');
  });

  test('a redelivered delivery id is acknowledged once and handled once; old ids are forgotten beyond the bound', async () => {
    const payload = pullRequestPayload();
    assert.equal((await deliver(payload, { delivery: 'd-1' })).statusCode, 202);
    const duplicate = await deliver(payload, { delivery: 'd-1' });
    assert.equal(duplicate.statusCode, 200);
    assert.deepEqual(duplicate.json(), { status: 'duplicate' });
    assert.equal(events.length, 1);
    await deliver(payload, { delivery: 'd-2' });
    await deliver(payload, { delivery: 'd-3' });
    assert.equal(
      (await deliver(payload, { delivery: 'd-1' })).statusCode,
      202,
      'capacity 2: d-1 was evicted',
    );
    assert.equal(events.length, 4);
  });

  test('unknown events, other actions and PRs without our block are accepted and ignored; ping answers 200', async () => {
    assert.equal((await deliver({ zen: 'Keep it logically awesome.' }, { event: 'ping' })).statusCode, 200);
    const push = await deliver({ ref: 'refs/heads/main' }, { event: 'push' });
    assert.equal(push.statusCode, 202);
    assert.equal(push.json().status, 'ignored');
    assert.equal((await deliver(pullRequestPayload({ action: 'opened' }))).statusCode, 202);
    assert.equal((await deliver(pullRequestPayload({ body: 'A human PR' }))).statusCode, 202);
    assert.equal((await deliver(pullRequestPayload({ body: null }))).statusCode, 202);
    const tampered = renderPrBody('x', metadataFor('linkding')).replace('"port":9090', '"port":"9090"');
    assert.equal((await deliver(pullRequestPayload({ body: tampered }))).statusCode, 202);
    assert.match(logs(), /invalid tunnelbot block/);
    assert.equal(events.length, 0);
  });

  test('a signed delivery that is not what GitHub sends gets 400 with a short message, never a 5xx', async () => {
    const cases: Array<[what: string, raw: string, error: RegExp]> = [
      [
        'a null pull_request',
        JSON.stringify({ ...pullRequestPayload(), pull_request: null }),
        /^not a GitHub pull_request delivery: pull_request: /,
      ],
      ['a null body', 'null', /^not a GitHub pull_request delivery: \(body\): /],
      [
        'a number of the wrong type',
        JSON.stringify({
          ...pullRequestPayload(),
          pull_request: { ...pullRequestPayload().pull_request, number: '7' },
        }),
        /pull_request\.number: /,
      ],
      [
        'a head without its SHA',
        JSON.stringify({
          ...pullRequestPayload(),
          pull_request: { ...pullRequestPayload().pull_request, head: {} },
        }),
        /pull_request\.head\.sha: /,
      ],
      ['a body that is not JSON', '{"action":', /^body is not JSON$/],
    ];
    for (const [what, raw, error] of cases) {
      const response = await deliver(undefined, { raw });
      assert.equal(response.statusCode, 400, what);
      const message = response.json().error as string;
      assert.match(message, error, what);
      assert.ok(message.length < 200, `${what}: a short message`);
    }
    const push = await deliver(undefined, { raw: '[1]', event: 'push' });
    assert.equal(push.statusCode, 400, 'every delivery is a JSON object');
    assert.equal(events.length, 0);
  });

  // Found by test/transports/http/bodies.fuzz.test.ts: X-GitHub-Event is not signed, and was echoed whole.
  test('regression: the answer to a malformed delivery does not echo an odd X-GitHub-Event', async () => {
    const event = `a.${'a.'.repeat(150)}com`;
    const response = await deliver({ action: [] }, { event });
    assert.equal(response.statusCode, 400);
    const { error } = response.json() as { error: string };
    assert.equal(error, 'not a GitHub webhook delivery: action: must be a string, not a list');
  });

  test('a failing handler does not fail the delivery; the error is logged', async () => {
    handlerFails = true;
    assert.equal((await deliver(pullRequestPayload())).statusCode, 202);
    await handled;
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(logs(), /handling a GitHub pull request event failed/);
  });
});
