import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { GitHubProvider } from '../src/adapters/github/provider.js';
import type { ChangeSet } from '../src/core/changeset.js';
import type { PrMetadata } from '../src/core/pr-metadata.js';
import { FakeGitHub, type FakeExchange } from '../src/sandbox/github/server.js';
import { createLogger } from '../src/log.js';

/**
 * Sequential round trips from "change set ready" to "PR open". The fake answers every request in a fixed latency, so
 * wall time / latency counts the round trips the requester waits for in Slack (the remainder is client CPU); the
 * request timeline gives the exact chain, and `requests` counts every call including those issued in parallel.
 * Retry/throttle plugins are off: in production throttling alone spaces writes 1 s apart.
 */

// Above the fake's own git work per request (up to ~200 ms on a slow disk), so every request costs exactly this much.
const LATENCY_MS = 250;
const TOKEN = 'bench-token';

function metadata(app: string): PrMetadata {
  return {
    version: 1,
    action: 'expose',
    app,
    environment: 'home',
    hostname: `${app}.example.com`,
    requester: { slackUserId: 'U0BENCH' },
  };
}

function changeSet(app: string): ChangeSet {
  return {
    files: [
      {
        path: `clusters/home/apps/${app}/tunnel.yaml`,
        content: `kind: ConfigMap\nname: ${app}\n`,
        change: 'added',
      },
      {
        path: `clusters/home/apps/${app}/secret.sops.yaml`,
        content: `kind: Secret\nname: ${app}\n`,
        change: 'added',
      },
      {
        path: 'clusters/home/apps/kustomization.yaml',
        content: `resources:\n  - ${app}\n`,
        change: 'modified',
      },
    ],
    summary: `Expose ${app}`,
    warnings: [],
  };
}

/** Longest chain of requests that did not overlap in time: the round trips a caller waits for one after another. */
function sequentialRoundTrips(exchanges: readonly FakeExchange[]): number {
  let chain = 0;
  let lastEnd = -Infinity;
  for (const exchange of [...exchanges].sort((a, b) => a.finishedAt - b.finishedAt)) {
    if (exchange.startedAt >= lastEnd) {
      chain += 1;
      lastEnd = exchange.finishedAt;
    }
  }
  return chain;
}

export async function run(): Promise<void> {
  const exchanges: FakeExchange[] = [];
  const fake = await FakeGitHub.start({
    onExchange: (exchange) => exchanges.push(exchange),
    files: { 'clusters/home/apps/kustomization.yaml': 'resources: []\n' },
    tokens: { [TOKEN]: { login: 'bench', permission: 'write' } },
  });
  const silent = createLogger(
    { level: 'silent' },
    new Writable({ write: (_chunk, _encoding, done) => done() }),
  );
  const provider = () =>
    new GitHubProvider({
      auth: { kind: 'token', token: TOKEN },
      baseUrl: fake.url,
      owner: fake.owner.login,
      repo: fake.repoName,
      logger: silent,
      retryAndThrottle: false,
    });
  const rows: string[][] = [];
  const measure = async (label: string, action: () => Promise<unknown>) => {
    fake.latencyMs = LATENCY_MS;
    exchanges.length = 0;
    const started = performance.now();
    await action();
    const wall = performance.now() - started;
    fake.latencyMs = 0;
    rows.push([
      label,
      wall.toFixed(0),
      (wall / LATENCY_MS).toFixed(2),
      String(sequentialRoundTrips(exchanges)),
      String(exchanges.length),
    ]);
  };
  try {
    const warm = provider();
    const base = await warm.defaultBranch();
    const open = (app: string, client = warm, extra: object = {}) =>
      client.openChangeSetPr({
        metadata: metadata(app),
        title: `Expose ${app}`,
        summary: `Expose ${app}`,
        baseSha: base.sha,
        changeSet: changeSet(app),
        ...extra,
      });
    // Warm-up: the first request of a process pays for JIT and connection set-up, which is not a round trip.
    await open('warmup');
    await measure('new branch + PR (base read just before)', () => open('linkding'));
    await measure('idempotent retry (branch and PR exist)', () => open('linkding'));
    await fake.commitToBranch(
      'tunnelbot/expose-home-grafana',
      { 'x.yaml': 'x: 1\n' },
      'crashed before the PR',
    );
    await measure('branch exists without PR', () => open('grafana'));
    await measure('new branch + PR, cold adapter (no base read)', () => open('immich', provider()));
    await measure('new branch + PR with rebuild callback', () =>
      open('paperless', warm, { rebuild: async () => changeSet('paperless') }),
    );
    const pr = await warm.findOpenPr('tunnelbot/expose-home-linkding');
    if (!pr) throw new Error('bench: PR missing');
    await measure('merge pinned to head (+ comment, delete branch)', () =>
      warm.mergePr({
        number: pr.number,
        expectedHeadSha: pr.headSha,
        approver: { slackUserId: 'U1', name: 'A' },
      }),
    );
  } finally {
    await fake.close();
  }
  const header = ['scenario', 'wall ms', `wall/${LATENCY_MS} ms`, 'sequential round trips', 'requests'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  console.log(`\nGitHub adapter: change set ready -> PR open (fake GitHub, ${LATENCY_MS} ms per request)`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}
