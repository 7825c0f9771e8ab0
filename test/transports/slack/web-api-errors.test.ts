import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { WebClient } from '@slack/web-api';
import { isTunnelbotError, type TunnelbotError } from '../../../src/errors.js';
import { callSlack, slackCallError } from '../../../src/transports/slack/web-api-errors.js';

const TOKEN = 'xoxb-0000-1111-secretsecretsecret';

/** A Web API on loopback that answers every call with `respond`. */
async function slackApi(
  t: TestContext,
  respond: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<WebClient> {
  const server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return client(`http://127.0.0.1:${port}/api/`);
}

function client(slackApiUrl: string, timeout = 5_000): WebClient {
  return new WebClient(TOKEN, {
    slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout,
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
}

async function failure(web: WebClient): Promise<TunnelbotError> {
  try {
    await callSlack('chat.postMessage', () => web.chat.postMessage({ channel: 'C0TUNNELS', text: 'hi' }));
  } catch (error) {
    assert.ok(isTunnelbotError(error), `a TunnelbotError, got ${String(error)}`);
    assert.doesNotMatch(`${error.message} ${error.fix} ${JSON.stringify(error.details)}`, /secretsecret/);
    return error;
  }
  assert.fail('the call succeeded');
}

const platform: { slackError: string; code: string; message: RegExp; extra?: Record<string, unknown> }[] = [
  {
    slackError: 'invalid_auth',
    code: 'TB_ERR_SLACK_AUTH',
    message: /refused the bot's token for chat\.postMessage \(invalid_auth\)/,
  },
  { slackError: 'token_revoked', code: 'TB_ERR_SLACK_AUTH', message: /\(token_revoked\)/ },
  {
    slackError: 'missing_scope',
    code: 'TB_ERR_SLACK_SCOPE',
    message: /^The Slack app needs the chat:write scope for chat\.postMessage\.$/,
    extra: { needed: 'chat:write', provided: 'commands' },
  },
  {
    slackError: 'missing_scope',
    code: 'TB_ERR_SLACK_SCOPE',
    message: /^The Slack app lacks a scope chat\.postMessage needs\.$/,
  },
  {
    slackError: 'not_in_channel',
    code: 'TB_ERR_SLACK_NOT_IN_CHANNEL',
    message: /cannot post in this channel \(not_in_channel\)/,
  },
  { slackError: 'is_archived', code: 'TB_ERR_SLACK_NOT_IN_CHANNEL', message: /\(is_archived\)/ },
  {
    slackError: 'internal_error',
    code: 'TB_ERR_SLACK_UNAVAILABLE',
    message: /Slack failed chat\.postMessage \(internal_error\); try again/,
  },
  { slackError: 'ratelimited', code: 'TB_ERR_SLACK_UNAVAILABLE', message: /\(ratelimited\)/ },
  {
    slackError: 'invalid_blocks',
    code: 'TB_ERR_SLACK_REQUEST',
    message: /^Slack refused chat\.postMessage with "invalid_blocks"\.$/,
  },
];

for (const { slackError, code, message, extra } of platform) {
  test(`platform error ${slackError}${extra ? ' (with needed)' : ''} maps to ${code}`, async (t) => {
    const web = await slackApi(t, json(200, { ok: false, error: slackError, ...extra }));
    const error = await failure(web);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.equal((error.details as { slackError?: string }).slackError, slackError);
    assert.ok(error.fix.length > 0);
  });
}

test('HTTP 500 is Slack answering with an error: "answered … with HTTP 500", an upstream outage', async (t) => {
  const web = await slackApi(t, (_request, response) => {
    response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('oops');
  });
  const error = await failure(web);
  assert.equal(error.code, 'TB_ERR_SLACK_UNAVAILABLE');
  assert.equal(error.kind, 'upstream');
  assert.match(error.message, /^Slack answered chat\.postMessage with HTTP 500; try again in a minute\.$/);
  assert.doesNotMatch(error.message, /connect/i);
  assert.deepEqual(error.details, { method: 'chat.postMessage', status: 500 });
});

test('connection refused is "could not connect", never an HTTP status', async (t) => {
  // A port that was just ours and is now closed: nothing listens there.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  t.diagnostic(`closed port ${port}`);
  const error = await failure(client(`http://127.0.0.1:${port}/api/`));
  assert.equal(error.code, 'TB_ERR_SLACK_UNAVAILABLE');
  assert.equal(error.kind, 'upstream');
  assert.match(error.message, /^Could not connect to Slack for chat\.postMessage \(.*ECONNREFUSED.*\)\.$/);
  assert.doesNotMatch(error.message, /HTTP \d{3}/);
  assert.deepEqual(error.details, { method: 'chat.postMessage', connect: true });
});

test('rate limited past the retries names the wait Slack asked for', async (t) => {
  const web = await slackApi(t, json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '30' }));
  const error = await failure(web);
  assert.equal(error.code, 'TB_ERR_SLACK_UNAVAILABLE');
  assert.match(
    error.message,
    /^Slack rate-limited chat\.postMessage \(retry after 30 s\); try again in a minute\.$/,
  );
  assert.deepEqual(error.details, { method: 'chat.postMessage', retryAfterSeconds: 30 });
});

test('slackCallError passes anything that is not a Web API error through untouched', () => {
  const plain = new Error('a bug of ours');
  assert.equal(slackCallError('chat.postMessage', plain), plain);
  const coded = Object.assign(new Error('fs'), { code: 'ENOENT' });
  assert.equal(slackCallError('chat.postMessage', coded), coded);
  assert.equal(slackCallError('chat.postMessage', 'text'), 'text');
});

test('callSlack returns what a successful call answers', async (t) => {
  const web = await slackApi(t, json(200, { ok: true, channel: 'C0TUNNELS', ts: '1.2' }));
  const answer = await callSlack('chat.postMessage', () =>
    web.chat.postMessage({ channel: 'C0TUNNELS', text: 'hi' }),
  );
  assert.equal(answer.ts, '1.2');
});

test('a Slack that accepts the connection but never answers is a timeout, not "could not connect"', async (t) => {
  const server = createServer(() => {
    // Holds every request open until the client gives up.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  const error = await failure(client(`http://127.0.0.1:${port}/api/`, 200));
  assert.equal(error.code, 'TB_ERR_SLACK_UNAVAILABLE');
  assert.equal(error.message, 'Slack did not answer chat.postMessage in time; try again in a minute.');
  assert.doesNotMatch(error.message, /connect/i);
  assert.deepEqual(error.details, { method: 'chat.postMessage', timeout: true });
});
