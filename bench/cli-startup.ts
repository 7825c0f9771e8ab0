import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dockerfileStages, stageEnvironment } from '../test/helpers/dockerfile.js';
import { closedPort } from '../test/helpers/network.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateAgeKeyPair } from '../src/gitops/sops/index.js';
import { FakeCloudflare } from '../src/sandbox/cloudflare/index.js';
import { FakeGitHub } from '../src/sandbox/github/server.js';
import { sampleRepository } from '../src/sandbox/sample-repo.js';
import { FakeSlack } from '../src/sandbox/slack/index.js';
import { SLACK_APP_TOKEN, SLACK_BOT_TOKEN } from '../test/helpers/slack.js';
import { recordResults } from './results.js';
import { median } from './stats.js';

/**
 * How fast `tunnelbot` answers, as a person or a script meets it: the installed binary (bin/tunnelbot.js runs the
 * compiled dist/, which this benchmark builds first) against `node -e ''` in the same run, so the ratio holds on
 * any machine (goal: at most 3x). Then `serve`: the time from spawn to its first 200 from /readyz (goal under 1 s)
 * and its resident memory once idle, V8's idle-time collections done (goal under 80 MiB), with Slack in Socket Mode
 * and without Slack, against fakes of GitHub, Cloudflare and Slack that live in this process, not in serve's. Beside them, measured alike, the floors
 * serve stands on: node with an idle event loop, and Bolt alone in Socket Mode (bench/processes/bare-bolt-socket.mjs),
 * and serve as the image runs it (with the environment the Dockerfile sets: V8's and glibc's memory settings).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'tunnelbot.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'cloudflared', 'seed.yaml');
const RUNS = 15;
const TOKEN = 'ghp_benchTokenForTheLocalFakeOnly00000000';

function wallMs(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/** Resident memory of `pid` in MiB, from /proc (Linux); undefined where there is none. */
function rssMiB(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const SERVE_RUNS = 5;
/**
 * How long after its readiness a process is left alone before its RSS is read. Idle is what an operator's `kubectl
 * top` shows of a service nobody is using, not its first seconds: about 8 s after the last of its start-up garbage
 * collections, V8's memory reducer sees a process that no longer allocates and runs the full collections that shrink
 * its heap (`--trace-gc` prints them as "Mark-Compact (reduce)"). serve holds about 8 MiB less once they have run;
 * 15 s is past them with room to spare.
 */
const IDLE_MS = 15_000;
const READY_GOAL_MS = 1_000;
const RSS_GOAL_MIB = 80;

/** A process of the benchmark, running: when it was ready, and how to read its memory and stop it. */
interface Running {
  readyAt: number;
  rssMiB(): number | undefined;
  stop(): Promise<void>;
}

/** Spawns `node ARGS` (counted ready from now), with stderr kept for the error of a process that exits early. */
function spawnNode(args: string[], env?: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(env && { env }),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  return {
    child,
    readyAt: performance.now(),
    stderr: () => stderr,
    rssMiB: () => (child.exitCode === null ? rssMiB(child.pid!) : undefined),
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/**
 * One `tunnelbot serve` as a child process against the fakes in this process, left running: the time from spawn to
 * the first 200 from /readyz (GitHub reached and, with Slack, Socket Mode connected after Slack's hello).
 */
async function startServe(env: NodeJS.ProcessEnv, args: string[]): Promise<Running & { readyMs: number }> {
  const port = await closedPort();
  const started = performance.now();
  const node = spawnNode([BIN, 'serve', ...args], { ...env, PORT: String(port) });
  let readyMs: number | undefined;
  while (readyMs === undefined && performance.now() - started < 30_000 && node.child.exitCode === null) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      await response.arrayBuffer();
      if (response.status === 200) readyMs = performance.now() - started;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  if (readyMs === undefined) {
    await node.stop();
    throw new Error(`serve ${args.join(' ')} was not ready within 30 s: ${node.stderr()}`);
  }
  return { ...node, readyMs, readyAt: performance.now() };
}

const BARE_BOLT = join(ROOT, 'bench', 'processes', 'bare-bolt-socket.mjs');

const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Prints the median idle RSS of `runs` (undefined where /proc is missing) with `note`, and returns its figures. */
function idleRssFigures(
  label: string,
  runs: readonly (number | undefined)[],
  note: (medianMiB: number) => string,
): { idleRssMiB: number | null; idleRssRunsMiB: number[] } {
  const rss = runs.filter((value): value is number => value !== undefined);
  const rssMedian = rss.length ? median(rss) : undefined;
  console.log(
    `${label.padEnd(28)} idle RSS ${IDLE_MS / 1000} s after ready ${
      rssMedian === undefined
        ? 'n/a (no /proc on this system)  (not measured)'
        : `${rssMedian.toFixed(1)} MiB  (${note(rssMedian)})`
    }`,
  );
  return {
    idleRssMiB: rssMedian === undefined ? null : Number(rssMedian.toFixed(1)),
    idleRssRunsMiB: rss.map((value) => Number(value.toFixed(1))),
  };
}

async function serveFigures(): Promise<Record<string, unknown>> {
  const key = await generateAgeKeyPair();
  const github = await FakeGitHub.start({
    files: sampleRepository(key.recipient),
    tokens: { [TOKEN]: { login: 'tunnelbot[bot]', permission: 'write' } },
  });
  const cloudflare = new FakeCloudflare({ zones: ['example.com'] });
  const { baseURL } = await cloudflare.start();
  const slack = new FakeSlack({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
  const { apiUrl } = await slack.start();
  const settings = join(mkdtempSync(join(tmpdir(), 'tunnelbot-bench-')), 'tunnelbot.yaml');
  writeFileSync(
    settings,
    `repository: {owner: ${github.owner.login}, name: ${github.repoName}}\n` +
      'environments:\n  - {name: demo, path: apps/demo/tunnels, domain: example.com}\n',
  );
  // Every route serve can offer: Slack in Socket Mode, the GitHub and Flux webhooks.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: github.url,
    GITHUB_WEBHOOK_SECRET: 'bench-github-webhook-secret-0123',
    FLUX_WEBHOOK_TOKEN: 'bench-flux-webhook-token-012345',
    CLOUDFLARE_API_TOKEN: cloudflare.apiToken,
    CLOUDFLARE_ACCOUNT_ID: cloudflare.accountId,
    CLOUDFLARE_BASE_URL: baseURL,
    SLACK_BOT_TOKEN,
    SLACK_APP_TOKEN,
    SLACK_API_URL: apiUrl,
    TUNNELBOT_SETTINGS: settings,
    LOG_LEVEL: 'warn',
  };
  // As the image runs it: with the environment its Dockerfile's runtime stage sets (V8's and glibc's memory settings).
  const runtime = dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1);
  const image = { ...env, ...(runtime && stageEnvironment(runtime)) };
  if (!image.NODE_OPTIONS) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  const variants: Array<[label: string, key: string, args: string[], env: NodeJS.ProcessEnv]> = [
    ['serve (Socket Mode)', 'socketMode', [], env],
    ['serve --without-slack', 'withoutSlack', ['--without-slack'], env],
    ['serve, image (Socket Mode)', 'socketModeImage', [], image],
    ['serve, image, without Slack', 'withoutSlackImage', ['--without-slack'], image],
  ];
  // What serve stands on, measured alike: node with an empty event loop, and Bolt alone in Socket Mode.
  const floors: Array<[label: string, key: string, args: string[]]> = [
    ['node, an idle event loop', 'nodeIdle', ['-e', 'setInterval(() => {}, 1000)']],
    ['bare Bolt, Socket Mode', 'bareBoltSocketMode', [BARE_BOLT, apiUrl, SLACK_BOT_TOKEN, SLACK_APP_TOKEN]],
  ];
  const figures: Record<string, unknown> = {};
  try {
    const ready = new Map<string, number[]>(variants.map(([, key]) => [key, []]));
    const rss = new Map<string, (number | undefined)[]>([...variants, ...floors].map(([, key]) => [key, []]));
    // Readiness first, one serve at a time with nothing else running, interleaved as above.
    for (let i = 0; i < SERVE_RUNS; i += 1) {
      for (const [, key, args, variantEnv] of variants) {
        const serve = await startServe(variantEnv, args);
        ready.get(key)!.push(serve.readyMs);
        await serve.stop();
      }
    }
    // Then memory: a round starts every process one after the other, leaves them all idle for IDLE_MS after the last
    // was ready and reads their memory at once, so five rounds take about as long as one process's idle wait each.
    for (let i = 0; i < SERVE_RUNS; i += 1) {
      const running: Array<[key: string, node: Running]> = [];
      try {
        for (const [, key, args, variantEnv] of variants) {
          running.push([key, await startServe(variantEnv, args)]);
        }
        // A floor has nothing to be ready for: it counts as ready once spawned.
        for (const [, key, args] of floors) running.push([key, spawnNode(args)]);
        const lastReady = Math.max(...running.map(([, node]) => node.readyAt));
        await new Promise((resolve) => setTimeout(resolve, lastReady + IDLE_MS - performance.now()));
        for (const [key, node] of running) rss.get(key)!.push(node.rssMiB());
      } finally {
        await Promise.all(running.map(([, node]) => node.stop()));
      }
    }
    for (const [label, key] of variants) {
      const readyMs = median(ready.get(key)!);
      console.log(
        `${label.padEnd(28)} ready (first 200 from /readyz, spawn included) ${readyMs.toFixed(0).padStart(5)} ms` +
          `  (goal < ${READY_GOAL_MS} ms: ${met(readyMs < READY_GOAL_MS)})`,
      );
      figures[key] = {
        readyMs: Math.round(readyMs),
        readyRunsMs: ready.get(key)!.map(Math.round),
        ...idleRssFigures(
          label,
          rss.get(key)!,
          (value) => `goal < ${RSS_GOAL_MIB} MiB: ${met(value < RSS_GOAL_MIB)}`,
        ),
      };
    }
    console.log(
      `serve: median of ${SERVE_RUNS} runs each, against loopback fakes of GitHub, Cloudflare and Slack`,
    );
    for (const [label, key] of floors) {
      figures[key] = idleRssFigures(label, rss.get(key)!, () => 'the floor beneath serve');
    }
  } finally {
    await slack.stop();
    await cloudflare.stop();
    await github.close();
  }
  return {
    goal: `ready < ${READY_GOAL_MS} ms, idle RSS < ${RSS_GOAL_MIB} MiB`,
    runs: SERVE_RUNS,
    idleMs: IDLE_MS,
    ...figures,
  };
}

export async function run(): Promise<void> {
  // `npm run build`, not tsc alone: the build also bundles the Cloudflare client serve loads.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  console.log(
    `runs from dist/ through bin/tunnelbot.js (built just now; no tsx), median of ${RUNS} runs each`,
  );

  const cases: Array<[label: string, args: string[]]> = [
    ["node -e ''", ['-e', '']],
    ['tunnelbot --help', [BIN, '--help']],
    ['tunnelbot validate FILE', [BIN, 'validate', FIXTURE]],
    ['tunnelbot rule FILE URL', [BIN, 'rule', FIXTURE, 'https://hello.example.com/']],
  ];
  const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  // Interleaved, so a slower moment of the machine weighs on every case alike.
  for (let i = 0; i < RUNS; i += 1) {
    for (const [label, args] of cases) times.get(label)!.push(wallMs(args));
  }
  const baseline = median(times.get("node -e ''")!);
  const commands: Record<string, { ms: number; ratio: number }> = {};
  for (const [label] of cases) {
    const ms = median(times.get(label)!);
    const ratio = ms / baseline;
    const goal = label.startsWith('node')
      ? ''
      : ratio <= 3
        ? '  (goal <= 3x: met)'
        : '  (goal <= 3x: MISSED)';
    console.log(`${label.padEnd(26)} ${ms.toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}x${goal}`);
    commands[label] = { ms: Math.round(ms), ratio: Number(ratio.toFixed(2)) };
  }
  await recordResults('cli-startup', { goal: 'at most 3x node -e', runs: RUNS, commands });
  await recordResults('serve-startup', await serveFigures(), 'cli-startup');
}
