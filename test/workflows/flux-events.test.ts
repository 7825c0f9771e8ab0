import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFluxEvent } from '../../src/core/flux-event.js';
import { FluxEventMemory, onFluxEvent } from '../../src/workflows/flux-events.js';
import { kustomizationEvent } from '../helpers/flux.js';
import { startWorld } from '../helpers/world.js';

test('a Flux event for a commit the repository does not have: ignored, logged once at info, no Cloudflare call', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const memory = new FluxEventMemory();
  const foreign = '0123456789abcdef0123456789abcdef01234567';
  const succeeded = parseFluxEvent(
    kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${foreign}` }),
  );
  const failed = parseFluxEvent(
    kustomizationEvent('HealthCheckFailed', { revision: `main@sha1:${foreign}` }, { severity: 'error' }),
  );
  world.cloudflare.resetRequests();

  const first = await onFluxEvent(succeeded, world.context, memory);
  assert.equal(first.kind, 'ignored');
  assert.match(
    first.kind === 'ignored' ? first.reason : '',
    new RegExp(`commit ${foreign}, which the repository`),
  );
  assert.deepEqual(await onFluxEvent(succeeded, world.context, memory), {
    kind: 'duplicate',
    commitSha: foreign,
  });
  assert.equal((await onFluxEvent(failed, world.context, memory)).kind, 'ignored');

  assert.deepEqual(world.cloudflare.requests, [], 'no DNS reconcile');
  const lines = world
    .logs()
    .split('\n')
    .filter((line) => line.includes('does not have'));
  assert.equal(lines.length, 2, 'once per revision and event kind, not per repeat');
  for (const line of lines) assert.match(line, /"level":30/);
  assert.doesNotMatch(world.logs(), /"level":50/);
});
