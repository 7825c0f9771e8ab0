import { captureLogs } from './logs.js';
import { CloudflareAdapter, type CloudflareOptions } from '../../src/adapters/cloudflare/index.js';
import { FakeCloudflare, type FakeCloudflareOptions } from '../../src/sandbox/cloudflare/index.js';

export interface CloudflareHarness {
  fake: FakeCloudflare;
  adapter: CloudflareAdapter;
  baseURL: string;
  logs: ReturnType<typeof captureLogs>;
  options: CloudflareOptions;
  /** A second adapter on the same fake with other options (retries, timeout). */
  adapterWith(overrides: Partial<CloudflareOptions>): CloudflareAdapter;
  stop(): Promise<void>;
}

/** A fake Cloudflare on loopback and an adapter talking to it through the real SDK. */
export async function startCloudflare(
  fakeOptions: FakeCloudflareOptions = {},
  adapterOptions: Partial<CloudflareOptions> = {},
): Promise<CloudflareHarness> {
  const fake = new FakeCloudflare({
    zones: ['example.com', 'apps.example.com', 'example.org'],
    ...fakeOptions,
  });
  const { baseURL } = await fake.start();
  const logs = captureLogs();
  const options: CloudflareOptions = {
    apiToken: fake.apiToken,
    accountId: fake.accountId,
    baseURL,
    maxRetries: 2,
    timeoutMs: 5_000,
    logger: logs.logger,
    apiVersion: '2026-01-01',
    ...adapterOptions,
  };
  return {
    fake,
    adapter: new CloudflareAdapter(options),
    baseURL,
    logs,
    options,
    adapterWith: (overrides) => new CloudflareAdapter({ ...options, ...overrides }),
    stop: () => fake.stop(),
  };
}
