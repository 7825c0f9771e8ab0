/**
 * GitHub (a real git repository) and Cloudflare for bench/slack-ack.ts, in a process apart from the Slack fake and
 * from the service, as they are in production.
 *
 * Protocol (IPC): sends `{ready, ...places}` once listening; on `{stop: true}` exits.
 */
import { randomBytes } from 'node:crypto';
import { generateAgeKeyPair } from '../../src/gitops/sops/index.js';
import { FakeCloudflare } from '../../src/sandbox/cloudflare/index.js';
import { FakeGitHub } from '../../src/sandbox/github/server.js';
import { sampleRepository } from '../../src/sandbox/sample-repo.js';

const githubToken = `ghp_bench${randomBytes(12).toString('hex')}`;
const key = await generateAgeKeyPair();
const github = await FakeGitHub.start({
  files: sampleRepository(key.recipient),
  tokens: { [githubToken]: { login: 'tunnelbot[bot]', permission: 'write' } },
});
const cloudflare = new FakeCloudflare({ zones: ['example.com'] });
const { baseURL } = await cloudflare.start();

process.on('message', (message: { stop?: boolean }) => {
  if (message.stop) void Promise.all([github.close(), cloudflare.stop()]).finally(() => process.exit(0));
});

process.send!({
  ready: true,
  githubUrl: github.url,
  githubToken,
  owner: github.owner.login,
  repo: github.repoName,
  cloudflareUrl: baseURL,
  cloudflareToken: cloudflare.apiToken,
  accountId: cloudflare.accountId,
});
