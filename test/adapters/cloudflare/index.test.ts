import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZONE_CACHE_MS } from '../../../src/adapters/cloudflare/index.js';
import { ownerComment, tunnelTarget } from '../../../src/core/dns-plan.js';
import { TunnelbotError } from '../../../src/errors.js';
import { startCloudflare } from '../../helpers/cloudflare.js';

const MARKER = ownerComment('test');

describe('convergeDns: a CNAME only for a tunnel that runs', () => {
  it('waits for an active connector, keeps the record through a cloudflared restart, removes it with git', async (t) => {
    const h = await startCloudflare({ zones: ['example.com'] }, { maxRetries: 0 });
    t.after(() => h.stop());
    const tunnel = h.fake.seedTunnel({ name: 'tunnelbot-staging-app' });
    const desired = [{ hostname: 'app.example.com', tunnelId: tunnel.id }];

    const before = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(h.fake.records(), [], 'no record while cloudflared has never connected');
    assert.deepEqual(before.plan.waiting, [
      { hostname: 'app.example.com', tunnelId: tunnel.id, reason: 'connector' },
    ]);
    assert.deepEqual(before.live, []);
    assert.match(before.text, /… waiting app\.example\.com: tunnel .* has no active connector yet/);

    // A connector that only waits to reconnect is no running cloudflared.
    h.fake.attachConnector(tunnel.id, { pendingReconnect: true });
    await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(h.fake.records(), []);

    h.fake.startCloudflared(tunnel.id);
    const running = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(running.live, ['app.example.com']);
    assert.deepEqual(
      h.fake.records().map((r) => [r.name, r.content]),
      [['app.example.com', tunnelTarget(tunnel.id)]],
    );

    // cloudflared restarts (no connector for a while): the record the default branch routes stays.
    h.fake.stopConnectors(tunnel.id);
    h.fake.resetRequests();
    const restarting = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.equal(h.fake.records().length, 1);
    assert.deepEqual(restarting.live, ['app.example.com']);
    assert.equal(h.fake.requestCount('connections.get'), 0, 'a record in place needs no connector lookup');

    await h.adapter.convergeDns({ desired: [], ownerComment: MARKER });
    assert.deepEqual(h.fake.records(), [], 'removal follows the default branch');
  });
});

describe('the zone list: bounded age, refreshed on a zone-level error, one bad zone never stops the others', () => {
  it('sees a zone added later once the list is ZONE_CACHE_MS old, without a restart', async (t) => {
    let now = 1_000_000;
    const h = await startCloudflare({ zones: ['example.com'] }, { maxRetries: 0, clock: () => now });
    t.after(() => h.stop());
    assert.equal((await h.adapter.findZone('a.example.com')).name, 'example.com');
    h.fake.addZone('example.net');
    now += ZONE_CACHE_MS - 1;
    await assert.rejects(
      h.adapter.findZone('a.example.net'),
      (e: unknown) => e instanceof TunnelbotError && e.code === 'TB_ERR_CLOUDFLARE_NO_ZONE',
    );
    assert.equal(h.fake.requestCount('zones.list'), 1, 'within its age the list is not read again');
    now += 1;
    assert.equal((await h.adapter.findZone('a.example.net')).name, 'example.net');
    assert.equal(h.fake.requestCount('zones.list'), 2);
  });

  for (const [change, expectedCode] of [
    ['revoked', 'TB_ERR_CLOUDFLARE_PERMISSION'],
    ['removed', 'TB_ERR_CLOUDFLARE_REQUEST'],
  ] as const) {
    it(`a zone ${change} after listing is reported on its own; the other zones converge and the list is read again`, async (t) => {
      const h = await startCloudflare({ zones: ['example.com', 'example.org'] }, { maxRetries: 0 });
      t.after(() => h.stop());
      const tunnel = h.fake.seedTunnel({ name: 'tunnelbot-staging-app' });
      h.fake.startCloudflared(tunnel.id);
      const desired = [
        { hostname: 'a.example.com', tunnelId: tunnel.id },
        { hostname: 'b.example.org', tunnelId: tunnel.id },
      ];
      await h.adapter.listZones();
      if (change === 'revoked') h.fake.revokeZone('example.org');
      else h.fake.removeZone('example.org');

      const result = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
      assert.deepEqual(
        h.fake.records('example.com').map((r) => r.name),
        ['a.example.com'],
      );
      assert.deepEqual(result.live, ['a.example.com']);
      assert.equal(result.zoneFailures.length, 1);
      const [failure] = result.zoneFailures;
      assert.equal(failure!.zone, 'example.org');
      assert.deepEqual(failure!.hostnames, ['b.example.org']);
      assert.equal(failure!.code, expectedCode);
      assert.match(result.text, /^! zone example\.org skipped: /m);
      assert.match(h.logs.text, /the zone is gone or the token no longer covers it/);

      assert.equal(h.fake.requestCount('zones.list'), 2, 'the zone error refreshed the list');
      const next = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
      assert.deepEqual(next.zoneFailures, []);
      assert.deepEqual(
        next.unroutable.map((u) => u.hostname),
        ['b.example.org'],
      );
    });
  }

  it('every zone refusing is the token, not a zone: the convergence fails with the permission it lacks', async (t) => {
    const h = await startCloudflare({ zones: ['example.com', 'example.org'] }, { maxRetries: 0 });
    t.after(() => h.stop());
    h.fake.setPermissions(['account:read', 'tunnel:edit', 'zone:read']);
    await assert.rejects(
      h.adapter.convergeDns({ desired: [], ownerComment: MARKER }),
      (e: unknown) => e instanceof TunnelbotError && e.code === 'TB_ERR_CLOUDFLARE_PERMISSION',
    );
  });

  it('a zone refusing a write stops that zone only', async (t) => {
    const h = await startCloudflare({ zones: ['example.com', 'example.org'] }, { maxRetries: 0 });
    t.after(() => h.stop());
    const tunnel = h.fake.seedTunnel({ name: 'tunnelbot-staging-app' });
    h.fake.startCloudflared(tunnel.id);
    const desired = [
      { hostname: 'a.example.com', tunnelId: tunnel.id },
      { hostname: 'b.example.com', tunnelId: tunnel.id },
      { hostname: 'c.example.org', tunnelId: tunnel.id },
    ];
    h.fake.injectFault('dns.create', {
      kind: 'error',
      status: 403,
      code: 10000,
      message: 'Authentication error',
    });
    const result = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(
      h.fake.records().map((r) => r.name),
      ['c.example.org'],
    );
    assert.deepEqual(
      result.zoneFailures.map((f) => [f.zone, f.hostnames]),
      [['example.com', ['a.example.com', 'b.example.com']]],
    );
    assert.deepEqual(result.live, ['c.example.org']);
    const again = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(again.zoneFailures, []);
    assert.equal(h.fake.records().length, 3);
  });
});
