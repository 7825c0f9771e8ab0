import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { closedPort } from '../test/helpers/network.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateAgeKeyPair } from '../src/gitops/sops/index.js';
import { FakeCloudflare } from '../src/sandbox/cloudflare/index.js';
import { FakeGitHub } from '../src/sandbox/github/server.js';
import { sampleRepository } from '../src/sandbox/sample-repo.js';

/**
 * How fast `tunnelbot` answers, as a person or a script meets it: the installed binary (bin/tunnelbot.js runs the
 * compiled dist/, which this benchmark builds first) against `node -e ''` in the same run, so the ratio holds on
 * any machine (goal: at most 3x). Then `serve`: the time from spawn to its first 200 from /healthz and its
 * resident memory once idle, against fakes for GitHub and Cloudflare that live in this process, not in serve's.
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function rssMiB(pid: number): string {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? `${(Number(kib) / 1024).toFixed(1)} MiB` : 'n/a';
  } catch {
    return 'n/a (no /proc on this system)';
  }
}

async function serveFigures(): Promise<void> {
  const key = await generateAgeKeyPair();
  const github = await FakeGitHub.start({
    files: sampleRepository(key.recipient),
    tokens: { [TOKEN]: { login: 'tunnelbot[bot]', permission: 'write' } },
  });
  const cloudflare = new FakeCloudflare({ zones: ['example.com'] });
  const { baseURL } = await cloudflare.start();
  const settings = join(mkdtempSync(join(tmpdir(), 'tunnelbot-bench-')), 'tunnelbot.yaml');
  writeFileSync(
    settings,
    `repository: {owner: ${github.owner.login}, name: ${github.repoName}}\n` +
      'environments:\n  - {name: demo, path: apps/demo/tunnels, domain: example.com}\n',
  );
  const port = await closedPort();
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--without-slack'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: github.url,
      CLOUDFLARE_API_TOKEN: cloudflare.apiToken,
      CLOUDFLARE_ACCOUNT_ID: cloudflare.accountId,
      CLOUDFLARE_BASE_URL: baseURL,
      TUNNELBOT_SETTINGS: settings,
      LOG_LEVEL: 'warn',
    },
  });
  try {
    let readyMs: number | undefined;
    while (readyMs === undefined && performance.now() - started < 30_000) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) readyMs = performance.now() - started;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    if (readyMs === undefined) throw new Error('serve did not answer /healthz within 30 s');
    // Idle: the first housekeeping round and readiness check have run against the fakes.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    console.log(`serve: first 200 from /healthz after ${readyMs.toFixed(0)} ms (spawn included)`);
    console.log(`serve: idle RSS ${rssMiB(child.pid!)} after 3 s`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    await cloudflare.stop();
    await github.close();
  }
}

export async function run(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
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
  for (const [label] of cases) {
    const ms = median(times.get(label)!);
    const ratio = ms / baseline;
    const goal = label.startsWith('node')
      ? ''
      : ratio <= 3
        ? '  (goal <= 3x: met)'
        : '  (goal <= 3x: MISSED)';
    console.log(`${label.padEnd(26)} ${ms.toFixed(0).padStart(5)} ms  ${ratio.toFixed(2)}x${goal}`);
  }
  await serveFigures();
}
