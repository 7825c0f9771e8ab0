import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { GitHubProvider } from '../../../src/adapters/github/provider.js';
import { TunnelbotError } from '../../../src/errors.js';
import { captureLogs } from '../../helpers/logs.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function provider(baseUrl: string, timeoutMs?: number): GitHubProvider {
  return new GitHubProvider({
    auth: { kind: 'token', token: 'ghp_example' },
    baseUrl,
    owner: 'acme',
    repo: 'gitops',
    logger: captureLogs().logger,
    retryAndThrottle: false,
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
}

async function failure(promise: Promise<unknown>): Promise<TunnelbotError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TunnelbotError, String(error));
    return error;
  }
  assert.fail('expected a failure');
}

test(
  'a GitHub that accepts the connection and never answers times out as an outage',
  { timeout: 10_000 },
  async (t) => {
    const hung = await serve(() => {});
    t.after(() => {
      hung.server.closeAllConnections();
      hung.server.close();
    });
    const error = await failure(provider(hung.url, 200).defaultBranch());
    assert.equal(error.code, 'TB_ERR_GITHUB_UNREACHABLE');
    assert.equal(error.kind, 'upstream');
    assert.match(error.message, /^Could not connect to GitHub while .*: timed out/);
  },
);

test('"could not connect" is told apart from "answered 500"', async (t) => {
  const closed = await serve(() => {});
  await new Promise((resolve) => closed.server.close(resolve));
  const refused = await failure(provider(closed.url).defaultBranch());
  assert.equal(refused.code, 'TB_ERR_GITHUB_UNREACHABLE');
  assert.match(refused.message, /^Could not connect to GitHub while .*connection refused/);

  const broken = await serve((_request, response) => {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: 'Server Error' }));
  });
  t.after(() => broken.server.close());
  const answered = await failure(provider(broken.url).defaultBranch());
  assert.equal(answered.code, 'TB_ERR_GITHUB_UNAVAILABLE');
  assert.match(answered.message, /^GitHub answered 500 while .*: Server Error\.$/);
});
