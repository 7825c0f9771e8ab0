import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { GitHubProvider, type GitHubProviderOptions } from '../../src/adapters/github/provider.js';
import { FakeGitHub, type FakeGitHubOptions } from '../../src/sandbox/github/server.js';
import type { PrMetadata } from '../../src/core/pr-metadata.js';
import type { Logger } from '../../src/log.js';
import { captureLogs } from './logs.js';
import { ContractRecorder } from './openapi.js';

export const TOKEN = 'ghp_testTokenValue0123456789abcdefABCDEF';
export const READ_ONLY_TOKEN = 'ghp_readOnlyToken0123456789abcdefABCDEF';
export const HUMAN_TOKEN = 'ghp_humanMaintainer0123456789abcdefABCD';

export const SEED_FILES: Record<string, string> = {
  '.sops.yaml': 'creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    age: age1example\n',
  'clusters/home/apps/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - linkding\n',
  'clusters/home/apps/linkding/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: linkding\n',
  'clusters/home/apps/old/tunnel.yml': 'kind: ConfigMap\n',
  'README.md': '# GitOps\n',
};

export interface GitHubFixture {
  fake: FakeGitHub;
  contract: ContractRecorder;
  logs: () => string;
  logger: Logger;
  provider(overrides?: Partial<GitHubProviderOptions>): GitHubProvider;
  close(): Promise<void>;
}

export async function startGitHub(options: FakeGitHubOptions = {}): Promise<GitHubFixture> {
  const contract = new ContractRecorder();
  const fake = await FakeGitHub.start({
    files: SEED_FILES,
    tokens: {
      [TOKEN]: { login: 'tunnelbot-ci', permission: 'write' },
      [READ_ONLY_TOKEN]: { login: 'reader', permission: 'read' },
      [HUMAN_TOKEN]: { login: 'maintainer', permission: 'write' },
    },
    onExchange: contract.onExchange,
    ...options,
  });
  const captured = captureLogs();
  const { logger } = captured;
  const output = () => captured.text;
  return {
    fake,
    contract,
    logs: output,
    logger,
    provider: (overrides = {}) =>
      new GitHubProvider({
        auth: { kind: 'token', token: TOKEN },
        baseUrl: fake.url,
        owner: fake.owner.login,
        repo: fake.repoName,
        logger,
        retryAndThrottle: false,
        ...overrides,
      }),
    close: () => fake.close(),
  };
}

export function metadataFor(app: string, overrides: Partial<PrMetadata> = {}): PrMetadata {
  return {
    version: 1,
    action: 'expose',
    app,
    environment: 'home',
    hostname: `${app}.example.com`,
    tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
    namespace: app,
    port: 9090,
    slack: { channel: 'C0123ABCD', messageTs: '1700000000.000100' },
    requester: { slackUserId: 'U0REQUEST', name: 'Rita Requester' },
    ...overrides,
  };
}

const exec = promisify(execFile);

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd });
  return stdout.trim();
}

/** Clones the fake's bare repository at a branch and returns the checkout with every file's content. */
export async function cloneBranch(
  fake: FakeGitHub,
  branch: string,
): Promise<{ dir: string; files: Map<string, string>; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tunnelbot-clone-'));
  await exec('git', ['clone', '--quiet', '--branch', branch, fake.repoPath, dir]);
  const files = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(dir, path), await readFile(path, 'utf8'));
    }
  };
  await walk(dir);
  return { dir, files, dispose: () => rm(dir, { recursive: true, force: true }) };
}
