/**
 * Slack's side of bench/slack-ack.ts in a process of its own: the Slack fake, which also times each ack as Slack's
 * side sees it. GitHub and Cloudflare live in another process (slack-ack-upstreams.ts): Slack's servers do not run
 * our GitHub, so the git work the fakes do for earlier commands must not delay the reading of later acks.
 *
 * Argv: mode (socket | http), the app's port (http), bot token, app token, signing secret.
 * Protocol (IPC): sends `{ready, apiUrl}` once listening; on `{burst: {count, rounds, texts}}` sends `{latencies}`
 * (ms, warm-up round dropped); on `{stop: true}` exits.
 */
import { performance } from 'node:perf_hooks';
import { FakeSlack } from '../../src/sandbox/slack/index.js';

const [mode, appPort, botToken, appToken, signingSecret] = process.argv.slice(2) as [
  'socket' | 'http',
  string,
  string,
  string,
  string,
];
const slack = new FakeSlack({
  botToken,
  appToken,
  ...(mode === 'http' && {
    delivery: { mode: 'http' as const, url: `http://127.0.0.1:${appPort}/slack/events`, signingSecret },
  }),
});
const { apiUrl } = await slack.start();

process.on(
  'message',
  (message: { burst?: { count: number; rounds: number; texts: string[] }; stop?: boolean }) => {
    if (message.stop) {
      void slack.stop().finally(() => process.exit(0));
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

process.send!({ ready: true, apiUrl });
