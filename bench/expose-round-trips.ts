/**
 * Sequential upstream round trips from `/expose linkding 9090` to the PR link in Slack. The real service (Bolt in
 * Socket Mode) runs against the Slack, GitHub and Cloudflare fakes; every fake answers every request no sooner than
 * LATENCY_MS. The wall time that latency adds, divided by LATENCY_MS, is the number of round trips the requester
 * waits for one after the other: calls issued in parallel count once. Requests are counted per service as well.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createLogger } from '../src/log.js';
import { startSandbox } from '../src/sandbox/sandbox.js';
import { FakeSlack, type FakeSlackMessage } from '../src/sandbox/slack/index.js';
import { ACTION_IDS } from '../src/transports/slack/blocks.js';
import { recordResults } from './results.js';

// Large beside the whole run's processing time (~300 ms): the fakes' own work hides inside their latency, so the
// measured figure is at most that fraction of a round trip below the true chain, and rounds to it.
const LATENCY_MS = 1000;
const GOAL = 6;
const BOT_TOKEN = 'xoxb-bench-0000000000-localfakeonly';
const APP_TOKEN = 'xapp-1-ABENCH-0000000000-localfakeonly';
const CHANNEL = 'C0BENCH0OPS';
const ALICE = { id: 'U0ALICE', name: 'alice', real_name: 'Alice' };
const BOB = { id: 'U0BOB', name: 'bob', real_name: 'Bob' };

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const hasButton = (message: FakeSlackMessage | undefined, actionId: string) =>
  JSON.stringify(message?.blocks ?? []).includes(`"action_id":"${actionId}"`);

interface Measurement {
  readonly wallMs: number;
  readonly github: number;
  readonly cloudflare: number;
  readonly slack: number;
}

export async function run(): Promise<{ roundTrips: number }> {
  const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
  const slack = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, users: [ALICE, BOB] });
  const { apiUrl } = await slack.start();
  const sandbox = await startSandbox({
    slack: { mode: 'socket', botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl },
    logger: silent,
    port: 0,
    fluxDelayMs: 60_000,
    slackTuning: { retries: 0 },
  });
  const { github, cloudflare } = sandbox;
  const setLatency = (ms: number) => {
    github.latencyMs = ms;
    slack.latencyMs = ms;
    cloudflare.clearFaults();
    if (ms > 0) cloudflare.injectFault('*', { kind: 'latency', ms }, 1_000_000);
  };
  /** /expose APP PORT until the root message offers the PR; then the request is rejected so it can run again. */
  const expose = async (app: string, port: number, latencyMs: number): Promise<Measurement> => {
    setLatency(latencyMs);
    const before = {
      github: github.requestCount,
      cloudflare: cloudflare.requests.length,
      slack: slack.calls.length,
      messages: slack.messages.length,
    };
    const started = performance.now();
    await slack.sendSlashCommand({
      command: '/expose',
      text: `${app} ${port}`,
      user_id: ALICE.id,
      channel_id: CHANNEL,
    });
    const root = await until('the PR link in Slack', () =>
      slack.messages
        .slice(before.messages)
        .find((m) => m.threadTs === undefined && hasButton(m, ACTION_IDS.approve)),
    );
    const wallMs = performance.now() - started;
    const measurement = {
      wallMs,
      github: github.requestCount - before.github,
      cloudflare: cloudflare.requests.length - before.cloudflare,
      slack: slack.calls.length - before.slack,
    };
    setLatency(0);
    await slack.clickButton({ messageTs: root.ts, actionId: ACTION_IDS.reject, userId: ALICE.id });
    await until('the rejection', () =>
      /(Withdrawn|Rejected) by/.test(slack.render(root)) ? true : undefined,
    );
    await until('the rejected request to be cleaned up', () =>
      cloudflare.tunnels().length === 0 ? true : undefined,
    );
    return measurement;
  };
  try {
    // Warm-up: the first request pays for JIT and connection set-up, which are not round trips.
    await expose('whoami', 80, 0);
    const without = await expose('linkding', 9090, 0);
    const withLatency = await expose('linkding', 9090, LATENCY_MS);
    const measured = (withLatency.wallMs - without.wallMs) / LATENCY_MS;
    const roundTrips = Math.round(measured);
    console.log(
      `/expose linkding 9090 -> PR link in Slack (Socket Mode; Slack, GitHub and Cloudflare fakes at ${LATENCY_MS} ms each)`,
    );
    console.log(`  wall without latency: ${without.wallMs.toFixed(0)} ms`);
    console.log(`  wall with latency:    ${withLatency.wallMs.toFixed(0)} ms`);
    console.log(
      `  sequential round trips: ${roundTrips} (${measured.toFixed(2)} measured; goal at most ${GOAL}: ${roundTrips <= GOAL ? 'met' : 'not met'})`,
    );
    console.log(
      `  requests: GitHub ${withLatency.github}, Cloudflare ${withLatency.cloudflare}, Slack Web API ${withLatency.slack}`,
    );
    await recordResults('expose-round-trips', {
      goal: `at most ${GOAL} sequential round trips`,
      latencyMs: LATENCY_MS,
      wallWithoutLatencyMs: Math.round(without.wallMs),
      wallWithLatencyMs: Math.round(withLatency.wallMs),
      sequentialRoundTrips: roundTrips,
      measuredRoundTrips: Math.round(measured * 100) / 100,
      met: roundTrips <= GOAL,
      requests: { github: withLatency.github, cloudflare: withLatency.cloudflare, slack: withLatency.slack },
    });
    return { roundTrips };
  } finally {
    await sandbox.stop();
    await slack.stop();
  }
}
