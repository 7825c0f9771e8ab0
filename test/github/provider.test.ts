import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ChangeSet } from '../../src/core/changeset.js';
import type { RepoSnapshot } from '../../src/core/snapshot.js';
import { REPOSITORY_SETTINGS_MAX_AGE_MS } from '../../src/adapters/github/provider.js';
import { ANNOUNCEMENT_LABEL } from '../../src/core/pr-metadata.js';
import { TunnelbotError, type ErrorCode } from '../../src/errors.js';
import {
  HUMAN_TOKEN,
  SEED_FILES,
  READ_ONLY_TOKEN,
  TOKEN,
  cloneBranch,
  git,
  metadataFor,
  startGitHub,
  type GitHubFixture,
} from '../helpers/github.js';

const BRANCH = 'tunnelbot/expose-home-linkding';
const APPROVER = { slackUserId: 'U0APPROVE', name: 'Alice Approver' };

const exposeLinkding: ChangeSet = {
  files: [
    {
      path: 'clusters/home/apps/linkding/tunnel.yaml',
      content: 'kind: ConfigMap\nmetadata:\n  name: linkding\n',
      change: 'added',
    },
    {
      path: 'clusters/home/apps/kustomization.yaml',
      content:
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - linkding\n  - linkding/tunnel.yaml\n',
      change: 'modified',
    },
    { path: 'clusters/home/apps/old/tunnel.yml', change: 'deleted' },
  ],
  summary: 'Adds a tunnel for linkding.',
  warnings: [],
};

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<TunnelbotError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TunnelbotError, `expected a TunnelbotError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(
      !error.message.includes(TOKEN) && !error.fix.includes(TOKEN),
      'the token never appears in errors',
    );
    return error;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

async function humanRequest(fixture: GitHubFixture, method: string, path: string, body?: unknown) {
  const response = await fetch(`${fixture.fake.url}/repos/acme/gitops${path}`, {
    method,
    headers: { authorization: `token ${HUMAN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => undefined)) as Record<string, unknown>,
  };
}

describe('GitHubProvider against the git-backed fake', () => {
  let fixture: GitHubFixture;

  beforeEach(async () => {
    fixture = await startGitHub();
  });

  afterEach(async () => {
    try {
      assert.deepEqual(
        await fixture.contract.violations(),
        [],
        'every exchange matches GitHub’s OpenAPI description',
      );
      assert.ok(fixture.contract.exchanges.length > 0);
      assert.ok(!fixture.logs().includes(TOKEN), 'the token never reaches the logs');
    } finally {
      await fixture.close();
    }
  });

  async function open(overrides: { changeSet?: ChangeSet; baseSha?: string } = {}) {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    const opened = await provider.openChangeSetPr({
      metadata: metadataFor('linkding'),
      title: 'Expose linkding in home',
      summary: 'Exposes linkding at https://linkding.example.com',
      baseSha: overrides.baseSha ?? base.sha,
      changeSet: overrides.changeSet ?? exposeLinkding,
    });
    return { provider, base, opened };
  }

  test('a change set becomes one commit on top of the base with exactly its files, and one labelled PR', async () => {
    const { base, opened } = await open();
    assert.equal(opened.created, true);
    const clone = await cloneBranch(fixture.fake, BRANCH);
    try {
      assert.equal(await git(clone.dir, 'rev-list', '--count', `origin/main..${BRANCH}`), '1');
      assert.equal(await git(clone.dir, 'rev-parse', `${BRANCH}^`), base.sha);
      assert.equal(await git(clone.dir, 'rev-parse', 'HEAD'), opened.headSha);
      assert.deepEqual(
        (await git(clone.dir, 'diff', '--name-status', 'origin/main', 'HEAD')).split('\n').sort(),
        [
          'A\tclusters/home/apps/linkding/tunnel.yaml',
          'D\tclusters/home/apps/old/tunnel.yml',
          'M\tclusters/home/apps/kustomization.yaml',
        ],
      );
      for (const file of exposeLinkding.files) {
        assert.equal(clone.files.get(file.path), file.change === 'deleted' ? undefined : file.content);
      }
      for (const [path, content] of Object.entries(SEED_FILES)) {
        if (!exposeLinkding.files.some((file) => file.path === path))
          assert.equal(clone.files.get(path), content);
      }
      assert.match(
        await git(clone.dir, 'log', '-1', '--format=%B'),
        /Requested-by: Rita Requester \(Slack U0REQUEST\)/,
      );
    } finally {
      await clone.dispose();
    }
    const pull = fixture.fake.pull(opened.number);
    assert.ok(pull);
    assert.deepEqual(
      pull.labels.map((label) => label.name),
      ['tunnelbot', ANNOUNCEMENT_LABEL],
    );
    assert.equal(pull.headRef, BRANCH);
    const found = await fixture.provider().findOpenPr(BRANCH);
    assert.deepEqual(found?.metadata, metadataFor('linkding'));
    assert.equal(found?.headSha, opened.headSha);
  });

  test('removeLabel says whether the PR had the label: the second of two removals learns it lost', async () => {
    const { opened } = await open();
    const provider = fixture.provider();
    const [first, second] = await Promise.all([
      provider.removeLabel(opened.number, ANNOUNCEMENT_LABEL),
      provider.removeLabel(opened.number, ANNOUNCEMENT_LABEL),
    ]);
    assert.deepEqual([first, second].sort(), [false, true]);
    assert.equal(await provider.removeLabel(opened.number, ANNOUNCEMENT_LABEL), false);
    assert.deepEqual(
      fixture.fake.pull(opened.number)?.labels.map((label) => label.name),
      ['tunnelbot'],
    );
  });

  test('opening costs five sequential calls after a base read, with no per-file commit', async () => {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    const before = fixture.contract.exchanges.length;
    await provider.openChangeSetPr({
      metadata: metadataFor('linkding'),
      title: 't',
      summary: 's',
      baseSha: base.sha,
      changeSet: exposeLinkding,
    });
    const calls = fixture.contract.exchanges
      .slice(before)
      .map((exchange) => `${exchange.method} ${exchange.path.split('/').slice(4).join('/')}`);
    assert.deepEqual(calls, [
      'POST git/trees',
      'POST git/commits',
      'POST git/refs',
      'POST pulls',
      'POST issues/1/labels',
    ]);
  });

  test('a retried request returns the same PR and leaves the branch untouched', async () => {
    const { opened } = await open();
    const again = await open();
    assert.deepEqual(again.opened, { ...opened, created: false });
    assert.equal(await fixture.fake.repository.countCommits(`main..refs/heads/${BRANCH}`), 1);
    const open_ = await fixture.provider().listOpenTunnelbotPrs();
    assert.deepEqual(
      open_.map((pr) => pr.number),
      [opened.number],
    );
  });

  test('two concurrent requests for the same app yield one branch and one PR', async () => {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    const request = {
      metadata: metadataFor('linkding'),
      title: 'Expose linkding',
      summary: 's',
      baseSha: base.sha,
      changeSet: exposeLinkding,
    };
    const results = await Promise.all([
      fixture.provider().openChangeSetPr(request),
      fixture.provider().openChangeSetPr(request),
      provider.openChangeSetPr(request),
    ]);
    assert.equal(new Set(results.map((result) => result.number)).size, 1);
    assert.equal(new Set(results.map((result) => result.headSha)).size, 1);
    assert.equal(results.filter((result) => result.created).length, 1);
    assert.equal((await provider.listOpenTunnelbotPrs()).length, 1);
    assert.equal(await fixture.fake.repository.countCommits(`main..refs/heads/${BRANCH}`), 1);
  });

  test('a branch left without a PR (crash between ref and pull) gets its PR', async () => {
    const stray = await fixture.fake.commitToBranch(
      BRANCH,
      { 'clusters/home/apps/linkding/tunnel.yaml': 'x: 1\n' },
      'half done',
    );
    const { opened } = await open();
    assert.equal(opened.created, true);
    assert.equal(opened.headSha, stray);
    assert.equal(fixture.fake.pull(opened.number)?.headSha, stray);
  });

  test('a failed label takes the pull request back whole; the retry opens a labelled one', async () => {
    fixture.fake.options.beforeHandle = async (method, path) => {
      if (method === 'POST' && path.endsWith('/labels')) {
        fixture.fake.options.beforeHandle = undefined;
        fixture.fake.failNext(502, 1, 'Bad Gateway');
      }
    };
    await assert.rejects(
      open(),
      (error: unknown) => error instanceof TunnelbotError && error.kind === 'upstream',
    );
    assert.equal(fixture.fake.pull(1)?.state, 'closed', 'no PR left open without its label');
    assert.equal(
      await fixture.fake.repository.refSha(`refs/heads/${BRANCH}`),
      undefined,
      'no branch left behind',
    );
    const { opened } = await open();
    assert.equal(opened.created, true);
    assert.deepEqual(
      fixture.fake.pull(opened.number)?.labels.map((label) => label.name),
      ['tunnelbot', ANNOUNCEMENT_LABEL],
    );
  });

  test('a crash between the pull and its label (no undo possible) is repaired by the retry', async () => {
    fixture.fake.options.beforeHandle = async (method, path) => {
      if (method === 'POST' && path.endsWith('/labels')) {
        fixture.fake.options.beforeHandle = undefined;
        // The label, and taking the PR back (closing it first), fail: the PR stays open without its label.
        fixture.fake.failNext(502, 2, 'Bad Gateway');
      }
    };
    await assert.rejects(
      open(),
      (error: unknown) => error instanceof TunnelbotError && error.kind === 'upstream',
    );
    assert.deepEqual(await fixture.provider().listOpenTunnelbotPrs(), [], 'unlabelled, so not yet listed');
    const { opened } = await open();
    assert.equal(opened.created, false);
    assert.deepEqual(
      fixture.fake.pull(opened.number)?.labels.map((label) => label.name),
      ['tunnelbot', ANNOUNCEMENT_LABEL],
    );
    assert.equal((await fixture.provider().listOpenTunnelbotPrs()).length, 1);
  });

  test('a later snapshot reads only the blobs that changed (blobs are immutable)', async () => {
    const provider = fixture.provider();
    const first = await provider.defaultBranch();
    const before = await provider.readSnapshot(first.sha);
    const moved = await fixture.fake.commitToBranch('main', { 'x.yaml': 'x: 1\n' }, 'teammate');
    const blobReads = () =>
      fixture.contract.exchanges.filter((exchange) => exchange.path.includes('/git/blobs/')).length;
    const readsBefore = blobReads();
    const after = await provider.readSnapshot(moved);
    assert.equal(blobReads() - readsBefore, 1, 'only x.yaml is fetched');
    assert.equal(after.files.get('x.yaml'), 'x: 1\n');
    for (const [path, content] of before.files) assert.equal(after.files.get(path), content);
  });

  test('a commit read again costs no tree read (its tree never changes), a new commit one', async () => {
    const provider = fixture.provider();
    const treeReads = () =>
      fixture.contract.exchanges.filter(
        (exchange) => exchange.method === 'GET' && exchange.path.includes('/git/trees/'),
      ).length;
    const base = await provider.defaultBranch();
    const readsBefore = treeReads();
    const first = await provider.readSnapshot(base.sha);
    const again = await provider.readSnapshot(base.sha);
    assert.equal(treeReads() - readsBefore, 1, 'the second snapshot of the same commit reads no tree');
    assert.deepEqual([...again.files], [...first.files]);
    const moved = await fixture.fake.commitToBranch('main', { 'y.yaml': 'y: 1\n' }, 'teammate');
    assert.equal((await provider.readSnapshot(moved)).files.get('y.yaml'), 'y: 1\n');
    assert.equal(treeReads() - readsBefore, 2, 'a new commit is read');
  });

  test('a branch with no commit of its own is replaced by the change set', async () => {
    const base = await fixture.provider().defaultBranch();
    const created = await humanRequest(fixture, 'POST', '/git/refs', {
      ref: `refs/heads/${BRANCH}`,
      sha: base.sha,
    });
    assert.equal(created.status, 201);
    const { opened } = await open();
    assert.equal(opened.created, true);
    assert.equal(await fixture.fake.repository.refSha(`refs/heads/${BRANCH}`), opened.headSha);
    assert.equal(await fixture.fake.repository.countCommits(`main..refs/heads/${BRANCH}`), 1);
  });

  test('a PR of another request on the same branch name is refused, not adopted', async () => {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    const first = {
      metadata: metadataFor('c', { environment: 'a-b' }),
      title: 't',
      summary: 's',
      baseSha: base.sha,
      changeSet: exposeLinkding,
    };
    await provider.openChangeSetPr(first);
    const error = await rejectsWithCode(
      provider.openChangeSetPr({ ...first, metadata: metadataFor('b-c', { environment: 'a' }) }),
      'TB_ERR_GITHUB_BRANCH_TAKEN',
    );
    assert.match(error.message, /tunnelbot\/expose-a-b-c.*#1/);
  });

  test('when the default branch moved, the change set is rebuilt on the new base and the branch force-updated', async () => {
    const { provider, base, opened } = await open();
    const moved = await fixture.fake.commitToBranch(
      'main',
      { 'clusters/home/apps/other.yaml': 'kind: Other\n' },
      'teammate',
    );
    const seen: RepoSnapshot[] = [];
    const rebuild = async (snapshot: RepoSnapshot): Promise<ChangeSet> => {
      seen.push(snapshot);
      const files = [...snapshot.files.keys()].sort().join(',');
      return {
        ...exposeLinkding,
        files: [
          { path: 'clusters/home/apps/linkding/tunnel.yaml', content: `# seen: ${files}\n`, change: 'added' },
        ],
      };
    };
    const rebuilt = await provider.openChangeSetPr({
      metadata: metadataFor('linkding', { port: 8080 }),
      title: 'Expose linkding in home (rebuilt)',
      summary: 'rebuilt',
      baseSha: base.sha,
      changeSet: exposeLinkding,
      rebuild,
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.baseSha, moved);
    assert.ok(seen[0]?.files.has('clusters/home/apps/other.yaml'));
    assert.equal(rebuilt.number, opened.number);
    assert.equal(rebuilt.created, false);
    assert.notEqual(rebuilt.headSha, opened.headSha);
    const branchRef = `refs/heads/${BRANCH}`;
    assert.equal(await fixture.fake.repository.text(['rev-parse', `${branchRef}^`]), moved);
    assert.equal(await fixture.fake.repository.countCommits(`main..${branchRef}`), 1);
    const pr = await provider.getPr(opened.number);
    assert.equal(pr.headSha, rebuilt.headSha);
    assert.equal(pr.metadata?.port, 8080);
    assert.equal(pr.title, 'Expose linkding in home (rebuilt)');
  });

  test('without a rebuild callback an existing branch on an older base is adopted as it is', async () => {
    const { provider, opened } = await open();
    const moved = await fixture.fake.commitToBranch('main', { 'x.yaml': 'x: 1\n' }, 'teammate');
    const again = await provider.openChangeSetPr({
      metadata: metadataFor('linkding'),
      title: 't',
      summary: 's',
      baseSha: moved,
      changeSet: exposeLinkding,
    });
    assert.deepEqual(again, { ...opened, created: false });
  });

  test('a stale plan with a rebuild callback opens its new PR on the current base', async () => {
    const provider = fixture.provider();
    const stale = await provider.defaultBranch();
    const moved = await fixture.fake.commitToBranch('main', { 'x.yaml': 'x: 1\n' }, 'teammate');
    const opened = await provider.openChangeSetPr({
      metadata: metadataFor('linkding'),
      title: 't',
      summary: 's',
      baseSha: stale.sha,
      changeSet: exposeLinkding,
      rebuild: async () => exposeLinkding,
    });
    assert.equal(opened.created, true);
    assert.equal(await fixture.fake.repository.text(['rev-parse', `${opened.headSha}^`]), moved);
  });

  for (const method of ['squash', 'merge', 'rebase'] as const) {
    test(`${method}: merged pinned to the shown head, its method in the Slack comment, branch deleted`, async () => {
      const { provider, opened } = await open();
      const result = await provider.mergePr({
        number: opened.number,
        expectedHeadSha: opened.headSha,
        approver: APPROVER,
        method,
      });
      const { mergeSha } = result;
      assert.equal(result.method, method);
      const repo = fixture.fake.repository;
      assert.equal(await repo.refSha('refs/heads/main'), mergeSha);
      const parents = (await repo.text(['rev-list', '--parents', '-n', '1', mergeSha])).split(' ').slice(1);
      assert.equal(parents.length, method === 'merge' ? 2 : 1);
      const message = await repo.text(['log', '-1', '--format=%B', mergeSha]);
      if (method === 'rebase') {
        // GitHub replays the PR's commit and ignores commit_title/commit_message: the comment is the record.
        assert.equal(message, await repo.text(['log', '-1', '--format=%B', opened.headSha]));
        assert.equal(parents[0], (await repo.text(['rev-parse', `${opened.headSha}^`])).trim());
      } else {
        assert.match(message, /Approved-by: Alice Approver \(Slack U0APPROVE\)/);
        assert.match(
          message,
          method === 'squash' ? /^Expose linkding in home \(#1\)/ : /^Merge pull request #1 from tunnelbot\//,
        );
      }
      assert.equal(await repo.refSha(`refs/heads/${BRANCH}`), undefined, 'head branch deleted');
      const pull = fixture.fake.pull(opened.number);
      assert.equal(pull?.mergeCommitSha, mergeSha);
      assert.match(pull?.comments[0]?.body ?? '', /Approved in Slack by Alice Approver \(Slack U0APPROVE\)/);
      const label = { squash: 'squash and merge', merge: 'merge commit', rebase: 'rebase and merge' }[method];
      assert.match(pull?.comments[0]?.body ?? '', new RegExp(`merged as ${mergeSha} \\(${label}\\)\\.$`));
      const main = await cloneBranch(fixture.fake, 'main');
      try {
        assert.equal(
          main.files.get('clusters/home/apps/linkding/tunnel.yaml'),
          'kind: ConfigMap\nmetadata:\n  name: linkding\n',
        );
        assert.equal(main.files.has('clusters/home/apps/old/tunnel.yml'), false);
      } finally {
        await main.dispose();
      }
      const merged = await provider.getPr(opened.number);
      assert.equal(merged.merged, true);
      assert.equal(merged.mergeSha, mergeSha);
    });
  }

  test('without a configured method the merge follows the repository: squash, else merge, else rebase', async () => {
    const cases: [settings: { squash?: boolean; merge?: boolean; rebase?: boolean }, expected: string][] = [
      [{}, 'squash'],
      [{ squash: false }, 'merge'],
      [{ squash: false, merge: false }, 'rebase'],
    ];
    for (const [settings, expected] of cases) {
      await fixture.close();
      fixture = await startGitHub({ mergeMethods: settings });
      const { provider, opened } = await open();
      const merged = await provider.mergePr({
        number: opened.number,
        expectedHeadSha: opened.headSha,
        approver: APPROVER,
      });
      assert.equal(merged.method, expected, JSON.stringify(settings));
      const merges = fixture.contract.exchanges.filter((exchange) => exchange.path.endsWith('/merge'));
      assert.deepEqual(
        merges.map((exchange) => [
          exchange.status,
          (exchange.requestBody as { merge_method: string }).merge_method,
        ]),
        [[200, expected]],
        'one merge call, with the allowed method',
      );
      assert.equal(fixture.fake.pull(opened.number)?.mergeCommitSha, merged.mergeSha);
    }
  });

  test('a configured method the repository turned off is refused naming both settings; nothing is merged', async () => {
    await fixture.close();
    fixture = await startGitHub({ mergeMethods: { squash: false, rebase: false } });
    const { provider, opened } = await open();
    const error = await rejectsWithCode(
      provider.mergePr({
        number: opened.number,
        expectedHeadSha: opened.headSha,
        approver: APPROVER,
        method: 'squash',
      }),
      'TB_ERR_GITHUB_MERGE_METHOD',
    );
    assert.equal(error.kind, 'config');
    assert.match(error.message, /repository\.mergeMethod: squash/);
    assert.match(error.message, /"Allow squash merging" is off/);
    assert.match(error.fix, /set repository\.mergeMethod to merge/);
    assert.equal(fixture.fake.pull(opened.number)?.state, 'open');
    assert.equal(fixture.contract.exchanges.filter((exchange) => exchange.path.endsWith('/merge')).length, 0);
  });

  test('the repository settings are cached for a bounded time; a 405 for a method turned off since re-reads them', async () => {
    let clock = 1_000_000;
    const provider = fixture.provider({ now: () => clock });
    const repositoryReads = () =>
      fixture.contract.exchanges.filter(
        (exchange) => exchange.method === 'GET' && exchange.path === '/repos/acme/gitops',
      ).length;
    const openPr = async (app: string) => {
      const base = await provider.defaultBranch();
      return provider.openChangeSetPr({
        metadata: metadataFor(app),
        title: `Expose ${app}`,
        summary: 's',
        baseSha: base.sha,
        changeSet: {
          files: [{ path: `clusters/home/apps/${app}.yaml`, content: `app: ${app}\n`, change: 'added' }],
          summary: app,
          warnings: [],
        },
      });
    };
    const merge = async (app: string) => {
      const opened = await openPr(app);
      return provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER });
    };
    assert.equal((await merge('one')).method, 'squash');
    assert.equal(repositoryReads(), 1, 'default branch and merge settings come from one read');
    clock += REPOSITORY_SETTINGS_MAX_AGE_MS - 1;
    assert.equal((await merge('two')).method, 'squash');
    assert.equal(repositoryReads(), 1, 'still fresh');

    fixture.fake.setMergeMethods({ squash: false });
    assert.equal((await merge('three')).method, 'merge', 'GitHub’s 405 corrects the stale cache');
    assert.equal(repositoryReads(), 2);
    assert.deepEqual(
      fixture.contract.exchanges
        .filter((exchange) => exchange.path.endsWith('/merge'))
        .slice(-2)
        .map((exchange) => [exchange.status, exchange.responseBody]),
      [
        [
          405,
          {
            message: 'Squash merges are not allowed on this repository.',
            documentation_url: 'https://docs.github.com/rest',
            status: '405',
          },
        ],
        [
          200,
          {
            sha: fixture.fake.pull(3)?.mergeCommitSha,
            merged: true,
            message: 'Pull Request successfully merged',
          },
        ],
      ],
    );

    fixture.fake.setMergeMethods({ squash: true });
    clock += REPOSITORY_SETTINGS_MAX_AGE_MS;
    assert.equal((await merge('four')).method, 'squash', 'an expired cache is read again');
    assert.equal(repositoryReads(), 3);
  });

  test('a PR whose head moved since it was shown is not merged', async () => {
    const { provider, opened } = await open();
    await fixture.fake.commitToBranch(BRANCH, { 'sneaky.yaml': 'a: 1\n' }, 'push after review');
    const error = await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_HEAD_CHANGED',
    );
    assert.match(error.message, /#1 changed since it was shown/);
    assert.equal(fixture.fake.pull(opened.number)?.state, 'open');
    assert.equal(fixture.fake.pull(opened.number)?.comments.length, 0);
  });

  test('a head that moves between our read and the merge call is caught by GitHub’s 409', async () => {
    const { provider, opened } = await open();
    fixture.fake.options.beforeHandle = async (method, path) => {
      if (method === 'PUT' && path.endsWith('/merge')) {
        fixture.fake.options.beforeHandle = undefined;
        await fixture.fake.commitToBranch(BRANCH, { 'late.yaml': 'a: 1\n' }, 'late push');
      }
    };
    await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_HEAD_CHANGED',
    );
    assert.equal(fixture.fake.pull(opened.number)?.mergedAt, null);
    assert.equal(
      fixture.contract.exchanges.filter((exchange) => exchange.path.endsWith('/merge')).length,
      1,
      'no retry of 409',
    );
  });

  test('a PR merged by someone else meanwhile is reported, with no comment and no second merge', async () => {
    const { provider, opened } = await open();
    const humanMerge = await humanRequest(fixture, 'PUT', `/pulls/${opened.number}/merge`, {
      merge_method: 'merge',
    });
    assert.equal(humanMerge.status, 200);
    const mainBefore = await fixture.fake.repository.refSha('refs/heads/main');
    const error = await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_ALREADY_MERGED',
    );
    assert.equal(error.details['mergeSha'], humanMerge.body['sha']);
    await rejectsWithCode(
      provider.closePr({ number: opened.number, reason: 'no', actor: APPROVER }),
      'TB_ERR_GITHUB_PR_ALREADY_MERGED',
    );
    assert.equal(await fixture.fake.repository.refSha('refs/heads/main'), mainBefore);
    assert.equal(fixture.fake.pull(opened.number)?.comments.length, 0);
  });

  test('a merge by someone else between our read and our merge call (405) is reported as already merged', async () => {
    const { provider, opened } = await open();
    fixture.fake.options.beforeHandle = async (method, path) => {
      if (method === 'PUT' && path.endsWith('/merge')) {
        fixture.fake.options.beforeHandle = undefined;
        assert.equal((await humanRequest(fixture, 'PUT', `/pulls/${opened.number}/merge`, {})).status, 200);
      }
    };
    await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_ALREADY_MERGED',
    );
  });

  test('a PR that conflicts with the default branch is reported as not mergeable', async () => {
    const { provider, opened } = await open();
    await fixture.fake.commitToBranch(
      'main',
      { 'clusters/home/apps/kustomization.yaml': 'resources: [other]\n' },
      'conflicting',
    );
    const error = await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_NOT_MERGEABLE',
    );
    assert.match(error.message, /Pull Request is not mergeable \(it conflicts with the default branch\)/);
    assert.equal(error.details['conflicting'], true);
    assert.equal(error.details['headSha'], opened.headSha);
    assert.equal(fixture.fake.pull(opened.number)?.state, 'open');
  });

  test('rebuildPr replaces the branch with one commit on the new base holding the change set and the head commit message, only while the head is the expected one', async () => {
    const { provider, opened, base } = await open();
    const moved = await fixture.fake.commitToBranch('main', { 'other.yaml': 'a: 1\n' }, 'elsewhere');
    assert.deepEqual(await provider.commitParents(opened.headSha), [base.sha]);
    const own = await provider.changedPaths(base.sha, opened.headSha);
    assert.deepEqual(own, exposeLinkding.files.map((file) => file.path).sort());
    const headSha = await provider.rebuildPr({
      number: opened.number,
      expectedHeadSha: opened.headSha,
      baseSha: moved,
      changeSet: exposeLinkding,
    });
    assert.deepEqual(await provider.commitParents(headSha), [moved]);
    assert.deepEqual(await provider.changedPaths(moved, headSha), own);
    assert.equal((await provider.getPr(opened.number)).headSha, headSha);
    const message = async (sha: string) =>
      (await fixture.fake.repository.readCommits(['-1', sha, '--']))[0]!.message;
    assert.equal(await message(headSha), await message(opened.headSha));

    // Pinned to what was expected: a head someone else pushed is never overwritten.
    const pushed = await fixture.fake.commitToBranch(BRANCH, { 'late.yaml': 'a: 1\n' }, 'human push');
    await rejectsWithCode(
      provider.rebuildPr({
        number: opened.number,
        expectedHeadSha: headSha,
        baseSha: moved,
        changeSet: exposeLinkding,
      }),
      'TB_ERR_GITHUB_PR_HEAD_CHANGED',
    );
    assert.equal(await fixture.fake.repository.refSha(`refs/heads/${BRANCH}`), pushed);
  });

  test('reject comments, closes and deletes the branch', async () => {
    const { provider, opened } = await open();
    await provider.closePr({ number: opened.number, reason: 'not this week', actor: APPROVER });
    const pull = fixture.fake.pull(opened.number);
    assert.equal(pull?.state, 'closed');
    assert.equal(pull?.mergedAt, null);
    assert.match(
      pull?.comments[0]?.body ?? '',
      /Rejected in Slack by Alice Approver \(Slack U0APPROVE\): not this week/,
    );
    assert.equal(await fixture.fake.repository.refSha(`refs/heads/${BRANCH}`), undefined);
    await rejectsWithCode(
      provider.closePr({ number: opened.number, reason: 'again', actor: APPROVER }),
      'TB_ERR_GITHUB_PR_CLOSED',
    );
    await rejectsWithCode(
      provider.mergePr({ number: opened.number, expectedHeadSha: opened.headSha, approver: APPROVER }),
      'TB_ERR_GITHUB_PR_CLOSED',
    );
  });

  test('PRs not opened by tunnelbot are never merged, closed or listed', async () => {
    await fixture.fake.commitToBranch('feature/human', { 'h.yaml': 'h: 1\n' }, 'human work');
    const created = await humanRequest(fixture, 'POST', '/pulls', {
      title: 'Human',
      head: 'feature/human',
      base: 'main',
      body: 'hi',
    });
    assert.equal(created.status, 201);
    const provider = fixture.provider();
    const head = (created.body['head'] as { sha: string }).sha;
    await rejectsWithCode(
      provider.mergePr({ number: 1, expectedHeadSha: head, approver: APPROVER }),
      'TB_ERR_GITHUB_NOT_TUNNELBOT_PR',
    );
    await rejectsWithCode(
      provider.closePr({ number: 1, reason: 'x', actor: APPROVER }),
      'TB_ERR_GITHUB_NOT_TUNNELBOT_PR',
    );
    assert.deepEqual(await provider.listOpenTunnelbotPrs(), []);
  });

  test('the PR of a merge commit, of its own commit, and none for an unrelated commit', async () => {
    const { provider, base, opened } = await open();
    const { mergeSha } = await provider.mergePr({
      number: opened.number,
      expectedHeadSha: opened.headSha,
      approver: APPROVER,
      method: 'merge',
    });
    assert.equal((await provider.prForCommit(mergeSha))?.number, opened.number);
    assert.equal((await provider.prForCommit(opened.headSha))?.number, opened.number);
    assert.equal((await provider.prForCommit(mergeSha))?.metadata?.app, 'linkding');
    assert.equal(await provider.prForCommit(base.sha), undefined);
    assert.equal(await provider.commitContains(base.sha, mergeSha), true);
    assert.equal(await provider.commitContains(mergeSha, mergeSha), true);
    assert.equal(await provider.commitContains(mergeSha, base.sha), false);
  });

  test('reads are pinned to a commit: snapshot of YAML files, file reads and paths', async () => {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    await fixture.fake.commitToBranch('main', { '.sops.yaml': 'changed: true\n' }, 'later');
    const snapshot = await provider.readSnapshot(base.sha);
    assert.equal(snapshot.baseSha, base.sha);
    assert.deepEqual([...snapshot.files.keys()].sort(), [
      '.sops.yaml',
      'clusters/home/apps/kustomization.yaml',
      'clusters/home/apps/linkding/service.yaml',
      'clusters/home/apps/old/tunnel.yml',
    ]);
    assert.match(snapshot.files.get('.sops.yaml') ?? '', /creation_rules/);
    const later = await fixture.fake.commitToBranch(
      'main',
      { 'clusters/home/a b/c%d.yaml': 'odd: path\n' },
      'odd',
    );
    assert.equal(
      (await provider.readFiles(later, ['clusters/home/a b/c%d.yaml'])).get('clusters/home/a b/c%d.yaml'),
      'odd: path\n',
    );
    assert.equal((await provider.readSnapshot(later)).files.get('clusters/home/a b/c%d.yaml'), 'odd: path\n');
    const files = await provider.readFiles(base.sha, [
      '.sops.yaml',
      'missing.yaml',
      'README.md',
      'clusters/home/a b/c%d.yaml',
    ]);
    assert.equal(files.get('clusters/home/a b/c%d.yaml'), undefined, 'pinned: the file came later');
    assert.match(files.get('.sops.yaml') ?? '', /creation_rules/);
    assert.equal(files.get('missing.yaml'), undefined);
    assert.equal(files.get('README.md'), '# GitOps\n');
    assert.ok((await provider.listPaths(base.sha)).includes('README.md'));
  });

  test('an empty change set or a delete of a missing file is refused before any write', async () => {
    const provider = fixture.provider();
    const base = await provider.defaultBranch();
    await provider.readSnapshot(base.sha);
    const request = { metadata: metadataFor('linkding'), title: 't', summary: 's', baseSha: base.sha };
    await rejectsWithCode(
      provider.openChangeSetPr({ ...request, changeSet: { files: [], summary: '', warnings: [] } }),
      'TB_ERR_GITHUB_EMPTY_CHANGE_SET',
    );
    const error = await rejectsWithCode(
      provider.openChangeSetPr({
        ...request,
        changeSet: { files: [{ path: 'nope.yaml', change: 'deleted' }], summary: '', warnings: [] },
      }),
      'TB_ERR_GITHUB_REJECTED',
    );
    assert.match(error.message, /nope\.yaml/);
    assert.equal(fixture.contract.exchanges.filter((exchange) => exchange.method !== 'GET').length, 0);
  });

  test('a missing repository or branch is named in the error', async () => {
    const noRepo = await rejectsWithCode(
      fixture.provider({ repo: 'nope' }).defaultBranch(),
      'TB_ERR_GITHUB_NOT_FOUND',
    );
    assert.match(noRepo.message, /acme\/nope/);
    const noBranch = await rejectsWithCode(
      fixture.provider({ branch: 'production' }).defaultBranch(),
      'TB_ERR_GITHUB_NOT_FOUND',
    );
    assert.match(noBranch.message, /branch production of acme\/gitops/);
  });

  test('credentials: read-only token, bad token, outages and rate limits map to their codes', async () => {
    const base = await fixture.provider().defaultBranch();
    const request = {
      metadata: metadataFor('linkding'),
      title: 't',
      summary: 's',
      baseSha: base.sha,
      changeSet: exposeLinkding,
    };
    const readOnly = fixture.provider({ auth: { kind: 'token', token: READ_ONLY_TOKEN } });
    const denied = await rejectsWithCode(readOnly.openChangeSetPr(request), 'TB_ERR_GITHUB_PERMISSION');
    assert.equal(denied.kind, 'config');
    assert.ok(!denied.message.includes(READ_ONLY_TOKEN));
    await rejectsWithCode(
      fixture.provider({ auth: { kind: 'token', token: 'ghp_wrong' } }).defaultBranch(),
      'TB_ERR_GITHUB_AUTH',
    );
    fixture.fake.failNext(502, 1, 'Bad Gateway');
    const outage = await rejectsWithCode(fixture.provider().defaultBranch(), 'TB_ERR_GITHUB_UNAVAILABLE');
    assert.equal(outage.kind, 'upstream');
    fixture.fake.failNext(403, 1, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' });
    assert.equal(
      (await rejectsWithCode(fixture.provider().defaultBranch(), 'TB_ERR_GITHUB_RATE_LIMITED')).kind,
      'upstream',
    );
    fixture.fake.failNext(429, 1, 'Too many requests', { 'retry-after': '1' });
    await rejectsWithCode(fixture.provider().defaultBranch(), 'TB_ERR_GITHUB_RATE_LIMITED');
  });

  test('production settings (retry and throttling on) ride out a transient 502 on a read', async () => {
    fixture.fake.failNext(502, 1, 'Bad Gateway');
    const provider = fixture.provider({ retryAndThrottle: true });
    const branch = await provider.defaultBranch();
    assert.equal(branch.name, 'main');
    assert.deepEqual(
      fixture.contract.exchanges.map((exchange) => exchange.status),
      [502, 200, 200],
      'the failed repository read was retried, then the branch read',
    );
  });

  test('GitHub App installation auth mints a token from the private key and acts as the bot', async () => {
    await fixture.close();
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    fixture = await startGitHub({
      app: { appId: 123456, publicKey, installationId: 42, permission: 'write' },
    });
    const provider = fixture.provider({
      auth: { kind: 'app', appId: 123456, privateKey, installationId: 42 },
    });
    const base = await provider.defaultBranch();
    const opened = await provider.openChangeSetPr({
      metadata: metadataFor('linkding'),
      title: 't',
      summary: 's',
      baseSha: base.sha,
      changeSet: exposeLinkding,
    });
    assert.equal(fixture.fake.pull(opened.number)?.user.login, 'tunnelbot[bot]');
    const keyBody = privateKey.split('\n')[1] ?? '';
    assert.ok(!fixture.logs().includes(keyBody), 'the private key never reaches the logs');
    const wrongInstallation = fixture.provider({
      auth: { kind: 'app', appId: 123456, privateKey, installationId: 7 },
    });
    await rejectsWithCode(wrongInstallation.defaultBranch(), 'TB_ERR_GITHUB_NOT_FOUND');
  });
});
