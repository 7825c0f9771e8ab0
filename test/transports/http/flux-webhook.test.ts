import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { FluxEvent } from '../../../src/core/flux-event.js';
import { fluxWebhook } from '../../../src/transports/http/flux-webhook.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { fluxSignature, fluxVector, kustomizationEvent } from '../../helpers/flux.js';
import { captureLogs } from '../../helpers/logs.js';

const vector = JSON.parse(fluxVector('real-nc-forwarder-test-hmac-vector.json')) as {
  body: string;
  token: string;
  x_signature: string;
};
const SHA = '71ea786475aba31c801435d840819f14a2cc0ef2';

describe('POST /webhooks/flux', () => {
  let app: FastifyInstance;
  let events: FluxEvent[];
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
    await app.register(fluxWebhook, {
      token: vector.token,
      onFluxEvent: async (event, log) => {
        events.push(event);
        log.info('handler ran');
        markHandled();
        if (handlerFails) throw new Error('workflow exploded');
      },
    });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    assert.ok(!logs().includes(vector.token), 'the token never reaches the logs');
    assert.ok(!logs().includes(vector.x_signature.slice('sha256='.length)), 'the signature is not logged');
  });

  function post(body: string | Buffer, signature: string | null, headers: Record<string, string> = {}) {
    return app.inject({
      method: 'POST',
      url: '/webhooks/flux',
      headers: {
        'content-type': 'application/json',
        'gotk-component': 'kustomize-controller',
        ...(signature !== null && { 'x-signature': signature }),
        ...headers,
      },
      payload: body,
    });
  }

  test('the real signed vector is accepted with 202 and reaches the handler after the answer', async () => {
    const response = await post(vector.body, vector.x_signature, { 'x-request-id': 'req-flux-1' });
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), { status: 'accepted' });
    await handled;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.involvedObject.name, 'webapp');
    assert.match(
      logs(),
      /"reqId":"req-flux-1".*"gotkComponent":"kustomize-controller".*"status":202.*"msg":"request completed"/,
    );
    assert.match(logs(), /"reqId":"req-flux-1".*"msg":"handler ran"/);
  });

  test('a missing, wrong-key, or re-serialised signature gets 401 and never reaches the handler', async () => {
    assert.equal((await post(vector.body, null)).statusCode, 401);
    assert.equal(
      (await post(vector.body, fluxSignature('another-token-value', vector.body))).statusCode,
      401,
    );
    assert.equal((await post(`${vector.body}\n`, vector.x_signature)).statusCode, 401);
    const pretty = JSON.stringify(JSON.parse(vector.body), null, 2);
    assert.equal((await post(pretty, vector.x_signature)).statusCode, 401);
    assert.equal(events.length, 0);
    assert.match(logs(), /missing or bad X-Signature/);
  });

  test('a signed body that is not JSON, or not an event, gets 400 naming the problem', async () => {
    const notJson = '{"involvedObject":';
    const notJsonResponse = await post(notJson, fluxSignature(vector.token, notJson));
    assert.equal(notJsonResponse.statusCode, 400);
    assert.match(notJsonResponse.json().error, /not JSON/);
    const notEvent = JSON.stringify({ hello: 'world' });
    const notEventResponse = await post(notEvent, fluxSignature(vector.token, notEvent));
    assert.equal(notEventResponse.statusCode, 400);
    assert.match(notEventResponse.json().error, /involvedObject/);
    assert.equal(events.length, 0);
  });

  // Found by test/transports/http/bodies.fuzz.test.ts: every broken field was listed, so the answer grew with the body.
  test('regression: a body with many broken fields gets a short 400 naming the first three', async () => {
    const event = JSON.parse(kustomizationEvent('ReconciliationSucceeded', {})) as Record<string, unknown>;
    event.metadata = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${'k'.repeat(200)}${i}`, i]));
    const body = JSON.stringify(event);
    const response = await post(body, fluxSignature(vector.token, body));
    assert.equal(response.statusCode, 400);
    const { error } = response.json() as { error: string };
    assert.ok(error.length < 400, `${error.length} characters`);
    assert.match(error, /metadata\.k{64}…: must be a string, not a number; .*and 497 more\.$/);
  });

  test('a body beyond 3 MiB gets 413 before anything else; just under the limit is read', async () => {
    const big = kustomizationEvent(
      'BuildFailed',
      { revision: `main@sha1:${SHA}` },
      {
        severity: 'error',
        message: 'x'.repeat(3 * 1024 * 1024),
      },
    );
    assert.equal((await post(big, fluxSignature(vector.token, big))).statusCode, 413);
    const padding =
      3 * 1024 * 1024 - Buffer.byteLength(kustomizationEvent('BuildFailed', {}, { message: '' }));
    const fits = kustomizationEvent(
      'BuildFailed',
      {},
      { severity: 'error', message: 'y'.repeat(padding - 16) },
    );
    assert.ok(Buffer.byteLength(fits) <= 3 * 1024 * 1024);
    assert.equal((await post(fits, fluxSignature(vector.token, fits))).statusCode, 202);
    assert.equal(events.length, 1);
  });

  test('another algorithm of the documented verifier is accepted', async () => {
    const body = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${SHA}` });
    assert.equal((await post(body, fluxSignature(vector.token, body, 'sha512'))).statusCode, 202);
    await handled;
    assert.equal(events[0]!.reason, 'ReconciliationSucceeded');
  });

  test('a failing handler does not fail the delivery; the error is logged with the request id', async () => {
    handlerFails = true;
    const response = await post(vector.body, vector.x_signature, { 'x-request-id': 'req-flux-2' });
    assert.equal(response.statusCode, 202);
    await handled;
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(logs(), /"reqId":"req-flux-2".*handling a Flux event failed/);
  });

  test('without flux options the route does not exist', async () => {
    const bare = createHttpServer({ logger: captureLogs().logger });
    await bare.ready();
    assert.equal(
      (await bare.inject({ method: 'POST', url: '/webhooks/flux', payload: vector.body })).statusCode,
      404,
    );
    await bare.close();
  });
});
