import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PullRequestInfo } from '../../src/core/git-provider.js';
import { registerSecret } from './leak-scan.js';
import { BOT_TOKEN, type World } from './world.js';

export const WEBHOOK_SECRET = 'webhook-secret-0123456789';
registerSecret('GitHub webhook secret', WEBHOOK_SECRET);

/** The environment an operator would give `tunnelbot serve`, pointing at the fakes. */
export function serviceEnvironment(
  world: World,
  extra: NodeJS.ProcessEnv = {},
  moreSettings = '',
): NodeJS.ProcessEnv {
  const { directory } = world.checkout();
  const settings = join(directory, 'tunnelbot.yaml');
  writeFileSync(
    settings,
    `repository: {owner: ${world.github.owner.login}, name: ${world.github.repoName}}\n` +
      'environments:\n  - {name: staging, path: apps/staging/tunnels, domain: example.com}\n' +
      moreSettings,
  );
  return {
    GITHUB_TOKEN: BOT_TOKEN,
    GITHUB_API_URL: world.github.url,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    CLOUDFLARE_API_TOKEN: world.cloudflare.apiToken,
    CLOUDFLARE_ACCOUNT_ID: world.cloudflare.accountId,
    CLOUDFLARE_BASE_URL: world.cloudflareBaseURL,
    TUNNELBOT_SETTINGS: settings,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Polls `check` for up to five seconds; for effects that happen after a webhook was acknowledged. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The `pull_request.closed` delivery GitHub sends when `pr` is merged as `mergeSha`. */
export function mergedPullRequestDelivery(pr: PullRequestInfo, mergeSha: string): string {
  return JSON.stringify({
    action: 'closed',
    number: pr.number,
    pull_request: {
      number: pr.number,
      state: 'closed',
      body: pr.body,
      merged: true,
      merge_commit_sha: mergeSha,
      head: { ref: pr.headRef, sha: pr.headSha },
      base: { ref: pr.baseRef, sha: mergeSha },
    },
    repository: { full_name: 'acme/gitops' },
    sender: { login: 'bob' },
  });
}

/** POSTs a GitHub webhook delivery to a running service, signed with WEBHOOK_SECRET unless `signed` is false. */
export function deliverGitHub(url: string, body: string, delivery: string, signed = true): Promise<Response> {
  return fetch(`${url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': delivery,
      ...(signed && {
        'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      }),
    },
    body,
  });
}
