import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Metrics } from '../../../src/metrics.js';
import type { RequestService } from '../../../src/requests/service.js';
import { FakeSlack, signSlackRequest } from '../../../src/sandbox/slack/index.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { SlackTransport } from '../../../src/transports/slack/app.js';
import { captureLogs } from '../../helpers/logs.js';
import { SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET } from '../../helpers/slack.js';

function sign(body: string, timestamp = Math.floor(Date.now() / 1000), signingSecret = SLACK_SIGNING_SECRET) {
  return signSlackRequest({ signingSecret, body, timestamp });
}

const FORM = 'application/x-www-form-urlencoded';

function slashCommand(text: string, command = '/expose'): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0FAKE0001',
    team_domain: 'fake',
    channel_id: 'C0FAKECHN1',
    channel_name: 'ops',
    user_id: 'U0ALICE',
    user_name: 'alice',
    command,
    text,
    api_app_id: 'A0FAKE0001',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/respond/x',
    trigger_id: `trigger-${Math.random()}`,
  }).toString();
}

interface Recorded {
  calls: string[];
}

function requestsDouble(recorded: Recorded): RequestService {
  const record = (name: string) => async () => {
    recorded.calls.push(name);
    return { ok: true, text: '' };
  };
  return {
    environments: () => ['staging'],
    expose: record('expose'),
    unexpose: record('unexpose'),
    approve: record('approve'),
    reject: record('reject'),
    list: async () => {
      recorded.calls.push('list');
      return { exposed: [], pending: [], warnings: [] };
    },
  } as unknown as RequestService;
}

async function httpSlack(t: { after(fn: () => Promise<void>): void }) {
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  t.after(() => slack.stop());
  const logs = captureLogs();
  const recorded: Recorded = { calls: [] };
  const transport = new SlackTransport({
    slack: { mode: 'http', botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SIGNING_SECRET, apiUrl },
    requests: requestsDouble(recorded),
    logger: logs.logger,
    retries: 0,
  });
  const server: FastifyInstance = createHttpServer({ logger: logs.logger, metrics: new Metrics() });
  await server.register(transport.httpRoutes!);
  // Another JSON route beside it keeps fastify's own parsing: the Slack plugin's parsers are its own.
  server.post('/echo', async (request) => request.body);
  await server.ready();
  await transport.start();
  t.after(async () => {
    await transport.stop();
    await server.close();
  });
  const post = (body: string, headers: Record<string, string>, contentType = FORM) =>
    server.inject({
      method: 'POST',
      url: '/slack/events',
      payload: body,
      headers: { 'content-type': contentType, ...headers },
    });
  return { server, post, recorded, logs, slack };
}

test('HTTP mode answers url_verification and ssl_check, and acks a signed /expose help with the help text', async (t) => {
  const { post, recorded } = await httpSlack(t);
  const challenge = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });
  const verified = await post(challenge, sign(challenge), 'application/json');
  assert.equal(verified.statusCode, 200);
  assert.deepEqual(verified.json(), { challenge: 'c-123' });

  const ssl = await post('ssl_check=1&token=legacy', {});
  assert.equal(ssl.statusCode, 200);

  const help = slashCommand('help');
  const answered = await post(help, sign(help));
  assert.equal(answered.statusCode, 200);
  const body = answered.json() as { response_type: string; text: string };
  assert.equal(body.response_type, 'ephemeral');
  assert.match(body.text, /\/expose APP PORT/);
  assert.deepEqual(recorded.calls, []);
});

test('HTTP mode: an argument error is the ack itself, before any state is looked up', async (t) => {
  const { post, recorded } = await httpSlack(t);
  const bad = slashCommand('linkding 99999');
  const answered = await post(bad, sign(bad));
  assert.equal(answered.statusCode, 200);
  assert.match((answered.json() as { text: string }).text, /"99999" is not a port/);
  assert.deepEqual(recorded.calls, []);

  const good = slashCommand('linkding 9090');
  const accepted = await post(good, sign(good));
  assert.equal(accepted.statusCode, 200);
  assert.equal(accepted.body, '');
  for (let i = 0; i < 50 && recorded.calls.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(recorded.calls, ['expose']);
});

test('HTTP mode refuses forged, stale, future, replayed and unsigned requests with 401 and no side effect', async (t) => {
  const { post, recorded } = await httpSlack(t);
  const body = slashCommand('linkding 9090');
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, Record<string, string>][] = [
    ['forged', sign(body, now, 'not-the-secret')],
    ['stale', sign(body, now - 301)],
    ['future', sign(body, now + 301)],
    ['malformed signature', { ...sign(body), 'x-slack-signature': 'v1=abc' }],
    ['unsigned', {}],
  ];
  for (const [name, headers] of cases) {
    const response = await post(body, headers);
    assert.equal(response.statusCode, 401, name);
  }
  const headers = sign(body);
  assert.equal((await post(body, headers)).statusCode, 200);
  assert.equal((await post(body, headers)).statusCode, 401, 'replayed');
  // The genuine request reaches the service after its ack; give it time on a loaded machine, then a little more
  // for anything else that would (wrongly) follow.
  const deadline = Date.now() + 5_000;
  while (recorded.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(recorded.calls, ['expose'], 'only the genuine request reached the service');
});

test('HTTP mode refuses an unsigned body larger than an ssl_check before reading it', async (t) => {
  const { server } = await httpSlack(t);
  const { url } = { url: await server.listen({ port: 0, host: '127.0.0.1' }) };
  const response = await fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': FORM },
    body: 'a'.repeat(512 * 1024),
  });
  assert.equal(response.status, 401);
});

test('HTTP mode answers 404 when no listener acks within 3 s, as Bolt does', async (t) => {
  const { post } = await httpSlack(t);
  const body = slashCommand('anything', '/deploy');
  const response = await post(body, sign(body));
  assert.equal(response.statusCode, 404);
});

// Found by test/transports/http/bodies.fuzz.test.ts: Bolt reads `event.type` before any listener runs, and a signed
// body without it was answered 500.
test('regression: a signed body Bolt cannot read is a 400, not a 500', async (t) => {
  const { post, recorded } = await httpSlack(t);
  for (const body of [
    JSON.stringify({ type: 'event_callback', team_id: 'T0FAKE0001', event: null }),
    JSON.stringify({ type: 'event_callback', team_id: 'T0FAKE0001', event: 'app_mention' }),
  ]) {
    const response = await post(body, sign(body), 'application/json');
    assert.equal(response.statusCode, 400, body);
    assert.match((response.json() as { error: string }).error, /not a Slack payload of its type/);
  }
  assert.deepEqual(recorded.calls, []);
});

test('a body of a type no listener takes is answered 404 at once, not after 3 s', async (t) => {
  const { post } = await httpSlack(t);
  const body = JSON.stringify({
    type: 'shortcut',
    callback_id: 'nope',
    trigger_id: 't',
    user: { id: 'U0ALICE' },
  });
  const started = Date.now();
  const response = await post(body, sign(body), 'application/json');
  assert.equal(response.statusCode, 404);
  assert.ok(Date.now() - started < 1_000, `${Date.now() - started} ms`);
});

test('the Slack plugin leaves other routes their own JSON parsing', async (t) => {
  const { server } = await httpSlack(t);
  const response = await server.inject({
    method: 'POST',
    url: '/echo',
    payload: '{"a":1}',
    headers: { 'content-type': 'application/json' },
  });
  assert.deepEqual(response.json(), { a: 1 });
});
