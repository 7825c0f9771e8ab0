/* eslint-disable @typescript-eslint/no-explicit-any -- raw API responses are probed field by field, as JSON */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCloudflare } from '../../src/sandbox/cloudflare/index.js';

/** The fake's wire behaviour, checked with plain fetch so the SDK cannot hide a mistake. */
describe('FakeCloudflare over HTTP', () => {
  const fake = new FakeCloudflare({ apiToken: 'test-token', zones: ['example.com'] });
  let base = '';
  const call = async (method: string, path: string, body?: unknown, token = 'test-token') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, any>,
    };
  };

  before(async () => {
    base = (await fake.start()).baseURL;
  });
  after(() => fake.stop());

  it('serves under /client/v4 with the v4 envelope', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    const { status, json } = await call('GET', '/zones');
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(json).sort(), ['errors', 'messages', 'result', 'result_info', 'success']);
    assert.equal(json['success'], true);
    assert.equal(json['result'][0].name, 'example.com');
  });

  it('answers 401 with code 10000 for a wrong or missing bearer token', async () => {
    const { status, json } = await call('GET', '/zones', undefined, 'wrong');
    assert.equal(status, 401);
    assert.deepEqual(json['errors'], [{ code: 10000, message: 'Authentication error' }]);
    assert.equal(json['success'], false);
  });

  it('answers 403 with code 10000 when the token lacks the permission of the route', async () => {
    fake.setPermissions(['zone:read']);
    try {
      const zoneId = fake.zone('example.com').id;
      assert.equal((await call('GET', `/zones/${zoneId}/dns_records`)).status, 403);
      assert.equal((await call('GET', '/zones')).status, 200);
    } finally {
      fake.setPermissions(['account:read', 'tunnel:edit', 'zone:read', 'dns:edit']);
    }
  });

  it('paginates with page/per_page, result_info, and an empty result past the end', async () => {
    const zoneId = fake.zone('example.com').id;
    for (let i = 0; i < 5; i++) {
      fake.seedRecord('example.com', { type: 'TXT', name: `p${i}.example.com`, content: `v${i}` });
    }
    const page2 = await call('GET', `/zones/${zoneId}/dns_records?type=TXT&per_page=2&page=2`);
    assert.equal(page2.json['result'].length, 2);
    assert.deepEqual(page2.json['result_info'], {
      page: 2,
      per_page: 2,
      count: 2,
      total_count: 5,
      total_pages: 3,
    });
    const past = await call('GET', `/zones/${zoneId}/dns_records?type=TXT&per_page=2&page=4`);
    assert.deepEqual(past.json['result'], []);
    assert.equal(past.json['success'], true);
  });

  it('filters DNS records by type, name.exact and comment.*, case-insensitively', async () => {
    const zoneId = fake.zone('example.com').id;
    fake.seedRecord('example.com', {
      type: 'A',
      name: 'f.example.com',
      content: '192.0.2.1',
      comment: 'Managed-By: X',
    });
    fake.seedRecord('example.com', { type: 'TXT', name: 'f.example.com', content: 'hello' });
    const byName = await call('GET', `/zones/${zoneId}/dns_records?name.exact=F.example.com`);
    assert.deepEqual(byName.json['result'].map((r: { type: string }) => r.type).sort(), ['A', 'TXT']);
    const byComment = await call('GET', `/zones/${zoneId}/dns_records?comment.startswith=managed-by`);
    assert.equal(byComment.json['result'].length, 1);
    const absent = await call('GET', `/zones/${zoneId}/dns_records?name.exact=f.example.com&comment.absent`);
    assert.deepEqual(
      absent.json['result'].map((r: { type: string }) => r.type),
      ['TXT'],
    );
  });

  it('enforces CNAME exclusivity (81053, 81054), identical records (81057) and the comment limit (9313)', async () => {
    const zoneId = fake.zone('example.com').id;
    const path = `/zones/${zoneId}/dns_records`;
    const created = await call('POST', path, { type: 'A', name: 'x', content: '192.0.2.7', ttl: 1 });
    assert.equal(created.json['result'].name, 'x.example.com');
    const cname = await call('POST', path, {
      type: 'CNAME',
      name: 'x.example.com',
      content: 'a.example.net',
      ttl: 1,
    });
    assert.deepEqual([cname.status, cname.json['errors'][0].code], [400, 81053]);
    await call('POST', path, { type: 'CNAME', name: 'y.example.com', content: 'a.example.net', ttl: 1 });
    const addr = await call('POST', path, {
      type: 'AAAA',
      name: 'y.example.com',
      content: '2001:db8::1',
      ttl: 1,
    });
    assert.equal(addr.json['errors'][0].code, 81054);
    const same = await call('POST', path, { type: 'A', name: 'x.example.com', content: '192.0.2.7', ttl: 1 });
    assert.equal(same.json['errors'][0].code, 81057);
    const long = await call('POST', path, {
      type: 'TXT',
      name: 'z',
      content: 'v',
      ttl: 1,
      comment: 'c'.repeat(101),
    });
    assert.deepEqual(
      [long.status, long.json['errors'][0]],
      [400, { code: 9313, message: 'DNS record comment exceeds the maximum length of 100 characters' }],
    );
  });

  it('updates with PATCH (merge) and PUT (replace), deletes with {id}', async () => {
    const zoneId = fake.zone('example.com').id;
    const rec = fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'u.example.com',
      content: 'a.example.net',
      proxied: true,
      comment: 'keep',
    });
    const patched = await call('PATCH', `/zones/${zoneId}/dns_records/${rec.id}`, {
      content: 'b.example.net',
    });
    assert.deepEqual(
      [patched.json['result'].content, patched.json['result'].comment, patched.json['result'].proxied],
      ['b.example.net', 'keep', true],
    );
    const put = await call('PUT', `/zones/${zoneId}/dns_records/${rec.id}`, {
      type: 'CNAME',
      name: 'u.example.com',
      content: 'c.example.net',
      ttl: 1,
    });
    assert.deepEqual([put.json['result'].comment, put.json['result'].proxied], [null, false]);
    const deleted = await call('DELETE', `/zones/${zoneId}/dns_records/${rec.id}`);
    assert.deepEqual(deleted.json['result'], { id: rec.id });
    const again = await call('DELETE', `/zones/${zoneId}/dns_records/${rec.id}`);
    assert.deepEqual([again.status, again.json['errors'][0].code], [404, 81044]);
  });

  it('runs the tunnel lifecycle: create, 1013 on a taken name, token, connectors, 1022, cascade, deleted_at', async () => {
    const tunnels = `/accounts/${fake.accountId}/cfd_tunnel`;
    const secret = Buffer.alloc(32, 7).toString('base64');
    const created = await call('POST', tunnels, {
      name: 'tb-one',
      config_src: 'local',
      tunnel_secret: secret,
    });
    const tunnel = created.json['result'];
    assert.equal(tunnel.credentials_file.TunnelSecret, secret);
    assert.equal(tunnel.status, 'inactive');
    const taken = await call('POST', tunnels, { name: 'tb-one', tunnel_secret: secret });
    assert.deepEqual([taken.status, taken.json['errors'][0].code], [409, 1013]);

    const token = (await call('GET', `${tunnels}/${tunnel.id}/token`)).json['result'];
    assert.deepEqual(JSON.parse(Buffer.from(token, 'base64').toString()), {
      a: fake.accountId,
      t: tunnel.id,
      s: secret,
    });

    fake.startCloudflared(tunnel.id);
    const conns = await call('GET', `${tunnels}/${tunnel.id}/connections`);
    assert.equal(conns.json['result'][0].conns.length, 4);
    assert.equal(conns.json['result'][0].conns[0].is_pending_reconnect, false);
    assert.equal((await call('GET', `${tunnels}/${tunnel.id}`)).json['result'].status, 'healthy');
    const refused = await call('DELETE', `${tunnels}/${tunnel.id}`);
    assert.deepEqual([refused.status, refused.json['errors'][0].code], [400, 1022]);
    // The cleanup removes connectors "independently of their current state"; a running cloudflared registers again.
    await call('DELETE', `${tunnels}/${tunnel.id}/connections`);
    assert.equal(fake.state.tunnels.get(tunnel.id)?.connectors.length, 0);
    const back = await call('GET', `${tunnels}/${tunnel.id}/connections`);
    assert.equal(back.json['result'].length, 1, 'the running cloudflared reconnected');
    // So cleanup-then-delete deletes a running tunnel: 1022 protects nothing once the cleanup ran.
    await call('DELETE', `${tunnels}/${tunnel.id}/connections`);
    const deleted = await call('DELETE', `${tunnels}/${tunnel.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual((await call('GET', `${tunnels}/${tunnel.id}/connections`)).json['result'], []);

    const other = (await call('POST', tunnels, { name: 'tb-two', tunnel_secret: secret })).json['result'];
    fake.attachConnector(other.id, { pendingReconnect: true });
    const stale = await call('GET', `${tunnels}/${other.id}/connections`);
    assert.equal(stale.json['result'][0].conns[0].is_pending_reconnect, true);
    fake.startCloudflared(other.id);
    const cascaded = await call('DELETE', `${tunnels}/${other.id}?cascade=true`);
    assert.equal(cascaded.status, 200);
    const afterDelete = (await call('GET', `${tunnels}/${tunnel.id}`)).json['result'];
    assert.notEqual(afterDelete.deleted_at, null);
    const live = await call('GET', `${tunnels}?name=tb-one&is_deleted=false`);
    assert.deepEqual(live.json['result'], []);
    const all = await call('GET', `${tunnels}?name=tb-one`);
    assert.equal(all.json['result'].length, 1);
  });

  it('a zone the token no longer covers is left out of GET /zones and refused (403/10000); a deleted one is 404/7003', async () => {
    const revoked = fake.addZone('revoked.example');
    const removed = fake.addZone('removed.example');
    fake.seedRecord('removed.example', { type: 'TXT', name: 'x.removed.example', content: 'v' });
    fake.revokeZone('revoked.example');
    fake.removeZone('removed.example');
    const names = (await call('GET', '/zones')).json['result'].map((zone: any) => zone.name);
    assert.ok(!names.includes('revoked.example') && !names.includes('removed.example'), names.join(','));
    const refused = await call('GET', `/zones/${revoked.id}/dns_records`);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json['errors'], [{ code: 10000, message: 'Authentication error' }]);
    const gone = await call('POST', `/zones/${removed.id}/dns_records`, {
      type: 'TXT',
      name: 'y',
      content: 'v',
    });
    assert.equal(gone.status, 404);
    assert.equal(gone.json['errors'][0].code, 7003);
    assert.deepEqual(
      fake.records().filter((r) => r.zoneId === removed.id),
      [],
    );
  });

  it('injects faults per route: error with retry-after, latency, drops; and counts requests', async () => {
    fake.resetRequests();
    fake.rateLimit('zones.list', 1, 3);
    const limited = await call('GET', '/zones');
    assert.deepEqual(
      [limited.status, limited.headers.get('retry-after'), limited.json['errors'][0].code],
      [429, '3', 971],
    );
    assert.equal((await call('GET', '/zones')).status, 200);

    fake.injectFault('zones.list', { kind: 'latency', ms: 150 });
    const started = Date.now();
    await call('GET', '/zones');
    assert.ok(Date.now() - started >= 140);

    fake.injectFault('zones.list', { kind: 'drop', when: 'before' });
    await assert.rejects(call('GET', '/zones'));
    assert.equal(fake.requestCount('zones.list'), 4);
  });
});
