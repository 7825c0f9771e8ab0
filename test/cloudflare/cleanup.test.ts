import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerComment, tunnelTarget } from '../../src/core/dns-plan.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';

const MARKER = ownerComment('cleanup');
const NOW = new Date('2026-11-27T12:00:00Z');
const DAY = 86_400_000;

describe('orphan tunnel collection and closed pull requests', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare({ now: () => NOW });
  });
  after(() => h.stop());

  it('deletes unreferenced old tunnels with their records, keeps the rest, reports failures', async () => {
    const old = new Date(NOW.getTime() - 3 * DAY).toISOString();
    const orphan = h.fake.seedTunnel({ name: 'tb-orphan', createdAt: old });
    const used = h.fake.seedTunnel({ name: 'tb-used', createdAt: old });
    const fresh = h.fake.seedTunnel({
      name: 'tb-fresh',
      createdAt: new Date(NOW.getTime() - 60_000).toISOString(),
    });
    const running = h.fake.seedTunnel({ name: 'tb-running', createdAt: old });
    const foreignTunnel = h.fake.seedTunnel({ name: 'homelab', createdAt: old });
    h.fake.startCloudflared(running.id);
    const runningRecord = h.fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'running.example.com',
      content: tunnelTarget(running.id),
      proxied: true,
      comment: MARKER,
    });
    const ours = h.fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'orphan.example.com',
      content: tunnelTarget(orphan.id),
      proxied: true,
      comment: MARKER,
    });
    const handMade = h.fake.seedRecord('example.org', {
      type: 'CNAME',
      name: 'manual.example.org',
      content: tunnelTarget(orphan.id),
      proxied: true,
      comment: null,
    });

    const report = await h.adapter.collectOrphanTunnels({
      namePrefix: 'tb-',
      referenced: new Set([used.id]),
      graceMs: DAY,
      now: NOW,
      ownerComment: MARKER,
    });

    assert.deepEqual(
      report.deleted.map((d) => [d.id, d.deletedRecords.map((r) => r.id)]),
      [[orphan.id, [ours.id]]],
    );
    assert.deepEqual(
      report.running.map((r) => [r.id, r.activeConnectors]),
      [[running.id, 1]],
      'a running tunnel is reported, not deleted',
    );
    assert.deepEqual(report.failed, []);
    assert.equal(h.fake.state.tunnels.get(running.id)?.deletedAt, null);
    assert.equal(
      h.fake.state.tunnels.get(running.id)?.connectors.length,
      1,
      'its cloudflared was not cut off',
    );
    assert.equal(h.fake.state.records.has(runningRecord.id), true, 'nor its record');
    assert.equal(
      h.fake.requests.filter((r) => r.route === 'connections.delete' && r.path.includes(running.id)).length,
      0,
    );
    assert.deepEqual(report.kept.map((k) => k.id).sort(), [used.id, fresh.id].sort());
    assert.notEqual(h.fake.state.tunnels.get(orphan.id)?.deletedAt, null);
    assert.equal(
      h.fake.state.tunnels.get(foreignTunnel.id)?.deletedAt,
      null,
      'another prefix is never listed',
    );
    assert.equal(h.fake.state.records.has(ours.id), false);
    assert.equal(
      h.fake.state.records.get(handMade.id)?.content,
      tunnelTarget(orphan.id),
      'a record without our marker stays',
    );
  });

  it('a purge refuses a running tunnel before touching its records, unless forced', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-purge-running' });
    h.fake.startCloudflared(tunnel.id);
    const record = h.fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'purge.example.com',
      content: tunnelTarget(tunnel.id),
      proxied: true,
      comment: MARKER,
    });
    for (const purge of [
      () => h.adapter.purgeTunnel(tunnel.id, { ownerComment: MARKER, reason: 'test' }),
      () => h.adapter.deleteTunnelOfClosedPullRequest(tunnel.id, { ownerComment: MARKER }),
      () => h.adapter.rollbackTunnel(tunnel.id, { ownerComment: MARKER }),
    ]) {
      await assert.rejects(
        purge(),
        (e: unknown) => (e as { code?: string }).code === 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE',
      );
      assert.equal(h.fake.state.records.has(record.id), true);
      assert.equal(h.fake.state.tunnels.get(tunnel.id)?.deletedAt, null);
    }
    const forced = await h.adapter.purgeTunnel(tunnel.id, {
      ownerComment: MARKER,
      reason: 'test',
      force: true,
    });
    assert.deepEqual(
      forced.deletedRecords.map((r) => r.id),
      [record.id],
    );
    assert.notEqual(h.fake.state.tunnels.get(tunnel.id)?.deletedAt, null);
  });

  it('deletes the tunnel of a pull request closed without merge, idempotently', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-closed-pr' });
    const first = await h.adapter.deleteTunnelOfClosedPullRequest(tunnel.id, { ownerComment: MARKER });
    assert.equal(first.tunnelId, tunnel.id);
    assert.notEqual(h.fake.state.tunnels.get(tunnel.id)?.deletedAt, null);
    await h.adapter.deleteTunnelOfClosedPullRequest(tunnel.id, { ownerComment: MARKER });
  });
});
