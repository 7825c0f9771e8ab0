import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerComment } from '../../src/core/dns-plan.js';
import { TunnelbotError } from '../../src/errors.js';
import type { FakeFault, FakeRoute } from '../../src/sandbox/cloudflare/index.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';
import { closedPort } from '../helpers/network.js';

const MARKER = ownerComment('resilience');

function hasCode(code: string, kind: string) {
  return (e: unknown) => e instanceof TunnelbotError && e.code === code && e.kind === kind;
}

describe('Cloudflare retries, timeouts and error mapping', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare();
  });
  after(() => h.stop());
  afterEach(() => {
    h.fake.clearFaults();
    h.fake.resetRequests();
    h.fake.setPermissions(['account:read', 'tunnel:edit', 'zone:read', 'dns:edit']);
  });

  it('retries a 429 after the retry-after delay and succeeds', async () => {
    h.fake.rateLimit('zones.list', 1, 1);
    const started = Date.now();
    const zone = await h.adapterWith({ maxRetries: 2 }).findZone('a.example.com');
    const waited = Date.now() - started;
    assert.equal(zone.name, 'example.com');
    assert.equal(h.fake.requestCount('zones.list'), 2);
    // The SDK's own first backoff is at most 0.5 s; one second proves the header was honoured.
    assert.ok(waited >= 950, `waited only ${waited} ms`);
  });

  it('gives a rate-limit error (upstream) when 429 outlasts the retry budget', async () => {
    h.fake.rateLimit('zones.list', 3, 0);
    await assert.rejects(
      h.adapterWith({ maxRetries: 2 }).findZone('a.example.com'),
      hasCode('TB_ERR_CLOUDFLARE_RATE_LIMITED', 'upstream'),
    );
    assert.equal(h.fake.requestCount('zones.list'), 3);
  });

  it('retries a 5xx within the budget and gives an upstream error beyond it', async () => {
    const outage: FakeFault = { kind: 'error', status: 502, code: 10013, message: 'Bad gateway' };
    h.fake.injectFault('zones.list', outage, 1);
    assert.equal((await h.adapterWith({ maxRetries: 1 }).findZone('a.example.com')).name, 'example.com');
    h.fake.resetRequests();
    h.fake.injectFault('zones.list', outage, 2);
    await assert.rejects(h.adapterWith({ maxRetries: 1 }).findZone('a.example.com'), (e: unknown) => {
      assert.ok(hasCode('TB_ERR_CLOUDFLARE_UPSTREAM', 'upstream')(e));
      assert.match(
        (e as Error).message,
        /Could not list the zones of the account: Cloudflare answered 502 \(10013: Bad gateway\)/,
      );
      return true;
    });
    assert.equal(h.fake.requestCount('zones.list'), 2);
  });

  it('times out a slow answer per attempt and retries it', async () => {
    h.fake.injectFault('zones.list', { kind: 'latency', ms: 400 }, 1);
    await assert.rejects(
      h.adapterWith({ maxRetries: 0, timeoutMs: 100 }).findZone('a.example.com'),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_UNREACHABLE', 'upstream')(e) &&
        /could not connect to the Cloudflare API \(timed out/.test((e as Error).message),
    );
    h.fake.injectFault('zones.list', { kind: 'latency', ms: 400 }, 1);
    const zone = await h.adapterWith({ maxRetries: 1, timeoutMs: 100 }).findZone('a.example.com');
    assert.equal(zone.name, 'example.com');
  });

  it('gives an unreachable error (upstream) when the connection drops on every attempt', async () => {
    h.fake.injectFault('tunnel.list', { kind: 'drop', when: 'before' }, 1);
    await assert.rejects(
      h.adapterWith({ maxRetries: 0 }).listTunnels({ namePrefix: 'tb-' }),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_UNREACHABLE', 'upstream')(e) &&
        /could not connect to the Cloudflare API \(connection dropped/.test((e as Error).message),
    );
  });

  it('tells "could not connect" (refused, DNS) from "answered 500"', async () => {
    const closed = await closedPort();
    await assert.rejects(
      h.adapterWith({ maxRetries: 0, baseURL: `http://127.0.0.1:${closed}/client/v4` }).listTunnels({
        namePrefix: 'tb-',
      }),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_UNREACHABLE', 'upstream')(e) &&
        /could not connect to the Cloudflare API \(connection refused \(.*ECONNREFUSED/.test(
          (e as Error).message,
        ),
    );
    await assert.rejects(
      h.adapterWith({ maxRetries: 0, baseURL: 'http://tunnelbot-test.invalid/client/v4' }).listTunnels({
        namePrefix: 'tb-',
      }),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_UNREACHABLE', 'upstream')(e) &&
        /could not connect to the Cloudflare API \(DNS lookup failed/.test((e as Error).message),
    );
    h.fake.injectFault(
      'tunnel.list',
      { kind: 'error', status: 500, code: 10001, message: 'Internal error' },
      1,
    );
    await assert.rejects(
      h.adapterWith({ maxRetries: 0 }).listTunnels({ namePrefix: 'tb-' }),
      (e: unknown) => {
        assert.ok(hasCode('TB_ERR_CLOUDFLARE_UPSTREAM', 'upstream')(e));
        assert.match((e as Error).message, /Cloudflare answered 500 \(10001: Internal error\)/);
        return true;
      },
    );
  });

  it('maps a rejected token to a config error and a missing permission to a config error naming it', async () => {
    const badToken = 'wrong-token-value-1234567890';
    await assert.rejects(
      h.adapterWith({ apiToken: badToken }).listTunnels({ namePrefix: 'tb-' }),
      (e: unknown) => {
        assert.ok(hasCode('TB_ERR_CLOUDFLARE_AUTH', 'config')(e));
        assert.ok(!(e as Error).message.includes(badToken));
        return true;
      },
    );
    h.fake.setPermissions(['zone:read', 'dns:read']);
    await assert.rejects(h.adapter.createTunnel('tb-perm'), (e: unknown) => {
      assert.ok(hasCode('TB_ERR_CLOUDFLARE_PERMISSION', 'config')(e));
      assert.match((e as Error).message, /Account › Cloudflare Tunnel › Edit/);
      return true;
    });
    await assert.rejects(
      h.adapter.createDnsRecord({
        type: 'CNAME',
        name: 'p.example.com',
        content: 'x.cfargotunnel.com',
        proxied: true,
        ttl: 1,
        comment: MARKER,
      }),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_PERMISSION', 'config')(e) &&
        /Zone › DNS › Edit/.test((e as Error).message),
    );
  });

  for (const [code, expected, kind] of [
    [1013, 'TB_ERR_CLOUDFLARE_TUNNEL_EXISTS', 'conflict'],
    [1022, 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE', 'conflict'],
    [81053, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT', 'conflict'],
    [81054, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT', 'conflict'],
    [81057, 'TB_ERR_CLOUDFLARE_DNS_CONFLICT', 'conflict'],
    [9313, 'TB_ERR_CLOUDFLARE_COMMENT_TOO_LONG', 'config'],
  ] as const) {
    it(`maps Cloudflare error ${code} to ${expected}`, async () => {
      h.fake.injectFault('dns.create', { kind: 'error', status: code === 1013 ? 409 : 400, code });
      await assert.rejects(
        h.adapterWith({ maxRetries: 0 }).createDnsRecord({
          type: 'CNAME',
          name: 'm.example.com',
          content: 'x.cfargotunnel.com',
          proxied: true,
          ttl: 1,
          comment: MARKER,
        }),
        (e: unknown) => hasCode(expected, kind)(e) && new RegExp(`\\(${code}: `).test((e as Error).message),
      );
    });
  }

  it('maps an unexpected 4xx to an internal request error carrying Cloudflare code and message', async () => {
    h.fake.injectFault('zones.list', {
      kind: 'error',
      status: 400,
      code: 1004,
      message: 'DNS Validation Error',
    });
    await assert.rejects(
      h.adapterWith({}).findZone('a.example.com'),
      (e: unknown) =>
        hasCode('TB_ERR_CLOUDFLARE_REQUEST', 'internal')(e) &&
        /400 \(1004: DNS Validation Error\)/.test((e as Error).message),
    );
  });
});

describe('create tunnel, then DNS: a fault at any step followed by rollback leaves nothing behind', () => {
  const HOST = 'rollback.example.com';
  const faults: { route: FakeRoute; fault: FakeFault; times: number }[] = [];
  for (const route of ['tunnel.create', 'zones.list', 'dns.list', 'dns.create'] as const) {
    // retry-after 0 keeps the retried 503s fast; the budget of one retry is used up either way.
    faults.push({
      route,
      fault: { kind: 'error', status: 503, code: 10013, retryAfterSeconds: 0 },
      times: 2,
    });
    faults.push({ route, fault: { kind: 'drop', when: 'after' }, times: 1 });
  }

  for (const { route, fault, times } of faults) {
    it(`${fault.kind}${fault.kind === 'drop' ? ' after effect' : ` ${fault.kind === 'error' ? fault.status : ''}`} at ${route}`, async () => {
      const h = await startCloudflare({}, { maxRetries: 1 });
      try {
        h.fake.injectFault(route, fault, times);
        let tunnelId: string | null = null;
        let failedAt = 'none';
        try {
          const tunnel = await h.adapter.createTunnel('tb-rollback');
          tunnelId = tunnel.id;
          await h.adapter.convergeDns({ desired: [{ hostname: HOST, tunnelId }], ownerComment: MARKER });
          failedAt = 'pull request';
          throw new Error('opening the pull request failed');
        } catch (error) {
          if (failedAt === 'none')
            assert.ok(error instanceof TunnelbotError, `step error is a TunnelbotError: ${String(error)}`);
          if (tunnelId !== null) await h.adapter.rollbackTunnel(tunnelId, { ownerComment: MARKER });
        }
        assert.deepEqual(
          h.fake.tunnels().map((t) => t.name),
          [],
          'no live tunnel',
        );
        assert.deepEqual(
          h.fake.records().map((r) => r.name),
          [],
          'no DNS record',
        );
      } finally {
        await h.stop();
      }
    });
  }

  it('a rollback interrupted by a fault completes when called again', async () => {
    const h = await startCloudflare({}, { maxRetries: 0 });
    try {
      const tunnel = await h.adapter.createTunnel('tb-rollback-twice');
      await h.adapter.convergeDns({
        desired: [{ hostname: HOST, tunnelId: tunnel.id }],
        ownerComment: MARKER,
      });
      h.fake.injectFault('tunnel.delete', { kind: 'error', status: 500, code: 10001 });
      await assert.rejects(
        h.adapter.rollbackTunnel(tunnel.id, { ownerComment: MARKER }),
        hasCode('TB_ERR_CLOUDFLARE_UPSTREAM', 'upstream'),
      );
      assert.equal(h.fake.records().length, 0, 'records go first');
      const second = await h.adapter.rollbackTunnel(tunnel.id, { ownerComment: MARKER });
      assert.deepEqual(second.deletedRecords, []);
      assert.equal(h.fake.tunnels().length, 0);
    } finally {
      await h.stop();
    }
  });
});

describe('secrets never reach logs or error messages', () => {
  it('keeps the API token, tunnel secret and run token out of captured logs and errors', async () => {
    const apiToken = 'cf-api-token-SECRET-7f3a9c1e5b';
    const h = await startCloudflare({ apiToken }, { maxRetries: 1 });
    try {
      const texts: string[] = [];
      const created = await h.adapter.createTunnel('tb-secret');
      const secret = created.credentials.TunnelSecret;
      const runToken = Buffer.from(
        JSON.stringify({ a: h.fake.accountId, t: created.id, s: secret }),
      ).toString('base64');

      const adoptedSecret = h.fake.seedTunnel({ name: 'tb-secret-taken' }).secret;
      await h.adapter.createTunnel('tb-secret-taken');
      h.fake.injectFault('tunnel.token', { kind: 'error', status: 500, code: 10001 }, 5);
      await h.adapter
        .createTunnel('tb-secret-taken')
        .catch((e: Error) => texts.push(e.message, String(e.cause)));
      h.fake.clearFaults();
      h.fake.rateLimit('*', 1, 0);
      await h.adapter.convergeDns({
        desired: [{ hostname: 's.example.com', tunnelId: created.id }],
        ownerComment: MARKER,
      });
      h.fake.injectFault('dns.list', { kind: 'error', status: 503, code: 10013 }, 2);
      await h.adapter
        .rollbackTunnel(created.id, { ownerComment: MARKER })
        .catch((e: Error) => texts.push(e.message));
      await h.adapter.rollbackTunnel(created.id, { ownerComment: MARKER });
      await h
        .adapterWith({ apiToken: `${apiToken}-wrong` })
        .listTunnels({ namePrefix: 'tb-' })
        .catch((e: Error) => texts.push(e.message, JSON.stringify(e)));

      const logs = h.logs.text;
      assert.ok(logs.length > 0, 'the adapter logged something');
      assert.ok(texts.length >= 3);
      for (const haystack of [logs, ...texts]) {
        assert.ok(!haystack.includes(apiToken), 'API token leaked');
        assert.ok(!haystack.includes(secret), 'tunnel secret leaked');
        assert.ok(!haystack.includes(adoptedSecret), 'secret of the adopted tunnel leaked');
        assert.ok(!haystack.includes(runToken), 'run token leaked');
      }
    } finally {
      await h.stop();
    }
  });
});
