import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Octokit, RequestError } from 'octokit';
import { HUMAN_TOKEN, READ_ONLY_TOKEN, TOKEN, startGitHub, type GitHubFixture } from '../helpers/github.js';

/** The fake's own GitHub behaviours, driven through octokit so requests and responses are spec-checked too. */
describe('fake GitHub', () => {
  let fixture: GitHubFixture;
  let octokit: Octokit;
  const repo = { owner: 'acme', repo: 'gitops' };

  before(async () => {
    fixture = await startGitHub();
    octokit = client(TOKEN);
  });

  after(async () => {
    try {
      assert.deepEqual(await fixture.contract.violations(), []);
    } finally {
      await fixture.close();
    }
  });

  function client(token?: string): Octokit {
    return new Octokit({
      ...(token ? { auth: token } : {}),
      baseUrl: fixture.fake.url,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
  }

  async function status(promise: Promise<unknown>): Promise<[number, string]> {
    try {
      await promise;
      return [200, ''];
    } catch (error) {
      assert.ok(error instanceof RequestError);
      return [error.status, (error.response?.data as { message?: string } | undefined)?.message ?? ''];
    }
  }

  async function branchWith(name: string, files: Record<string, string | null>): Promise<string> {
    return fixture.fake.commitToBranch(name, files, `commit on ${name}`);
  }

  test('authentication: none or an unknown token is 401, a read-only token cannot write', async () => {
    assert.deepEqual(await status(client().rest.repos.get(repo)), [401, 'Requires authentication']);
    assert.deepEqual(await status(client('nope').rest.repos.get(repo)), [401, 'Bad credentials']);
    const readOnly = client(READ_ONLY_TOKEN);
    assert.equal((await readOnly.rest.repos.get(repo)).data.permissions?.push, false);
    assert.equal((await octokit.rest.repos.get(repo)).data.permissions?.push, true);
    const write = readOnly.rest.git.createTree({
      ...repo,
      tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }],
    });
    assert.deepEqual(await status(write), [403, 'Resource not accessible by personal access token']);
  });

  test('trees: inline content, deletions against base_tree, and GitHub’s refusals', async () => {
    const main = await octokit.rest.repos.getBranch({ ...repo, branch: 'main' });
    const baseTree = main.data.commit.commit.tree.sha;
    const tree = await octokit.rest.git.createTree({
      ...repo,
      base_tree: baseTree,
      tree: [
        { path: 'deep/er/new.yaml', mode: '100644', type: 'blob', content: 'n: 1\n' },
        { path: 'README.md', mode: '100644', type: 'blob', sha: null },
      ],
    });
    const listed = await octokit.rest.git.getTree({ ...repo, tree_sha: tree.data.sha, recursive: 'true' });
    const paths = listed.data.tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path);
    assert.ok(paths.includes('deep/er/new.yaml'));
    assert.ok(paths.includes('.sops.yaml'), 'unlisted files are kept from base_tree');
    assert.ok(!paths.includes('README.md'));
    const missing = octokit.rest.git.createTree({
      ...repo,
      base_tree: baseTree,
      tree: [{ path: 'nope.yaml', mode: '100644', type: 'blob', sha: null }],
    });
    assert.deepEqual(await status(missing), [422, 'GitRPC::BadObjectState']);
    const directory = octokit.rest.git.createTree({
      ...repo,
      base_tree: baseTree,
      tree: [{ path: 'clusters', mode: '100644', type: 'blob', sha: null }],
    });
    assert.equal((await status(directory))[0], 422);
    const both = octokit.rest.git.createTree({
      ...repo,
      tree: [{ path: 'a', mode: '100644', type: 'blob', sha: baseTree, content: 'x' }],
    });
    assert.equal((await status(both))[0], 422);
  });

  test('refs: create once, fast-forward only unless forced, delete closes the open PR', async () => {
    const mainSha = (await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature/refs', sha: mainSha });
    assert.deepEqual(
      await status(octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature/refs', sha: mainSha })),
      [422, 'Reference already exists'],
    );
    const ahead = await branchWith('feature/refs', { 'r.yaml': 'r: 1\n' });
    const sibling = await branchWith('feature/sibling', { 's.yaml': 's: 1\n' });
    assert.deepEqual(
      await status(octokit.rest.git.updateRef({ ...repo, ref: 'heads/feature/refs', sha: sibling })),
      [422, 'Update is not a fast forward'],
    );
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/feature/refs', sha: sibling, force: true });
    assert.equal(
      (await octokit.rest.git.getRef({ ...repo, ref: 'heads/feature/refs' })).data.object.sha,
      sibling,
    );
    assert.notEqual(ahead, sibling);
    const pull = await octokit.rest.pulls.create({
      ...repo,
      title: 'refs',
      head: 'feature/refs',
      base: 'main',
    });
    await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature/refs' });
    assert.equal(
      (await octokit.rest.pulls.get({ ...repo, pull_number: pull.data.number })).data.state,
      'closed',
    );
    assert.equal((await status(octokit.rest.git.deleteRef({ ...repo, ref: 'heads/feature/refs' })))[0], 422);
  });

  test('pulls: one open PR per head, no PR without commits, filters and Link pagination', async () => {
    await branchWith('feature/p1', { 'p1.yaml': 'p: 1\n' });
    await branchWith('feature/p2', { 'p2.yaml': 'p: 2\n' });
    await branchWith('feature/p3', { 'p3.yaml': 'p: 3\n' });
    for (const head of ['feature/p1', 'feature/p2', 'feature/p3']) {
      await octokit.rest.pulls.create({ ...repo, title: head, head, base: 'main' });
    }
    const duplicate = octokit.rest.pulls.create({
      ...repo,
      title: 'again',
      head: 'feature/p1',
      base: 'main',
    });
    // GitHub's exact answer: the reason is only in errors[].message, and octokit's message carries both.
    const refused = await duplicate.then(
      () => assert.fail('a second PR for the same head was accepted'),
      (thrown: unknown) => thrown,
    );
    assert.ok(refused instanceof RequestError);
    assert.equal(refused.status, 422);
    const { documentation_url: _docs, ...body } = refused.response?.data as Record<string, unknown>;
    assert.deepEqual(body, {
      message: 'Validation Failed',
      status: '422',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'A pull request already exists for acme:feature/p1.',
        },
      ],
    });
    assert.match(
      refused.message,
      /^Validation Failed: .*A pull request already exists for acme:feature\/p1\./,
    );
    const missingHead = octokit.rest.pulls.create({
      ...repo,
      title: 'x',
      head: 'feature/none',
      base: 'main',
    });
    assert.deepEqual(
      await missingHead.catch(
        (thrown: RequestError) => (thrown.response?.data as { errors: unknown }).errors,
      ),
      [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
    );
    await octokit.rest.git.createRef({
      ...repo,
      ref: 'refs/heads/feature/empty',
      sha: (await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha,
    });
    const empty = octokit.rest.pulls.create({ ...repo, title: 'empty', head: 'feature/empty', base: 'main' });
    await assert.rejects(empty, (thrown: RequestError) => {
      assert.equal(thrown.status, 422);
      assert.match(
        thrown.message,
        /^Validation Failed: .*"message":"No commits between main and feature\/empty"/,
      );
      return true;
    });
    const all = await octokit.paginate(octokit.rest.pulls.list, { ...repo, state: 'open', per_page: 2 });
    assert.deepEqual(
      all
        .map((pull) => pull.head.ref)
        .filter((ref) => ref.startsWith('feature/p'))
        .sort(),
      ['feature/p1', 'feature/p2', 'feature/p3'],
    );
    const byHead = await octokit.rest.pulls.list({ ...repo, head: 'acme:feature/p2' });
    assert.deepEqual(
      byHead.data.map((pull) => pull.head.ref),
      ['feature/p2'],
    );
    assert.deepEqual((await octokit.rest.pulls.list({ ...repo, base: 'other' })).data, []);
    const human = client(HUMAN_TOKEN);
    const first = byHead.data[0]!;
    await human.rest.pulls.update({ ...repo, pull_number: first.number, state: 'closed' });
    assert.ok(
      (await octokit.rest.pulls.list({ ...repo, state: 'closed' })).data.some(
        (pull) => pull.number === first.number,
      ),
    );
  });

  test('merge settings: all allowed by default, a turned-off method is a 405 with GitHub’s message', async () => {
    const settings = async () => {
      const { data } = await octokit.rest.repos.get(repo);
      return [data.allow_squash_merge, data.allow_merge_commit, data.allow_rebase_merge];
    };
    assert.deepEqual(await settings(), [true, true, true]);
    fixture.fake.setMergeMethods({ squash: false, merge: false, rebase: false });
    try {
      assert.deepEqual(await settings(), [false, false, false]);
      await branchWith('feature/m1', { 'm1.yaml': 'm: 1\n' });
      const { data: pull } = await octokit.rest.pulls.create({
        ...repo,
        title: 'm',
        head: 'feature/m1',
        base: 'main',
      });
      for (const [merge_method, message] of [
        ['squash', 'Squash merges are not allowed on this repository.'],
        ['merge', 'Merge commits are not allowed on this repository.'],
        ['rebase', 'Rebase merges are not allowed on this repository.'],
      ] as const) {
        assert.deepEqual(
          await status(octokit.rest.pulls.merge({ ...repo, pull_number: pull.number, merge_method })),
          [405, message],
        );
      }
      fixture.fake.setMergeMethods({ rebase: true });
      const merged = await octokit.rest.pulls.merge({
        ...repo,
        pull_number: pull.number,
        merge_method: 'rebase',
      });
      const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
      assert.equal(main.data.object.sha, merged.data.sha, 'a rebase moves the base to the replayed commit');
    } finally {
      fixture.fake.setMergeMethods({ squash: true, merge: true, rebase: true });
    }
  });

  test('compare reports identical, ahead, behind and diverged like git', async () => {
    const base = await branchWith('cmp/base', { 'c.yaml': 'c: 0\n' });
    assert.ok(await fixture.fake.repository.updateRef('refs/heads/cmp/ahead', base, undefined));
    const next = await branchWith('cmp/ahead', { 'c.yaml': 'c: 1\n' });
    const compare = async (basehead: string) =>
      (await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead })).data;
    assert.equal((await compare(`${base}...${base}`)).status, 'identical');
    const forward = await compare(`${base}...${next}`);
    assert.deepEqual([forward.status, forward.ahead_by, forward.behind_by], ['ahead', 1, 0]);
    assert.equal((await compare(`${next}...${base}`)).status, 'behind');
    const other = await branchWith('cmp/other', { 'o.yaml': 'o: 1\n' });
    const diverged = await compare(`${other}...${next}`);
    assert.deepEqual([diverged.status, diverged.ahead_by, diverged.behind_by], ['diverged', 2, 1]);
  });

  test('contents: files as base64 or raw, directories as listings, 404 for a missing path', async () => {
    const file = await octokit.rest.repos.getContent({ ...repo, path: '.sops.yaml' });
    assert.ok(!Array.isArray(file.data) && file.data.type === 'file' && 'content' in file.data);
    assert.match(Buffer.from(file.data.content, 'base64').toString('utf8'), /creation_rules/);
    const raw = await octokit.rest.repos.getContent({
      ...repo,
      path: 'README.md',
      mediaType: { format: 'raw' },
    });
    assert.equal(String(raw.data), '# GitOps\n');
    const dir = await octokit.rest.repos.getContent({ ...repo, path: 'clusters/home/apps' });
    assert.ok(Array.isArray(dir.data));
    assert.deepEqual(dir.data.map((entry) => `${entry.type}:${entry.path}`).sort(), [
      'dir:clusters/home/apps/linkding',
      'dir:clusters/home/apps/old',
      'file:clusters/home/apps/kustomization.yaml',
    ]);
    assert.equal((await status(octokit.rest.repos.getContent({ ...repo, path: 'nope.yaml' })))[0], 404);
  });

  test('fault injection fails exactly the next N requests with the given status and headers', async () => {
    fixture.fake.failNext(503, 2, 'Service Unavailable', { 'retry-after': '3' });
    const first = await status(octokit.rest.repos.get(repo));
    const second = await status(octokit.rest.repos.get(repo));
    assert.deepEqual(
      [first, second],
      [
        [503, 'Service Unavailable'],
        [503, 'Service Unavailable'],
      ],
    );
    assert.equal((await octokit.rest.repos.get(repo)).data.default_branch, 'main');
  });
});
