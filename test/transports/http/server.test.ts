import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  addLogFields,
  closeHttpServer,
  createHttpServer,
  type HttpTimeouts,
} from '../../../src/transports/http/server.js';
import { captureLogs } from '../../helpers/logs.js';
import { stalledRequest } from '../../helpers/raw-http.js';

async function listening(
  timeouts: Partial<HttpTimeouts>,
  routes: (app: FastifyInstance) => void = () => {},
): Promise<{ app: FastifyInstance; port: number; logs: () => string }> {
  const logs = captureLogs();
  const app = createHttpServer({ logger: logs.logger, timeouts });
  app.get('/healthz', async () => ({ status: 'ok' }));
  routes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port, logs: () => logs.text };
}

test(
  'a client that never finishes its headers is answered 408 and disconnected',
  { timeout: 10_000 },
  async (t) => {
    const { app, port } = await listening({ headersMs: 200, requestMs: 5_000, checkIntervalMs: 50 });
    t.after(() => app.close());
    const response = await stalledRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    assert.match(response, /^HTTP\/1\.1 408 /);
  },
);

test(
  'a client that stops in the middle of its body is answered 408 and disconnected',
  { timeout: 10_000 },
  async (t) => {
    const { app, port } = await listening({ headersMs: 200, requestMs: 400, checkIntervalMs: 50 }, (app) =>
      app.post('/echo', async (request) => request.body),
    );
    t.after(() => app.close());
    const response = await stalledRequest(
      port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":',
    );
    assert.match(response, /^HTTP\/1\.1 408 /);
  },
);

test(
  'an idle keep-alive connection is closed after the keep-alive timeout',
  { timeout: 10_000 },
  async (t) => {
    const { app, port } = await listening({ keepAliveMs: 150 });
    t.after(() => app.close());
    const response = await stalledRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    // Resolved at all: the server closed the connection it had kept alive.
    assert.match(response, /^HTTP\/1\.1 200 /);
  },
);

test(
  'closing lets a request in flight finish, then closes a stalled connection at the bound',
  { timeout: 10_000 },
  async (t) => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { app, port } = await listening({ headersMs: 60_000, requestMs: 120_000 }, (app) =>
      app.get('/slow', async () => {
        await slow;
        return { done: true };
      }),
    );
    t.after(() => app.server.listening && app.close());
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    const stalled = stalledRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = closeHttpServer(app, 300);
    setTimeout(release, 50);
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { done: true });
    await closed;
    assert.equal(await stalled, '', 'the stalled client got no answer, only the close');
    assert.equal(app.server.listening, false);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket.destroy()));
        socket.on('error', reject);
      }),
      /ECONNREFUSED/,
      'no new connection is accepted',
    );
  },
);

test('each request is one log line at info, probes none; a route adds its fields to that line', async (t) => {
  const { app, logs } = await listening({}, (app) =>
    app.post('/work', async (request, reply) => {
      addLogFields(request, { pr: 7 });
      return reply.code(202).send({ status: 'accepted' });
    }),
  );
  t.after(() => app.close());
  for (let index = 0; index < 3; index++) await app.inject({ method: 'POST', url: '/work', payload: {} });
  await app.inject('/healthz');
  const info = logs()
    .split('\n')
    .filter((line) => line.includes('"level":30') && line.includes('reqId'));
  assert.equal(info.length, 3, info.join('\n'));
  for (const line of info) assert.match(line, /"pr":7,"method":"POST","route":"\/work","status":202,"ms":/);
  assert.match(logs(), /"level":20.*"route":"\/healthz","status":200/);
});
