import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsFromToken } from '../../src/adapters/cloudflare/index.js';
import { TunnelbotError } from '../../src/errors.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';

function isError(code: string, kind?: string) {
  return (e: unknown) =>
    e instanceof TunnelbotError && e.code === code && (kind === undefined || e.kind === kind);
}

describe('CloudflareAdapter tunnels (against the fake, through the SDK)', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare();
  });
  after(() => h.stop());
  afterEach(() => {
    h.fake.clearFaults();
    h.fake.resetRequests();
  });

  it('creates a locally managed tunnel with a 32-byte secret of ours and returns the credentials file', async () => {
    const created = await h.adapter.createTunnel('tb-create');
    const stored = h.fake.tunnels().find((t) => t.id === created.id);
    assert.ok(stored);
    assert.equal(stored.configSrc, 'local');
    assert.equal(created.adopted, false);
    assert.deepEqual(Object.keys(created.credentials), [
      'AccountTag',
      'TunnelSecret',
      'TunnelID',
      'Endpoint',
    ]);
    assert.deepEqual(created.credentials, {
      AccountTag: h.fake.accountId,
      TunnelSecret: stored.secret,
      TunnelID: created.id,
      Endpoint: '',
    });
    assert.equal(Buffer.from(created.credentials.TunnelSecret, 'base64').length, 32);
    const post = h.fake.requests.find((r) => r.route === 'tunnel.create');
    assert.equal(post?.apiVersion, '2026-01-01', 'the pinned api-version header is sent');
  });

  it('adopts a live tunnel of the same name (409/1013) with one POST only, recovering credentials from the token', async () => {
    const existing = h.fake.seedTunnel({ name: 'tb-adopt' });
    h.fake.resetRequests();
    const adopted = await h.adapter.createTunnel('tb-adopt');
    assert.equal(h.fake.requestCount('tunnel.create'), 1, 'the SDK must not retry the 409');
    assert.equal(adopted.adopted, true);
    assert.equal(adopted.id, existing.id);
    assert.equal(adopted.credentials.TunnelSecret, existing.secret);
    assert.equal(h.fake.tunnels().filter((t) => t.name === 'tb-adopt').length, 1);
  });

  it('refuses with a conflict naming the tunnel when a taken name cannot be adopted', async () => {
    const existing = h.fake.seedTunnel({ name: 'tb-locked' });
    h.fake.injectFault('tunnel.token', {
      kind: 'error',
      status: 403,
      code: 10000,
      message: 'Authentication error',
    });
    await assert.rejects(h.adapter.createTunnel('tb-locked'), (e: unknown) => {
      assert.ok(isError('TB_ERR_CLOUDFLARE_TUNNEL_EXISTS', 'conflict')(e));
      assert.match((e as Error).message, new RegExp(`"tb-locked" already exists \\(id ${existing.id}\\)`));
      return true;
    });
  });

  it('finds its own tunnel when the create answer is lost (connection dropped after the create took effect)', async () => {
    h.fake.injectFault('tunnel.create', { kind: 'drop', when: 'after' });
    const created = await h.adapter.createTunnel('tb-lost-answer');
    assert.equal(created.adopted, false, 'the secret matches ours, so we created it');
    assert.equal(h.fake.requestCount('tunnel.create'), 1);
    assert.equal(h.fake.tunnels().filter((t) => t.name === 'tb-lost-answer').length, 1);
  });

  it('reports upstream when the create fails before taking effect and nothing was created', async () => {
    h.fake.injectFault('tunnel.create', {
      kind: 'error',
      status: 503,
      code: 10013,
      message: 'Service unavailable',
    });
    await assert.rejects(
      h.adapter.createTunnel('tb-outage'),
      isError('TB_ERR_CLOUDFLARE_UPSTREAM', 'upstream'),
    );
    assert.equal(h.fake.tunnels().filter((t) => t.name === 'tb-outage').length, 0);
  });

  it('refuses empty and UUID-shaped names before calling Cloudflare', async () => {
    await assert.rejects(h.adapter.createTunnel(' '), isError('TB_ERR_CLOUDFLARE_TUNNEL_NAME', 'input'));
    await assert.rejects(
      h.adapter.createTunnel('6ff42ae2-765d-4adf-8112-31c55c1551ef'),
      isError('TB_ERR_CLOUDFLARE_TUNNEL_NAME'),
    );
    assert.equal(h.fake.requests.length, 0);
  });

  it('deletes a tunnel after cleaning up connectors that wait to reconnect, and is idempotent', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-delete' });
    h.fake.attachConnector(tunnel.id, { pendingReconnect: true });
    await h.adapter.deleteTunnel(tunnel.id);
    const routes = h.fake.requests.map((r) => r.route);
    assert.ok(routes.indexOf('connections.get') < routes.indexOf('connections.delete'));
    assert.ok(routes.indexOf('connections.delete') < routes.indexOf('tunnel.delete'));
    assert.notEqual(h.fake.state.tunnels.get(tunnel.id)?.deletedAt, null);
    assert.equal(h.fake.requests.find((r) => r.route === 'tunnel.delete')?.query['cascade'], undefined);

    h.fake.resetRequests();
    await h.adapter.deleteTunnel(tunnel.id);
    assert.equal(h.fake.requestCount('tunnel.delete'), 0, 'deleted_at set: nothing to do');
    await h.adapter.deleteTunnel('00000000-0000-4000-8000-000000000000');
  });

  it('treats a 404 on the delete itself as success (deleted concurrently)', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-race' });
    h.fake.injectFault('tunnel.delete', { kind: 'error', status: 404, code: 7003, message: 'not found' });
    await h.adapter.deleteTunnel(tunnel.id);
  });

  it('never deletes a tunnel with an active connector unless forced: the cleanup would remove a running cloudflared', async () => {
    for (const connector of [{ persistent: true }, { persistent: false }, { conns: 1 }]) {
      const tunnel = h.fake.seedTunnel({ name: `tb-running-${h.fake.tunnels().length}` });
      h.fake.attachConnector(tunnel.id, connector);
      h.fake.resetRequests();
      await assert.rejects(h.adapter.deleteTunnel(tunnel.id), (e: unknown) => {
        assert.ok(isError('TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE', 'conflict')(e));
        assert.match(
          (e as Error).message,
          /"tb-running-\d+" .* still has 1 active connector\(s\): cloudflared is running/,
        );
        return true;
      });
      assert.equal(h.fake.requestCount('connections.delete'), 0, 'no cleanup of a running tunnel');
      assert.equal(h.fake.requestCount('tunnel.delete'), 0);
      assert.equal(h.fake.state.tunnels.get(tunnel.id)?.deletedAt, null);
      assert.equal(h.fake.state.tunnels.get(tunnel.id)?.connectors.length, 1);
    }
    const forced = h.fake.seedTunnel({ name: 'tb-forced' });
    h.fake.startCloudflared(forced.id, 2);
    await h.adapter.deleteTunnel(forced.id, { force: true });
    assert.equal(h.fake.requests.filter((r) => r.route === 'tunnel.delete').at(-1)?.query['cascade'], 'true');
    assert.notEqual(h.fake.state.tunnels.get(forced.id)?.deletedAt, null);
  });

  it('maps 1022 (a connector that appeared after the check) to the same conflict', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-late-connector' });
    h.fake.injectFault('tunnel.delete', {
      kind: 'error',
      status: 400,
      code: 1022,
      message: 'Cannot delete tunnel because it has active connections',
    });
    await assert.rejects(h.adapter.deleteTunnel(tunnel.id), (e: unknown) => {
      assert.ok(isError('TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE', 'conflict')(e));
      assert.match((e as Error).message, /refused to delete it \(1022\)/);
      return true;
    });
  });

  it('reports health: status and connector count', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-health' });
    assert.deepEqual(await h.adapter.getTunnelHealth(tunnel.id), {
      id: tunnel.id,
      name: 'tb-health',
      status: 'inactive',
      connectors: 0,
      activeConnectors: 0,
      connections: 0,
    });
    h.fake.attachConnector(tunnel.id);
    h.fake.attachConnector(tunnel.id, { conns: 2 });
    h.fake.attachConnector(tunnel.id, { pendingReconnect: true });
    const degraded = await h.adapter.getTunnelHealth(tunnel.id);
    assert.deepEqual(
      [degraded.status, degraded.connectors, degraded.activeConnectors, degraded.connections],
      ['degraded', 3, 2, 10],
    );
    assert.deepEqual(
      await h.adapter.connectedTunnels([
        tunnel.id,
        tunnel.id.toUpperCase(),
        '00000000-0000-4000-8000-000000000001',
      ]),
      new Set([tunnel.id]),
    );
    h.fake.stopConnectors(tunnel.id);
    assert.equal((await h.adapter.getTunnelHealth(tunnel.id)).status, 'down');
    await assert.rejects(
      h.adapter.getTunnelHealth('00000000-0000-4000-8000-000000000001'),
      isError('TB_ERR_CLOUDFLARE_TUNNEL_NOT_FOUND'),
    );
  });

  it('lists non-deleted tunnels by prefix across pages', async () => {
    for (let i = 0; i < 230; i++) h.fake.seedTunnel({ name: `tb-list-${String(i).padStart(3, '0')}` });
    const gone = h.fake.seedTunnel({ name: 'tb-list-deleted' });
    h.fake.state.deleteTunnel(gone.id, false);
    h.fake.seedTunnel({ name: 'other-list' });
    h.fake.resetRequests();
    const listed = await h.adapter.listTunnels({ namePrefix: 'tb-list-' });
    assert.equal(listed.length, 230);
    assert.equal(h.fake.requestCount('tunnel.list'), 3, 'ceil(230 / 100) pages, none past the end');
    assert.ok(h.fake.requests.every((r) => r.route !== 'tunnel.list' || r.query['is_deleted'] === 'false'));
  });

  it('recovers credentials from the run token and rejects malformed tokens without echoing them', async () => {
    const tunnel = h.fake.seedTunnel({ name: 'tb-token' });
    assert.deepEqual(await h.adapter.recoverCredentials(tunnel.id), {
      AccountTag: h.fake.accountId,
      TunnelSecret: tunnel.secret,
      TunnelID: tunnel.id,
      Endpoint: '',
    });
    const shortSecret = Buffer.from(JSON.stringify({ a: 'acct', t: tunnel.id, s: 'c2hvcnQ=' })).toString(
      'base64',
    );
    assert.throws(
      () => credentialsFromToken(shortSecret, tunnel.id),
      (e: unknown) => {
        assert.ok(isError('TB_ERR_CLOUDFLARE_TOKEN_FORMAT')(e));
        assert.ok(!(e as Error).message.includes(shortSecret));
        return true;
      },
    );
    assert.throws(
      () => credentialsFromToken('not base64 json', tunnel.id),
      isError('TB_ERR_CLOUDFLARE_TOKEN_FORMAT'),
    );
    const otherTunnel = Buffer.from(JSON.stringify({ a: 'a', t: 'x', s: tunnel.secret })).toString('base64');
    assert.throws(() => credentialsFromToken(otherTunnel, tunnel.id), /names another tunnel/);
    const badEndpoint = Buffer.from(
      JSON.stringify({ a: 'a', t: tunnel.id, s: tunnel.secret, e: 1 }),
    ).toString('base64');
    assert.throws(() => credentialsFromToken(badEndpoint, tunnel.id), /endpoint \(e\) is not a string/);
  });

  it('keeps the endpoint (e) of a run token, as cloudflared does, when adopting a tunnel', async () => {
    const secret = Buffer.alloc(32, 7).toString('base64');
    const tunnel = h.fake.seedTunnel({ name: 'tb-fed', secret, endpoint: 'fed' });
    assert.equal((await h.adapter.recoverCredentials(tunnel.id)).Endpoint, 'fed');
    const adopted = await h.adapter.createTunnel('tb-fed');
    assert.equal(adopted.adopted, true);
    assert.deepEqual(adopted.credentials, {
      AccountTag: h.fake.accountId,
      TunnelSecret: secret,
      TunnelID: tunnel.id,
      Endpoint: 'fed',
    });
  });
});
