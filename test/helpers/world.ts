import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudflareAdapter } from '../../src/adapters/cloudflare/index.js';
import { GitHubProvider } from '../../src/adapters/github/provider.js';
import { parseSettings, validateSettings, type Settings } from '../../src/core/settings.js';
import { FakeCloudflare } from '../../src/sandbox/cloudflare/index.js';
import { SimulatedCluster } from '../../src/sandbox/cluster.js';
import { FakeGitHub } from '../../src/sandbox/github/server.js';
import type { WorkflowContext } from '../../src/workflows/context.js';
import { captureLogs } from './logs.js';
import { readFixtureRepo } from './fixtures.js';
import { ContractRecorder } from './openapi.js';
import { treeContents } from './trees.js';

export const BOT_TOKEN = 'ghp_tunnelbotWorldToken0123456789abcdef';
export const ALICE = { slackUserId: 'U0ALICE', name: 'Alice' };
export const BOB = { slackUserId: 'U0BOB', name: 'Bob' };

/**
 * The whole outside world of tunnelbot on loopback: a GitHub backed by a real git repository seeded with a
 * fixture GitOps repo, and a Cloudflare account with the fixture's zone, both reached through the real adapters.
 */
export interface World {
  github: FakeGitHub;
  cloudflare: FakeCloudflare;
  cloudflareBaseURL: string;
  context: WorkflowContext;
  settings: Settings;
  git: GitHubProvider;
  logs: () => string;
  /**
   * Flux applies a commit (the default branch's head by default): cloudflared runs for every tunnel it routes and
   * stops for those it no longer routes (src/sandbox/cluster.ts).
   */
  fluxApplies(sha?: string): Promise<{ started: string[]; stopped: string[] }>;
  /** Requests and responses through the fake GitHub that do not match GitHub's OpenAPI description. */
  contractViolations(): Promise<unknown[]>;
  /** Another pair of adapters on the same fakes, with their own per-request timeout. */
  adapters(timeoutMs: number): { git: GitHubProvider; cloudflare: CloudflareAdapter };
  /** Clones the default branch (or another) and returns the checkout's files. */
  checkout(branch?: string): { directory: string; files: Map<string, string> };
  close(): Promise<void>;
}

export async function startWorld(
  fixture = 'flux-example',
  options: {
    beforeGitHub?: (method: string, path: string) => Promise<void>;
    /** Per-request timeout of both adapters; small for tests of a service that never answers. */
    timeoutMs?: number;
    /** The repository's files instead of the fixture's (e.g. a sampleRepository with many apps). */
    files?: Record<string, string>;
  } = {},
): Promise<World> {
  const files = options.files ?? Object.fromEntries(readFixtureRepo(fixture).files);
  const settings = parseSettings(files['.tunnelbot.yaml'] ?? '', '.tunnelbot.yaml');
  const contract = new ContractRecorder();
  const github = await FakeGitHub.start({
    onExchange: contract.onExchange,
    files,
    tokens: { [BOT_TOKEN]: { login: 'tunnelbot[bot]', permission: 'write' } },
    ...(options.beforeGitHub && { beforeHandle: options.beforeGitHub }),
  });
  const cloudflare = new FakeCloudflare({ zones: ['example.com', 'hervedelaunay.com'] });
  const { baseURL } = await cloudflare.start();
  const logs = captureLogs();
  const adapters = (timeoutMs: number | undefined) => ({
    git: new GitHubProvider({
      auth: { kind: 'token', token: BOT_TOKEN },
      baseUrl: github.url,
      owner: github.owner.login,
      repo: github.repoName,
      logger: logs.logger,
      retryAndThrottle: false,
      ...(timeoutMs !== undefined && { timeoutMs }),
    }),
    cloudflare: new CloudflareAdapter({
      apiToken: cloudflare.apiToken,
      accountId: cloudflare.accountId,
      baseURL,
      maxRetries: 0,
      timeoutMs: timeoutMs ?? 5_000,
      logger: logs.logger,
      apiVersion: '2026-01-01',
    }),
  });
  const { git, cloudflare: adapter } = adapters(options.timeoutMs);
  const context: WorkflowContext = {
    git,
    cloudflare: adapter,
    settings,
    logger: logs.logger,
    now: () => new Date(),
  };
  const cluster = new SimulatedCluster(cloudflare, settings);
  return {
    github,
    cloudflare,
    cloudflareBaseURL: baseURL,
    async fluxApplies(sha) {
      return cluster.apply(await git.readSnapshot(sha ?? (await git.defaultBranch()).sha));
    },
    context,
    settings,
    git,
    adapters,
    logs: () => logs.text,
    contractViolations: () => contract.violations(),
    checkout(branch) {
      const directory = mkdtempSync(join(tmpdir(), 'tunnelbot-clone-'));
      execFileSync('git', ['clone', '-q', ...(branch ? ['-b', branch] : []), github.repoPath, directory]);
      const files = treeContents(directory);
      return { directory, files };
    },
    async close() {
      await github.close();
      await cloudflare.stop();
    },
  };
}

/**
 * The world's settings with the first environment's `access` set (and the `policy`, when given), validated as the
 * service would read them.
 */
export function settingsWith(
  world: World,
  change: { access?: Record<string, unknown>; policy?: Record<string, unknown> },
): Settings {
  const raw = JSON.parse(JSON.stringify(world.settings)) as Record<string, unknown> & {
    environments: Record<string, unknown>[];
  };
  if (change.access) raw.environments[0]!['access'] = change.access;
  if (change.policy) raw['policy'] = change.policy;
  return validateSettings(raw, 'test.yaml');
}

/** Everyone may request and approve (four-eyes still holds). */
export const EVERYONE = { request: { everyone: true }, approve: { everyone: true } };
