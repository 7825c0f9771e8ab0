import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerComment, tunnelTarget } from '../../src/core/dns-plan.js';
import { zoneFor } from '../../src/adapters/cloudflare/index.js';
import { TunnelbotError } from '../../src/errors.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';

const MARKER = ownerComment('test');
/** The tunnels records point at; T1 has a running cloudflared, so records may be created for it. */
let T1 = '';
let T2 = '';

describe('CloudflareAdapter zones and DNS (against the fake, through the SDK)', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare({
      zones: ['example.com', 'apps.example.com', 'example.org', 'big.example.net'],
    });
    T1 = h.fake.seedTunnel({ name: 'tunnelbot-t1' }).id;
    T2 = h.fake.seedTunnel({ name: 'tunnelbot-t2' }).id;
    h.fake.startCloudflared(T1);
  });
  after(() => h.stop());
  afterEach(() => {
    h.fake.clearFaults();
    h.fake.resetRequests();
  });

  it('finds the zone by the longest matching suffix, listing zones once per adapter', async () => {
    const adapter = h.adapterWith({});
    assert.equal((await adapter.findZone('a.b.apps.example.com')).name, 'apps.example.com');
    assert.equal((await adapter.findZone('Example.COM.')).name, 'example.com');
    assert.equal((await adapter.findZone('x.example.com')).name, 'example.com');
    assert.equal(h.fake.requestCount('zones.list'), 1);
    await assert.rejects(
      adapter.findZone('app.notexample.com'),
      (e: unknown) =>
        e instanceof TunnelbotError &&
        e.code === 'TB_ERR_CLOUDFLARE_NO_ZONE' &&
        /app\.notexample\.com/.test(e.message),
    );
  });

  it('pages through many zones (50 per page)', async () => {
    for (let i = 0; i < 120; i++) h.fake.addZone(`z${i}.test`);
    try {
      const adapter = h.adapterWith({});
      assert.equal((await adapter.findZone('www.z119.test')).name, 'z119.test');
      assert.equal(h.fake.requestCount('zones.list'), 3);
      assert.ok(
        h.fake.requests.every((r) => r.route !== 'zones.list' || r.query['account.id'] === h.fake.accountId),
      );
    } finally {
      for (const zone of [...h.fake.state.zones.values()])
        if (zone.name.endsWith('.test')) h.fake.state.zones.delete(zone.id);
    }
  });

  it('does not cache a failed zone listing', async () => {
    const adapter = h.adapterWith({ maxRetries: 0 });
    h.fake.injectFault('zones.list', { kind: 'error', status: 500, code: 10001 });
    await assert.rejects(
      adapter.findZone('a.example.com'),
      (e: unknown) => e instanceof TunnelbotError && e.kind === 'upstream',
    );
    assert.equal((await adapter.findZone('a.example.com')).name, 'example.com');
  });

  it('zoneFor needs a dot boundary', () => {
    const zones = [{ id: '1', name: 'example.com' }];
    assert.equal(zoneFor('badexample.com', zones), undefined);
    assert.equal(zoneFor('example.com', zones)?.id, '1');
  });

  it('does record operations: list by exact name across types, create, update, delete (idempotent)', async () => {
    h.fake.seedRecord('example.com', { type: 'TXT', name: 'ops.example.com', content: 'hello' });
    const created = await h.adapter.createDnsRecord({
      type: 'CNAME',
      name: 'ops.example.com',
      content: tunnelTarget(T1),
      proxied: true,
      ttl: 1,
      comment: MARKER,
    });
    assert.deepEqual((await h.adapter.listDnsRecordsByName('OPS.example.com')).map((r) => r.type).sort(), [
      'CNAME',
      'TXT',
    ]);
    const updated = await h.adapter.updateDnsRecord(created, {
      type: 'CNAME',
      name: 'ops.example.com',
      content: tunnelTarget(T2),
      proxied: true,
      ttl: 1,
      comment: MARKER,
    });
    assert.equal(updated.content, tunnelTarget(T2));
    await h.adapter.deleteDnsRecord(updated);
    await h.adapter.deleteDnsRecord(updated);
    assert.deepEqual(
      (await h.adapter.listDnsRecordsByName('ops.example.com')).map((r) => r.type),
      ['TXT'],
    );
  });

  it('converges: creates, fixes and deletes our records, leaves foreign ones untouched and reports them', async () => {
    const stale = h.fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'moved.example.com',
      content: tunnelTarget(T2),
      proxied: true,
      comment: MARKER,
    });
    const removed = h.fake.seedRecord('example.org', {
      type: 'CNAME',
      name: 'gone.example.org',
      content: tunnelTarget(T1),
      proxied: true,
      comment: MARKER,
    });
    const foreignA = h.fake.seedRecord('example.com', {
      type: 'A',
      name: 'taken.example.com',
      content: '192.0.2.4',
    });
    const foreignCname = h.fake.seedRecord('example.com', {
      type: 'CNAME',
      name: 'other.example.com',
      content: tunnelTarget(T1),
      proxied: true,
      comment: 'managed-by: someone else',
    });
    const before = JSON.stringify([
      h.fake.state.records.get(foreignA.id),
      h.fake.state.records.get(foreignCname.id),
    ]);

    const desired = [
      { hostname: 'new.apps.example.com', tunnelId: T1 },
      { hostname: 'moved.example.com', tunnelId: T1 },
      { hostname: 'taken.example.com', tunnelId: T1 },
      { hostname: 'other.example.com', tunnelId: T1 },
      { hostname: 'nowhere.invalid', tunnelId: T1 },
    ];
    const dry = await h.adapter.convergeDns({ desired, ownerComment: MARKER, dryRun: true });
    assert.equal(dry.applied, null);
    assert.equal(h.fake.requests.filter((r) => r.method !== 'GET').length, 0, 'a dry run writes nothing');
    assert.match(dry.text, /\+ create CNAME new\.apps\.example\.com/);
    assert.match(dry.text, /~ update CNAME moved\.example\.com/);
    assert.match(dry.text, /- delete CNAME gone\.example\.org/);
    assert.match(
      dry.text,
      new RegExp(
        `! conflict taken\\.example\\.com: A taken\\.example\\.com -> 192\\.0\\.2\\.4 \\(id ${foreignA.id}\\)`,
      ),
    );
    assert.match(dry.text, /! unroutable nowhere\.invalid/);

    const result = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual(
      result.plan.conflicts.map((c) => c.record?.id),
      [foreignCname.id, foreignA.id],
    );
    assert.deepEqual(
      result.applied?.deleted.map((r) => r.id),
      [removed.id],
    );
    assert.equal(h.fake.state.records.get(stale.id)?.content, tunnelTarget(T1));
    const created = h.fake.records('apps.example.com').find((r) => r.name === 'new.apps.example.com');
    assert.deepEqual(
      created && [created.type, created.content, created.proxied, created.ttl, created.comment],
      ['CNAME', tunnelTarget(T1), true, 1, MARKER],
    );
    assert.equal(
      JSON.stringify([h.fake.state.records.get(foreignA.id), h.fake.state.records.get(foreignCname.id)]),
      before,
      'foreign records are byte-for-byte unchanged',
    );
    const written = h.fake.requests.filter((r) => r.method !== 'GET').map((r) => r.path);
    assert.ok(written.every((p) => !p.endsWith(foreignA.id) && !p.endsWith(foreignCname.id)));

    h.fake.resetRequests();
    const again = await h.adapter.convergeDns({ desired, ownerComment: MARKER });
    assert.deepEqual([again.plan.create, again.plan.update, again.plan.delete], [[], [], []]);
    assert.equal(h.fake.requests.filter((r) => r.method !== 'GET').length, 0, 'converged: no writes');
  });

  it('reads a few desired names with one owned-records listing per zone plus one exact-name request per name', async () => {
    h.fake.resetRequests();
    const desired = ['n1.example.com', 'n2.example.com', 'n3.example.org'].map((hostname) => ({
      hostname,
      tunnelId: T1,
    }));
    await h.adapter.readDnsState(desired, MARKER);
    const lists = h.fake.requests.filter((r) => r.route === 'dns.list');
    const zoneCount = h.fake.state.zones.size;
    assert.equal(lists.length, zoneCount + desired.length);
    assert.equal(lists.filter((r) => r.query['comment.exact'] === MARKER).length, zoneCount);
    assert.deepEqual(
      lists
        .map((r) => r.query['name.exact'])
        .filter(Boolean)
        .sort(),
      desired.map((d) => d.hostname),
    );
    assert.ok(lists.every((r) => Number(r.query['per_page']) <= 100));
  });

  it('a create whose answer was lost is retried by the SDK and recognised as ours (no duplicate, no error)', async () => {
    h.fake.injectFault('dns.create', { kind: 'drop', when: 'after' });
    const adapter = h.adapterWith({ maxRetries: 1 });
    const result = await adapter.convergeDns({
      desired: [{ hostname: 'lost.example.com', tunnelId: T1 }],
      ownerComment: MARKER,
    });
    assert.equal(result.applied?.created.length, 1);
    assert.equal(h.fake.requestCount('dns.create'), 2);
    assert.equal(h.fake.records('example.com').filter((r) => r.name === 'lost.example.com').length, 1);
  });

  it('a foreign record appearing between plan and apply surfaces as a DNS conflict naming it', async () => {
    const adapter = h.adapterWith({});
    const intruder = h.fake.seedRecord('example.com', {
      type: 'A',
      name: 'race.example.com',
      content: '192.0.2.99',
    });
    const plan = {
      create: [
        {
          type: 'CNAME',
          name: 'race.example.com',
          content: tunnelTarget(T1),
          proxied: true,
          ttl: 1,
          comment: MARKER,
        } as const,
      ],
      update: [],
      delete: [],
      conflicts: [],
      unchanged: [],
      waiting: [],
    };
    await assert.rejects(adapter.applyDnsPlan(plan), (e: unknown) => {
      assert.ok(
        e instanceof TunnelbotError && e.code === 'TB_ERR_CLOUDFLARE_DNS_CONFLICT' && e.kind === 'conflict',
      );
      assert.match(
        e.message,
        new RegExp(`A race\\.example\\.com -> 192\\.0\\.2\\.99 \\(id ${intruder.id}\\)`),
      );
      return true;
    });
    assert.equal(h.fake.state.records.get(intruder.id)?.content, '192.0.2.99');
  });

  it('maps 9313 (comment too long for the plan) to its own code', async () => {
    h.fake.injectFault('dns.create', {
      kind: 'error',
      status: 400,
      code: 9313,
      message: 'DNS record comment exceeds the maximum length of 100 characters',
    });
    await assert.rejects(
      h.adapter.createDnsRecord({
        type: 'CNAME',
        name: 'c.example.com',
        content: tunnelTarget(T1),
        proxied: true,
        ttl: 1,
        comment: MARKER,
      }),
      (e: unknown) =>
        e instanceof TunnelbotError && e.code === 'TB_ERR_CLOUDFLARE_COMMENT_TOO_LONG' && e.kind === 'config',
    );
  });

  it('converges a zone of 10,000 records with one list request per page, not per record', async () => {
    const zone = 'big.example.net';
    const desired: { hostname: string; tunnelId: string }[] = [];
    for (let i = 0; i < 10_000; i++) {
      const name = `h${String(i).padStart(5, '0')}.${zone}`;
      if (i % 2 === 0) {
        desired.push({ hostname: name, tunnelId: T1 });
        if (i % 4 === 0) {
          h.fake.seedRecord(zone, {
            type: 'CNAME',
            name,
            content: tunnelTarget(T1),
            proxied: true,
            comment: MARKER,
          });
        } else {
          h.fake.seedRecord(zone, { type: 'TXT', name, content: 'unrelated' });
        }
      } else {
        h.fake.seedRecord(zone, {
          type: 'A',
          name,
          content: '192.0.2.1',
          comment: i % 3 === 0 ? MARKER : null,
        });
      }
    }
    const total = h.fake.records(zone).length;
    assert.equal(total, 10_000);
    h.fake.resetRequests();
    const result = await h.adapter.convergeDns({ desired, ownerComment: MARKER, dryRun: true });
    const zoneId = h.fake.zone(zone).id;
    const listCalls = h.fake.requests.filter((r) => r.route === 'dns.list' && r.path.includes(zoneId)).length;
    assert.equal(listCalls, Math.ceil(total / 100), 'one request per page of 100');
    assert.equal(result.plan.create.length, 2_500);
    assert.equal(result.plan.unchanged.length, 2_500);
    const ownedA = [...Array(10_000).keys()].filter((i) => i % 2 === 1 && i % 3 === 0).length;
    assert.equal(result.plan.delete.filter((d) => d.record.zoneId === zoneId).length, ownedA);
  });
});
