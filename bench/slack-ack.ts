/**
 * Slack's 3-second budget: how fast a slash command is acknowledged. 50 people type a command at once, in Socket
 * Mode and in HTTP mode, against the sandbox (the real service on the GitHub and Cloudflare fakes); latency runs
 * from the moment the Slack fake sends each command to the moment it holds the ack. `help` is the ack path alone;
 * `/expose` acks while the service starts real work (PRs, tunnels) for every command.
 *
 * The fakes run in this process, so their own cost (spawning git, the WebSocket and HTTP clients) lands in the same
 * event loop. The same run therefore measures bare Bolt (a listener that only acks) against the same fake, and the
 * ratio to it says what tunnelbot adds. Goal: p99 under 20 ms; Slack gives up at 3,000 ms.
 */
import { performance } from 'node:perf_hooks';
import { App, SocketModeReceiver } from '@slack/bolt';
import { createLogger } from '../src/log.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { FakeSlack } from '../src/sandbox/slack/index.js';
import { closedPort } from '../test/helpers/network.js';

const CONCURRENT = 50;
const ROUNDS = 3;
const BOT_TOKEN = 'xoxb-bench-0000000000-localfakeonly';
const APP_TOKEN = 'xapp-1-ABENCH-0000000000-localfakeonly';
const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const SETTLE_MS = 5000;

interface Latency {
  p50: number;
  p99: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ROUNDS rounds of 50 concurrent commands (after one warm-up round); `text(i)` is what person i types. */
async function burst(slack: FakeSlack, text: (i: number) => string): Promise<Latency> {
  const latencies: number[] = [];
  for (let round = 0; round <= ROUNDS; round += 1) {
    const times = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const started = performance.now();
        await slack.sendSlashCommand({ command: '/expose', text: text(i), user_id: `U0BENCH${i}` });
        return performance.now() - started;
      }),
    );
    if (round > 0) latencies.push(...times);
    await sleep(200);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function bareBolt(): Promise<Latency> {
  const slack = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  const { apiUrl } = await slack.start();
  const receiver = new SocketModeReceiver({
    appToken: APP_TOKEN,
    logger: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      setLevel() {},
      getLevel: () => 'error' as never,
      setName() {},
    },
    installerOptions: { clientOptions: { slackApiUrl: apiUrl } },
  });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    botId: 'B0FAKE0001',
    botUserId: 'U0FAKEBOT1',
    clientOptions: { slackApiUrl: apiUrl },
  });
  app.command('/expose', async ({ ack }) => {
    await ack('ok');
  });
  await app.start();
  try {
    return await burst(slack, () => 'help');
  } finally {
    await receiver.client.disconnect();
    await slack.stop();
  }
}

async function tunnelbot(mode: 'socket' | 'http'): Promise<{ help: Latency; expose: Latency }> {
  const port = mode === 'http' ? await closedPort() : 0;
  const slack = new FakeSlack({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    ...(mode === 'http' && {
      delivery: {
        mode: 'http' as const,
        url: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
      },
    }),
  });
  const { apiUrl } = await slack.start();
  const sandbox = await startSandbox({
    slack: {
      mode,
      botToken: BOT_TOKEN,
      apiUrl,
      ...(mode === 'socket' ? { appToken: APP_TOKEN } : { signingSecret: SIGNING_SECRET }),
    },
    logger: createLogger({ level: 'silent' }),
    port,
    fluxDelayMs: 600_000,
    slackTuning: { retries: 0 },
  });
  try {
    // Start-up's first housekeeping round reads the repository; let it finish.
    await sleep(SETTLE_MS);
    const help = await burst(slack, () => 'help');
    const expose = await burst(slack, (i) => (i % 2 === 0 ? 'linkding 9090' : 'whoami 80'));
    // The work after the acks (PRs, duplicates told) ends before the fakes go away.
    await sleep(SETTLE_MS);
    return { help, expose };
  } finally {
    await sandbox.stop();
    await slack.stop();
  }
}

function line(label: string, latency: Latency, base?: Latency): string {
  const ratio = base ? `, ${(latency.p99 / base.p99).toFixed(2)}× bare Bolt's p99` : '';
  return `${label.padEnd(34)} p50 ${latency.p50.toFixed(1).padStart(6)} ms  p99 ${latency.p99.toFixed(1).padStart(6)} ms${ratio}`;
}

export async function run(): Promise<Record<string, number>> {
  console.log(
    `${CONCURRENT} concurrent slash commands, ${ROUNDS} rounds; goal p99 < 20 ms (Slack allows 3,000 ms)`,
  );
  const base = await bareBolt();
  console.log(line('bare Bolt, Socket Mode, ack only', base));
  const figures: Record<string, number> = { slack_ack_bare_bolt_p99_ms: base.p99 };
  for (const mode of ['socket', 'http'] as const) {
    const { help, expose } = await tunnelbot(mode);
    console.log(line(`tunnelbot ${mode}, /expose help`, help, base));
    console.log(line(`tunnelbot ${mode}, /expose APP PORT`, expose, base));
    figures[`slack_ack_${mode}_help_p50_ms`] = Number(help.p50.toFixed(2));
    figures[`slack_ack_${mode}_help_p99_ms`] = Number(help.p99.toFixed(2));
    figures[`slack_ack_${mode}_expose_p50_ms`] = Number(expose.p50.toFixed(2));
    figures[`slack_ack_${mode}_expose_p99_ms`] = Number(expose.p99.toFixed(2));
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
