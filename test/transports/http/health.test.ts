import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { healthRoutes } from '../../../src/transports/http/health.js';
import { Readiness } from '../../../src/transports/http/readiness.js';
import { createHttpServer } from '../../../src/transports/http/server.js';
import { captureLogs } from '../../helpers/logs.js';
import { startWorld } from '../../helpers/world.js';

async function healthServer(readiness: Readiness): Promise<FastifyInstance> {
  const app = createHttpServer({ logger: captureLogs().logger });
  await app.register(healthRoutes, { readiness });
  await app.ready();
  return app;
}

test('healthz is always 200; readyz is 503 "starting" until every dependency has reported, then names the failing one', async (t) => {
  const logs = captureLogs();
  const readiness = new Readiness(logs.logger);
  let githubAnswers = true;
  readiness.watch('github', {
    run: async () => {
      if (!githubAnswers) throw new Error('GitHub unreachable');
    },
  });
  readiness.expect('slack');
  const app = await healthServer(readiness);
  t.after(() => app.close());

  const starting = await app.inject('/readyz');
  assert.equal(starting.statusCode, 503);
  assert.deepEqual(starting.json(), {
    status: 'starting',
    checks: { github: 'starting', slack: 'starting' },
    reason: 'github: starting; slack: starting',
  });
  assert.equal((await app.inject('/healthz')).statusCode, 200);

  await readiness.checkNow();
  readiness.set('slack', { ok: true });
  const ready = await app.inject('/readyz');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { status: 'ready', checks: { github: 'ok', slack: 'ok' } });

  readiness.set('slack', { ok: false, reason: 'Socket Mode disconnected\nat line 2 of a stack' });
  githubAnswers = false;
  await readiness.checkNow();
  const failing = await app.inject('/readyz');
  assert.equal(failing.statusCode, 503);
  assert.deepEqual(failing.json(), {
    status: 'not ready',
    checks: { github: 'Unexpected error: GitHub unreachable', slack: 'Socket Mode disconnected' },
    reason: 'github: Unexpected error: GitHub unreachable; slack: Socket Mode disconnected',
  });
  assert.equal((await app.inject('/healthz')).statusCode, 200);

  // Transitions are logged once each, not once per check.
  await readiness.checkNow();
  assert.equal(
    logs.text.match(/"dependency":"github","reason":[^}]*"msg":"dependency not ready"/g)?.length,
    1,
  );
});

test('readyz answers from memory while GitHub hangs: probes cost no GitHub request, a hung check turns into "timed out", recovery flips it back', async (t) => {
  let hang: Promise<void> | undefined;
  let release = () => {};
  const world = await startWorld('flux-example', {
    beforeGitHub: async () => {
      if (hang) await hang;
    },
  });
  t.after(async () => {
    release();
    await world.close();
  });
  const readiness = new Readiness(captureLogs().logger);
  // Long enough for a first answer on a loaded machine (CI), short enough to wait for its expiry.
  readiness.watch('github', { run: () => world.git.defaultBranch(), timeoutMs: 2000 });
  const app = await healthServer(readiness);
  t.after(() => app.close());

  await readiness.checkNow();
  assert.equal((await app.inject('/readyz')).statusCode, 200);

  hang = new Promise((resolve) => (release = resolve));
  const before = world.github.requestCount;
  for (let probe = 0; probe < 20; probe++) {
    const response = await app.inject('/readyz');
    assert.equal(response.statusCode, 200, 'the last check succeeded; nothing new is known yet');
  }
  assert.equal(world.github.requestCount, before, 'probes never call GitHub');

  await readiness.checkNow();
  const hung = world.github.requestCount;
  assert.equal(hung, before + 1, 'the check sent one request, which hangs');
  const timedOut = await app.inject('/readyz');
  assert.equal(timedOut.statusCode, 503);
  assert.deepEqual(timedOut.json(), {
    status: 'not ready',
    checks: { github: 'timed out after 2000 ms' },
    reason: 'github: timed out after 2000 ms',
  });
  await readiness.checkNow();
  assert.equal(world.github.requestCount, hung, 'no second request while the first still hangs');
  assert.equal((await app.inject('/readyz')).statusCode, 503);

  hang = undefined;
  release();
  // The released request settles on its own; the first round after that checks afresh.
  let recovered = 0;
  for (let round = 0; round < 100 && recovered !== 200; round++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await readiness.checkNow();
    recovered = (await app.inject('/readyz')).statusCode;
  }
  assert.equal(recovered, 200, 'GitHub answers again: ready');

  world.github.failNext(502);
  await readiness.checkNow();
  const failed = await app.inject('/readyz');
  assert.equal(failed.statusCode, 503);
  assert.match(failed.json().reason, /^github: GitHub answered 502 while reading branch main/);
});
