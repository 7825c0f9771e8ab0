import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthRoutes } from '../../../src/transports/http/health.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { captureLogs } from '../../helpers/logs.js';

test('healthz is always 200; readyz follows the readiness check', async (t) => {
  let ready = true;
  const app = createHttpServer({ logger: captureLogs().logger });
  await app.register(healthRoutes, {
    readiness: async () => {
      if (!ready) throw new Error('GitHub unreachable');
      return true;
    },
  });
  await app.ready();
  t.after(() => app.close());
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  assert.equal((await app.inject('/readyz')).statusCode, 200);
  ready = false;
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  const notReady = await app.inject('/readyz');
  assert.equal(notReady.statusCode, 503);
  assert.deepEqual(notReady.json(), { status: 'not ready' });
});
