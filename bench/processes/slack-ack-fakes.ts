/**
 * The outside world of bench/slack-ack.ts in a process of its own: the Slack fake (which also times each ack, as
 * Slack's side sees it), the GitHub fake (a real git repository) and the Cloudflare fake. Keeping them out of the
 * service's process means the service's event loop does only the service's work, as in production.
 *
 * Protocol (IPC): sends `{ready, ...places}` once listening; on `{burst: {count, rounds, texts}}` sends
 * `{latencies}` (ms, warm-up round dropped); on `{stop: true}` exits.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { generateAgeKeyPair } from '../../src/gitops/sops/index.js';
import { FakeCloudflare } from '../../src/sandbox/cloudflare/index.js';
import { FakeGitHub } from '../../src/sandbox/github/server.js';
import { sampleRepository } from '../../src/sandbox/sample-repo.js';
import { FakeSlack } from '../../src/sandbox/slack/index.js';

const [mode, servicePort, botToken, appToken, signingSecret] = process.argv.slice(2) as [
  'socket' | 'http',
  string,
  string,
  string,
  string,
];
const githubToken = `ghp_bench${randomBytes(12).toString('hex')}`;
const key = await generateAgeKeyPair();
const github = await FakeGitHub.start({
  files: sampleRepository(key.recipient),
  tokens: { [githubToken]: { login: 'tunnelbot[bot]', permission: 'write' } },
});
const cloudflare = new FakeCloudflare({ zones: ['example.com'] });
const { baseURL } = await cloudflare.start();
const slack = new FakeSlack({
  botToken,
  appToken,
  ...(mode === 'http' && {
    delivery: { mode: 'http' as const, url: `http://127.0.0.1:${servicePort}/slack/events`, signingSecret },
  }),
});
const { apiUrl } = await slack.start();

process.on(
  'message',
  (message: { burst?: { count: number; rounds: number; texts: string[] }; stop?: boolean }) => {
    if (message.stop) {
      void Promise.all([slack.stop(), github.close(), cloudflare.stop()]).finally(() => process.exit(0));
      return;
    }
    const burst = message.burst;
    if (!burst) return;
    void (async () => {
      const latencies: number[] = [];
      for (let round = 0; round <= burst.rounds; round += 1) {
        const times = await Promise.all(
          Array.from({ length: burst.count }, async (_, i) => {
            const started = performance.now();
            await slack.sendSlashCommand({
              command: '/expose',
              text: burst.texts[i % burst.texts.length]!,
              user_id: `U0BENCH${i}`,
            });
            return performance.now() - started;
          }),
        );
        if (round > 0) latencies.push(...times);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      process.send!({ latencies });
    })();
  },
);

process.send!({
  ready: true,
  apiUrl,
  githubUrl: github.url,
  githubToken,
  owner: github.owner.login,
  repo: github.repoName,
  cloudflareUrl: baseURL,
  cloudflareToken: cloudflare.apiToken,
  accountId: cloudflare.accountId,
});
