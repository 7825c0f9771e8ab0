import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DOCTOR_GITHUB_RETRIES, checkGitHub } from '../../src/adapters/github/doctor.js';
import type { PullRequestEvent } from '../../src/core/pull-request-event.js';
import { PullRequestPoller, type Scheduler } from '../../src/workflows/poll-pull-requests.js';
import {
  HUMAN_TOKEN,
  READ_ONLY_TOKEN,
  TOKEN,
  metadataFor,
  startGitHub,
  type GitHubFixture,
} from '../helpers/github.js';
import { closedPort, silentServer } from '../helpers/network.js';

const APPROVER = { slackUserId: 'U0APPROVE', name: 'Alice Approver' };

class ManualScheduler implements Scheduler {
  pending: { ms: number; callback: () => void; cancelled: boolean }[] = [];
  after(ms: number, callback: () => void) {
    const entry = { ms, callback, cancelled: false };
    this.pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }
  fire(): void {
    const next = this.pending.shift();
    assert.ok(next && !next.cancelled, 'a live timer is scheduled');
    next.callback();
  }
}

async function settle(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition reached');
}

describe('polling and doctor against the fake GitHub', () => {
  let fixture: GitHubFixture;

  beforeEach(async () => {
    fixture = await startGitHub();
  });

  afterEach(async () => {
    try {
      assert.deepEqual(await fixture.contract.violations(), []);
      assert.ok(!fixture.logs().includes(TOKEN));
    } finally {
      await fixture.close();
    }
  });

  async function openFor(app: string) {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    return provider.openChangeSetPr({
      metadata: metadataFor(app),
      title: `Expose ${app}`,
      summary: 's',
      baseSha: base.sha,
      changeSet: {
        files: [{ path: `apps/${app}.yaml`, content: `app: ${app}\n`, change: 'added' }],
        summary: '',
        warnings: [],
      },
    });
  }

  test('without webhooks, merges and closes of open tunnelbot PRs are reported once through the handler', async () => {
    const provider = fixture.provider();
    const events: PullRequestEvent[] = [];
    const poller = new PullRequestPoller({
      provider,
      logger: fixture.logger,
      onPullRequestEvent: async (event) => {
        events.push(event);
      },
    });
    const merged = await openFor('linkding');
    const closed = await openFor('grafana');
    const untouched = await openFor('immich');
    assert.deepEqual(await poller.pollOnce(), []);
    const { mergeSha } = await provider.mergePr({
      number: merged.number,
      expectedHeadSha: merged.headSha,
      approver: APPROVER,
    });
    const response = await fetch(`${fixture.fake.url}/repos/acme/gitops/pulls/${closed.number}`, {
      method: 'PATCH',
      headers: { authorization: `token ${HUMAN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'closed' }),
    });
    assert.equal(response.status, 200);
    const reported = await poller.pollOnce();
    assert.deepEqual(reported, events);
    assert.deepEqual(
      events.map((event) => [event.kind, event.prNumber, event.metadata.app, event.mergeSha, event.source]),
      [
        ['merged', merged.number, 'linkding', mergeSha, 'poll'],
        ['closed', closed.number, 'grafana', undefined, 'poll'],
      ],
    );
    assert.deepEqual(await poller.pollOnce(), [], 'each change is reported once');
    assert.ok(untouched.number > 0);
  });

  test('a PR whose final state cannot be read is retried on the next poll', async () => {
    const provider = fixture.provider();
    const events: PullRequestEvent[] = [];
    const poller = new PullRequestPoller({
      provider,
      logger: fixture.logger,
      onPullRequestEvent: async (e) => void events.push(e),
    });
    const opened = await openFor('linkding');
    await poller.pollOnce();
    await provider.closePr({ number: opened.number, reason: 'no', actor: APPROVER });
    fixture.fake.options.beforeHandle = async (method, path) => {
      if (method === 'GET' && path.endsWith(`/pulls/${opened.number}`)) {
        fixture.fake.options.beforeHandle = undefined;
        fixture.fake.failNext(502);
      }
    };
    assert.deepEqual(await poller.pollOnce(), []);
    assert.match(fixture.logs(), /could not report a pull request state change/);
    assert.deepEqual(
      (await poller.pollOnce()).map((event) => event.kind),
      ['closed'],
    );
  });

  test('start polls now and then at the interval; stop cancels the next poll', async () => {
    const scheduler = new ManualScheduler();
    let polls = 0;
    const poller = new PullRequestPoller({
      provider: {
        listOpenTunnelbotPrs: async () => {
          polls += 1;
          return [];
        },
        getPr: async () => assert.fail('no PR left the open list'),
      },
      logger: fixture.logger,
      onPullRequestEvent: async () => undefined,
      intervalMs: 30_000,
      scheduler,
    });
    poller.start();
    await settle(() => scheduler.pending.length === 1);
    assert.equal(polls, 1);
    assert.equal(scheduler.pending[0]?.ms, 30_000);
    scheduler.fire();
    await settle(() => scheduler.pending.length === 1);
    assert.equal(polls, 2);
    poller.stop();
    assert.equal(scheduler.pending[0]?.cancelled, true);
    // Stopping in the middle of a poll schedules nothing afterwards.
    await fixture.provider().listOpenTunnelbotPrs();
  });

  test('doctor: a writable token passes every check', async () => {
    const checks = await checkGitHub(
      {
        auth: { kind: 'token', token: TOKEN },
        baseUrl: fixture.fake.url,
        logger: fixture.logger,
        retryAndThrottle: false,
      },
      { owner: 'acme', name: 'gitops' },
    );
    assert.deepEqual(
      checks.map((check) => [check.ok, check.name]),
      [
        [true, 'GitHub repository acme/gitops'],
        [true, 'GitHub target branch'],
        [true, 'GitHub write permission (contents, pull requests)'],
      ],
    );
    assert.match(checks[1]?.detail ?? '', /^main at [0-9a-f]{12}$/);
  });

  test('doctor: read-only token, missing branch, bad token and missing repository are reported with fixes', async () => {
    const base = { baseUrl: fixture.fake.url, logger: fixture.logger, retryAndThrottle: false };
    const readOnly = await checkGitHub(
      { ...base, auth: { kind: 'token', token: READ_ONLY_TOKEN } },
      { owner: 'acme', name: 'gitops', branch: 'prod' },
    );
    assert.deepEqual(
      readOnly.map((check) => check.ok),
      [true, false, false],
    );
    assert.match(readOnly[1]?.detail ?? '', /branch prod of acme\/gitops/);
    assert.match(readOnly[2]?.fix ?? '', /Contents: read and write/);
    const badToken = await checkGitHub(
      { ...base, auth: { kind: 'token', token: 'ghp_nope' } },
      { owner: 'acme', name: 'gitops' },
    );
    assert.deepEqual(
      badToken.map((check) => check.ok),
      [false, false, false],
    );
    assert.match(badToken[0]?.fix ?? '', /TB_ERR_GITHUB_AUTH/);
    assert.match(badToken[2]?.detail ?? '', /not checked/);
    const noRepo = await checkGitHub(
      { ...base, auth: { kind: 'token', token: TOKEN } },
      { owner: 'acme', name: 'missing' },
    );
    assert.match(noRepo[0]?.fix ?? '', /TB_ERR_GITHUB_NOT_FOUND/);
    assert.ok(!JSON.stringify([readOnly, badToken, noRepo]).includes(READ_ONLY_TOKEN));
  });

  test('doctor: "could not connect" (refused, DNS, timeout) is told apart from "answered 500"', async () => {
    const auth = { kind: 'token' as const, token: TOKEN };
    const repo = { owner: 'acme', name: 'gitops' };
    const first = async (options: Partial<Parameters<typeof checkGitHub>[0]>) =>
      (await checkGitHub({ auth, logger: fixture.logger, retryAndThrottle: false, ...options }, repo))[0]!;

    const refused = await first({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(refused.ok, false);
    assert.match(
      refused.detail,
      /^Could not connect to GitHub while reading repository acme\/gitops: connection refused/,
    );
    assert.match(refused.fix ?? '', /TB_ERR_GITHUB_UNREACHABLE/);

    const unknownHost = await first({ baseUrl: 'http://tunnelbot-test.invalid' });
    assert.match(unknownHost.detail, /Could not connect to GitHub .*: DNS lookup failed/);

    const silent = await silentServer();
    try {
      const stuck = await first({ baseUrl: silent.url, timeoutMs: 200 });
      assert.match(stuck.detail, /Could not connect to GitHub .*: timed out/);
      assert.match(stuck.fix ?? '', /TB_ERR_GITHUB_UNREACHABLE/);
    } finally {
      await silent.close();
    }

    fixture.fake.failNext(500, 5, 'Server Error');
    const before = fixture.fake.requestCount;
    // Production settings (retries on): the doctor retries once, not three times with backoff.
    const answered = await first({ baseUrl: fixture.fake.url, retryAndThrottle: true });
    assert.match(
      answered.detail,
      /^GitHub answered 500 while reading repository acme\/gitops: Server Error\.$/,
    );
    assert.match(answered.fix ?? '', /TB_ERR_GITHUB_UNAVAILABLE/);
    assert.equal(fixture.fake.requestCount - before, 1 + DOCTOR_GITHUB_RETRIES);
  });

  test('doctor: a GitHub App installation is judged by the permissions it was granted', async () => {
    await fixture.close();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    fixture = await startGitHub({ app: { appId: 99, publicKey, installationId: 5, permission: 'read' } });
    const checks = await checkGitHub(
      {
        auth: { kind: 'app', appId: 99, privateKey, installationId: 5 },
        baseUrl: fixture.fake.url,
        logger: fixture.logger,
        retryAndThrottle: false,
      },
      { owner: 'acme', name: 'gitops' },
    );
    assert.deepEqual(
      checks.map((check) => check.ok),
      [true, true, false],
    );
    assert.match(checks[2]?.detail ?? '', /contents: read, pull requests: read/);
  });
});
