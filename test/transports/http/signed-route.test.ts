import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { fluxWebhook } from '../../../src/transports/http/flux-webhook.js';
import { githubWebhook } from '../../../src/transports/http/github-webhook.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { mediaType } from '../../../src/transports/http/signed-route.js';
import { captureLogs } from '../../helpers/logs.js';
import { serverSockets, slowPost } from '../../helpers/raw-http.js';

const SECRET = 'whsec-test-0123456789-secret-value';
const TWENTY_MIB = 20 * 1024 * 1024;
/** Headers plus what the kernel hands Node around the answer; far below any body worth refusing. */
const SMALL = 1024 * 1024;

function head(path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...lines, '', ''].join('\r\n');
}

describe('signed routes refuse from the headers alone', () => {
  let app: FastifyInstance;
  let port: number;
  let handled = 0;
  const sockets = () => serverSocketList;
  let serverSocketList: ReturnType<typeof serverSockets>;

  before(async () => {
    app = createHttpServer({ logger: captureLogs().logger });
    serverSocketList = serverSockets(app);
    await app.register(githubWebhook, {
      secret: SECRET,
      onPullRequestEvent: async () => {
        handled++;
      },
    });
    await app.register(fluxWebhook, {
      token: 'flux-token-0123456789',
      onFluxEvent: async () => {
        handled++;
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });

  after(() => app.close());

  const wellFormed = `sha256=${'0'.repeat(64)}`;
  const cases: Array<[what: string, path: string, headers: Record<string, string>, status: number]> = [
    ['GitHub, no signature', '/webhooks/github', { 'content-type': 'application/json' }, 401],
    [
      'GitHub, a malformed signature',
      '/webhooks/github',
      { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=not-hex' },
      401,
    ],
    [
      'GitHub, sha1 only',
      '/webhooks/github',
      { 'content-type': 'application/json', 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` },
      401,
    ],
    [
      'GitHub, form encoding',
      '/webhooks/github',
      { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': wellFormed },
      415,
    ],
    ['Flux, no signature', '/webhooks/flux', { 'content-type': 'application/json' }, 401],
    ['Flux, text/plain', '/webhooks/flux', { 'content-type': 'text/plain', 'x-signature': wellFormed }, 415],
  ];

  for (const [what, path, headers, status] of cases) {
    for (const framing of ['content-length', 'chunked'] as const) {
      test(`${what} (${framing}): ${status} with Connection: close before the 20 MiB body is read`, async () => {
        const before = sockets().length;
        const framingHeader: Record<string, string> =
          framing === 'content-length'
            ? { 'content-length': String(TWENTY_MIB) }
            : { 'transfer-encoding': 'chunked' };
        const result = await slowPost(
          port,
          head(path, { ...headers, ...framingHeader }),
          TWENTY_MIB,
          framing,
        );
        assert.match(result.response, new RegExp(`^HTTP/1\\.1 ${status} `), result.response);
        assert.match(result.response, /\r\nconnection: close\r\n/i);
        assert.ok(result.closed, 'the server closed the connection');
        assert.ok(result.bodyBytesSent < TWENTY_MIB, `answered after ${result.bodyBytesSent} body bytes`);
        const socket = sockets()[before]!;
        assert.ok(socket.bytesRead < SMALL, `the server read ${socket.bytesRead} bytes`);
        assert.equal(handled, 0);
      });
    }
  }

  test('the form-encoding refusal names the setting to change', async () => {
    const body = 'payload=%7B%7D';
    const response = await app.inject({
      method: 'POST',
      url: '/webhooks/github',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      payload: body,
    });
    assert.equal(response.statusCode, 415);
    assert.match(response.json().error, /"Content type: application\/json" in the webhook settings/);
  });

  test('a JSON content type with parameters is JSON', () => {
    assert.equal(mediaType('Application/JSON; charset=utf-8'), 'application/json');
    assert.equal(mediaType(undefined), '');
  });
});
