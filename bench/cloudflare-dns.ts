// DNS convergence cost against the local fake Cloudflare: requests per convergence and wall time, for zones of
// growing size. Prints a table; asserts nothing. Run: node --import tsx bench/cloudflare-dns.ts
import { recordResults } from './results.js';
import { CloudflareAdapter } from '../src/adapters/cloudflare/index.js';
import { ownerComment, tunnelTarget } from '../src/core/dns-plan.js';
import { FakeCloudflare } from '../src/sandbox/cloudflare/index.js';
import { createLogger } from '../src/log.js';

const MARKER = ownerComment('bench');

async function measure(zoneSize: number, desiredCount: number) {
  const zone = 'bench.example.com';
  const fake = new FakeCloudflare({ zones: [zone] });
  const { baseURL } = await fake.start();
  // A running cloudflared, so the new hostnames get their records (one connector lookup per convergence).
  const TUNNEL = fake.seedTunnel({ name: 'bench-tunnel' }).id;
  fake.startCloudflared(TUNNEL);
  try {
    for (let i = 0; i < zoneSize; i++) {
      const name = `r${i}.${zone}`;
      const ours = i < desiredCount / 2;
      fake.seedRecord(
        zone,
        ours
          ? { type: 'CNAME', name, content: tunnelTarget(TUNNEL), proxied: true, comment: MARKER }
          : { type: 'A', name, content: '192.0.2.1' },
      );
    }
    const desired = Array.from({ length: desiredCount }, (_, i) => ({
      hostname: i < desiredCount / 2 ? `r${i}.${zone}` : `new${i}.${zone}`,
      tunnelId: TUNNEL,
    }));
    const adapter = new CloudflareAdapter({
      apiToken: fake.apiToken,
      accountId: fake.accountId,
      baseURL,
      logger: createLogger({ level: 'silent' }),
      apiVersion: '2026-01-01',
    });
    fake.resetRequests();
    const started = performance.now();
    const first = await adapter.convergeDns({ desired, ownerComment: MARKER });
    const firstMs = performance.now() - started;
    const firstRequests = fake.requests.length;
    const firstLists = fake.requestCount('dns.list');
    const firstConnectorLookups = fake.requestCount('connections.get');
    fake.resetRequests();
    const again = performance.now();
    await adapter.convergeDns({ desired, ownerComment: MARKER });
    const steadyMs = performance.now() - again;
    const steadyConnectorLookups = fake.requestCount('connections.get');
    return {
      zoneSize,
      desired: desiredCount,
      created: first.applied?.created.length ?? 0,
      firstRequests,
      firstLists,
      firstConnectorLookups,
      firstMs: Math.round(firstMs),
      steadyRequests: fake.requests.length,
      steadyConnectorLookups,
      steadyMs: Math.round(steadyMs),
    };
  } finally {
    await fake.stop();
  }
}

export async function run(): Promise<void> {
  const rows = [];
  for (const [zoneSize, desired] of [
    [100, 4],
    [1_000, 4],
    [10_000, 4],
    [1_000, 200],
    [10_000, 200],
    [10_000, 2_000],
  ] as const) {
    rows.push(await measure(zoneSize, desired));
  }
  console.log('DNS convergence against the fake Cloudflare (per_page 100)');
  console.table(rows);
  await recordResults('cloudflare-dns', { zones: rows });
}
