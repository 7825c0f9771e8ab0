/**
 * `tunnelbot doctor` when an API cannot be reached or fails: how long until it reports, for a refused connection,
 * an address that accepts and never answers, and a server that answers 500, with the doctor's own timeouts and
 * retries. The service's settings (30 s per attempt, three retries with backoff) are shown for the 500 case.
 */
import { performance } from 'node:perf_hooks';
import { checkCloudflare } from '../src/adapters/cloudflare/doctor.js';
import { checkGitHub } from '../src/adapters/github/doctor.js';
import { createLogger } from '../src/log.js';
import { FakeCloudflare } from '../src/sandbox/cloudflare/index.js';
import { FakeGitHub } from '../src/sandbox/github/server.js';
import { closedPort, silentServer } from '../test/helpers/network.js';

const TOKEN = 'ghp_benchDoctorToken0123456789abcdefABCD';

async function timed(run: () => Promise<{ detail: string }[]>): Promise<[seconds: string, detail: string]> {
  const started = performance.now();
  const [first] = await run();
  return [((performance.now() - started) / 1000).toFixed(1), (first?.detail ?? '').slice(0, 90)];
}

export async function run(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const refused = `http://127.0.0.1:${await closedPort()}`;
  const silent = await silentServer();
  const github = await FakeGitHub.start({ tokens: { [TOKEN]: { login: 'bench', permission: 'write' } } });
  const cloudflare = new FakeCloudflare();
  const { baseURL } = await cloudflare.start();
  const gh = (baseUrl: string, extra: { timeoutMs?: number; retries?: number } = {}) =>
    checkGitHub(
      { auth: { kind: 'token', token: TOKEN }, baseUrl, logger, ...extra },
      { owner: 'acme', name: 'gitops' },
    );
  const cf = (url: string) =>
    checkCloudflare(
      { apiToken: cloudflare.apiToken, accountId: cloudflare.accountId, baseURL: url, logger },
      [],
    );
  try {
    const rows: [string, [string, string]][] = [
      ['GitHub, connection refused', await timed(() => gh(refused))],
      ['GitHub, accepts and never answers', await timed(() => gh(silent.url))],
      ['GitHub, answers 500', await (github.failNext(500, 10), timed(() => gh(github.url)))],
      [
        'GitHub, answers 500 (service settings)',
        await (github.failNext(500, 10), timed(() => gh(github.url, { timeoutMs: 30_000, retries: 3 }))),
      ],
      ['Cloudflare, connection refused', await timed(() => cf(`${refused}/client/v4`))],
      ['Cloudflare, accepts and never answers', await timed(() => cf(`${silent.url}/client/v4`))],
      [
        'Cloudflare, answers 500',
        await (cloudflare.injectFault('token.verify', { kind: 'error', status: 500, code: 10001 }, 10),
        timed(() => cf(baseURL))),
      ],
    ];
    console.log('\ntunnelbot doctor: time to the first failed check');
    for (const [name, [seconds, detail]] of rows)
      console.log(`${name.padEnd(40)} ${seconds.padStart(5)} s  ${detail}`);
  } finally {
    await silent.close();
    await github.close();
    await cloudflare.stop();
  }
}
