import type { Octokit } from 'octokit';
import type { ChangeSet } from '../../core/changeset.js';
import {
  type GitProvider,
  type MergeMethod,
  type OpenChangeSetPrRequest,
  type OpenedPr,
  type PathFilter,
  type Person,
  type PullRequestInfo,
} from '../../core/git-provider.js';
import {
  ANNOUNCEMENT_LABEL,
  BRANCH_PREFIX,
  branchFor,
  parsePrMetadata,
  renderPrBody,
  type PrBlock,
  type PrMetadata,
} from '../../core/pr-metadata.js';
import { chooseMergeMethod, MERGE_METHOD_LABEL, type AllowedMergeMethods } from '../../core/merge-method.js';
import { isYamlPath, type RepoSnapshot } from '../../core/snapshot.js';
import { TunnelbotError, asTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  createOctokit,
  githubError,
  isRequestError,
  requestMessage,
  type GitHubClientOptions,
} from './client.js';

export interface GitHubProviderOptions extends GitHubClientOptions {
  owner: string;
  repo: string;
  /** The branch PRs target; the repository's default branch when absent. */
  branch?: string;
  /** Label put on every tunnelbot PR (DESIGN §5). */
  label?: string;
  /** Parallel reads when loading a snapshot. */
  readConcurrency?: number;
  /** The clock the repository settings cache ages by; tests move it. */
  now?: () => number;
}

/** The repository's merge settings are read again after this long, so a change there is followed within minutes. */
export const REPOSITORY_SETTINGS_MAX_AGE_MS = 5 * 60 * 1000;

type RepositoryData = Awaited<ReturnType<Octokit['rest']['repos']['get']>>['data'];

interface PullLike {
  number: number;
  html_url: string;
  state: string;
  merged?: boolean;
  merged_at: string | null;
  merge_commit_sha: string | null;
  head: { sha: string; ref: string };
  base: { ref: string };
  title: string;
  body: string | null;
  labels: { name?: string }[];
}

const MAX_CACHED_TREES = 64;
/** Whole file trees kept (a large repository's is megabytes): the default branch's latest commits. */
const MAX_CACHED_FILE_TREES = 4;
/** Enough for every YAML file of a large GitOps repository; bounded so memory stays small (about 50 MB at most). */
const MAX_CACHED_BLOBS = 5_000;
const MAX_CACHED_BLOB_CHARS = 10_000;

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sameRequest(a: PrMetadata, b: PrBlock): boolean {
  return b.action !== 'init' && a.action === b.action && a.app === b.app && a.environment === b.environment;
}

function approvalLine(person: Person): string {
  return `${person.name} (Slack ${person.slackUserId})`;
}

/**
 * GitProvider on the GitHub REST API. Writes follow the Git Data recipe (tree with inline contents, commit, ref,
 * pull) so a request is one commit that becomes visible atomically when its ref is created; that ref creation is
 * also the lock between concurrent requests. Reads are pinned to commit SHAs, never to branch names.
 */
export class GitHubProvider implements GitProvider {
  private client: Promise<Octokit> | undefined;
  private readonly logger: Logger;
  private readonly label: string;
  private baseBranch: Promise<string> | undefined;
  private repository: { data: Promise<RepositoryData>; readAt: number } | undefined;
  /** commit SHA -> tree SHA, learnt from reads, so a change set right after a read costs no extra round trip. */
  private readonly treeOfCommit = new Map<string, string>();
  /**
   * commit SHA -> path -> blob SHA of the last few commits read. A commit's tree never changes, and the default
   * branch usually has not moved since housekeeping last read it, so a request's read of it costs one round trip
   * (the branch) instead of two. It also lets a change set refuse deleting a file the base does not have before
   * GitHub does.
   */
  private readonly blobsOfCommit = new Map<string, ReadonlyMap<string, string>>();
  /**
   * blob SHA -> content. Blobs are immutable, so a snapshot of a later commit (housekeeping reads one every few
   * minutes) costs one tree read plus the files that actually changed.
   */
  private readonly blobs = new Map<string, string>();
  /**
   * Reads of immutable objects (a commit's tree, a blob) under way, by key: requests arriving together (a burst of
   * commands, housekeeping beside a request) share one round trip instead of each reading every file.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly options: GitHubProviderOptions) {
    this.logger = options.logger.child({ component: 'github', repo: `${options.owner}/${options.repo}` });
    this.label = options.label ?? 'tunnelbot';
    if (options.branch) this.baseBranch = Promise.resolve(options.branch);
  }

  private octokit(): Promise<Octokit> {
    this.client ??= createOctokit(this.options).catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private get repoRef() {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  private get repoName(): string {
    return `${this.options.owner}/${this.options.repo}`;
  }

  private remember<V>(cache: Map<string, V>, key: string, value: V, capacity = MAX_CACHED_TREES): void {
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
  }

  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const reading = read().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, reading);
    return reading;
  }

  private async call<T>(doing: string, request: (octokit: Octokit) => Promise<T>): Promise<T> {
    const octokit = await this.octokit();
    try {
      return await request(octokit);
    } catch (error) {
      throw githubError(error, doing);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** `GET /repos/{owner}/{repo}`, shared by every caller for at most REPOSITORY_SETTINGS_MAX_AGE_MS. */
  private repositoryData(): Promise<RepositoryData> {
    const cached = this.repository;
    if (cached && this.now() - cached.readAt < REPOSITORY_SETTINGS_MAX_AGE_MS) return cached.data;
    const entry = {
      readAt: this.now(),
      data: this.call(`reading repository ${this.repoName}`, (o) => o.rest.repos.get(this.repoRef)).then(
        ({ data }) => data,
        (error: unknown) => {
          if (this.repository === entry) this.repository = undefined;
          throw error;
        },
      ),
    };
    this.repository = entry;
    return entry.data;
  }

  /** Learnt once: the configured branch, or the repository's default branch. */
  private baseBranchName(): Promise<string> {
    this.baseBranch ??= this.repositoryData().then(
      (data) => data.default_branch,
      (error: unknown) => {
        this.baseBranch = undefined;
        throw error;
      },
    );
    return this.baseBranch;
  }

  /**
   * The repository's merge settings. GitHub leaves them out for credentials that may not see them; absent counts
   * as allowed (GitHub's default), and GitHub's 405 then names the method it refuses.
   */
  private async allowedMergeMethods(): Promise<AllowedMergeMethods> {
    const data = await this.repositoryData();
    return {
      squash: data.allow_squash_merge ?? true,
      merge: data.allow_merge_commit ?? true,
      rebase: data.allow_rebase_merge ?? true,
    };
  }

  async defaultBranch(): Promise<{ name: string; sha: string }> {
    const name = await this.baseBranchName();
    const { data } = await this.call(`reading branch ${name} of ${this.repoName}`, (o) =>
      o.rest.repos.getBranch({ ...this.repoRef, branch: name }),
    );
    this.remember(this.treeOfCommit, data.commit.sha, data.commit.commit.tree.sha);
    return { name, sha: data.commit.sha };
  }

  async listPaths(sha: string): Promise<string[]> {
    return [...(await this.readTree(sha)).keys()];
  }

  /** path -> blob SHA of every file at a commit, in one recursive tree read. */
  private async readTree(sha: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.blobsOfCommit.get(sha);
    if (cached) return cached;
    return this.shared(`tree ${sha}`, () => this.fetchTree(sha));
  }

  private async fetchTree(sha: string): Promise<ReadonlyMap<string, string>> {
    const { data } = await this.call(`reading the file tree of ${this.repoName} at ${sha}`, (o) =>
      o.rest.git.getTree({ ...this.repoRef, tree_sha: sha, recursive: 'true' }),
    );
    if (data.truncated) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_REJECTED',
        `The file tree of ${this.repoName} at ${sha} is too large for one GitHub tree read (truncated).`,
        { fix: 'Keep the GitOps repository under 100,000 files, or split it.' },
      );
    }
    this.remember(this.treeOfCommit, sha, data.sha);
    const blobs = new Map<string, string>();
    for (const entry of data.tree) {
      if (entry.type === 'blob' && entry.path && entry.sha) blobs.set(entry.path, entry.sha);
    }
    this.remember(this.blobsOfCommit, sha, blobs, MAX_CACHED_FILE_TREES);
    return blobs;
  }

  async readFiles(sha: string, paths: readonly string[]): Promise<Map<string, string | undefined>> {
    const contents = await mapBounded(paths, this.options.readConcurrency ?? 8, async (path) => {
      const octokit = await this.octokit();
      try {
        const { data } = await octokit.rest.repos.getContent({ ...this.repoRef, path, ref: sha });
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
        return Buffer.from(data.content, 'base64').toString('utf8');
      } catch (error) {
        if (isRequestError(error, 404)) return undefined;
        throw githubError(error, `reading ${path} of ${this.repoName} at ${sha}`);
      }
    });
    return new Map(paths.map((path, index) => [path, contents[index]]));
  }

  async readSnapshot(sha: string, filter: PathFilter = isYamlPath): Promise<RepoSnapshot> {
    const tree = await this.readTree(sha);
    const wanted = [...tree.entries()].filter(([path]) => filter(path));
    const contents = await mapBounded(wanted, this.options.readConcurrency ?? 8, async ([path, blobSha]) => {
      const cached = this.blobs.get(blobSha);
      if (cached !== undefined) return cached;
      return this.shared(`blob ${blobSha}`, async () => {
        const { data } = await this.call(`reading ${path} of ${this.repoName} at ${sha}`, (o) =>
          o.rest.git.getBlob({ ...this.repoRef, file_sha: blobSha }),
        );
        const content = Buffer.from(data.content, 'base64').toString('utf8');
        if (content.length <= MAX_CACHED_BLOB_CHARS)
          this.remember(this.blobs, blobSha, content, MAX_CACHED_BLOBS);
        return content;
      });
    });
    return { baseSha: sha, files: new Map(wanted.map(([path], index) => [path, contents[index] ?? ''])) };
  }

  private async treeSha(commitSha: string): Promise<string> {
    const cached = this.treeOfCommit.get(commitSha);
    if (cached) return cached;
    const { data } = await this.call(`reading commit ${commitSha} of ${this.repoName}`, (o) =>
      o.rest.git.getCommit({ ...this.repoRef, commit_sha: commitSha }),
    );
    this.remember(this.treeOfCommit, commitSha, data.tree.sha);
    return data.tree.sha;
  }

  /** Writes the change set as one unpublished commit on `baseSha`; nothing is visible until a ref points at it. */
  private async commitChangeSet(
    baseSha: string,
    changeSet: ChangeSet,
    request: OpenChangeSetPrRequest,
  ): Promise<string> {
    return this.writeCommit(baseSha, changeSet, request.title, this.commitMessage(request, changeSet));
  }

  private async writeCommit(
    baseSha: string,
    changeSet: ChangeSet,
    title: string,
    message: string,
  ): Promise<string> {
    if (changeSet.files.length === 0) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_EMPTY_CHANGE_SET',
        `The change set for "${title}" changes no file.`,
      );
    }
    const known = this.blobsOfCommit.get(baseSha);
    for (const file of changeSet.files) {
      if (file.change === 'deleted' && known && !known.has(file.path)) {
        throw new TunnelbotError(
          'TB_ERR_GITHUB_REJECTED',
          `Cannot delete ${file.path}: it does not exist in ${this.repoName} at ${baseSha}.`,
          { fix: 'Plan the request again from the current default branch.' },
        );
      }
    }
    const baseTree = await this.treeSha(baseSha);
    const tree = await this.call(`writing the file tree for "${title}"`, (o) =>
      o.rest.git.createTree({
        ...this.repoRef,
        base_tree: baseTree,
        tree: changeSet.files.map((file) =>
          file.change === 'deleted'
            ? { path: file.path, mode: '100644' as const, type: 'blob' as const, sha: null }
            : { path: file.path, mode: '100644' as const, type: 'blob' as const, content: file.content },
        ),
      }),
    );
    const commit = await this.call(`writing the commit for "${title}"`, (o) =>
      o.rest.git.createCommit({ ...this.repoRef, message, tree: tree.data.sha, parents: [baseSha] }),
    );
    this.remember(this.treeOfCommit, commit.data.sha, tree.data.sha);
    return commit.data.sha;
  }

  private commitMessage(request: OpenChangeSetPrRequest, changeSet: ChangeSet): string {
    if (request.metadata.action === 'init') {
      return `${request.title}\n\n${changeSet.summary.trim()}\n\nRequested-by: tunnelbot init (command line)`;
    }
    const requester = request.metadata.requester;
    const who = requester.name
      ? `${requester.name} (Slack ${requester.slackUserId})`
      : `Slack ${requester.slackUserId}`;
    return `${request.title}\n\n${changeSet.summary.trim()}\n\nRequested-by: ${who}`.trim();
  }

  async openChangeSetPr(request: OpenChangeSetPrRequest): Promise<OpenedPr> {
    const branch = branchFor(request.metadata);
    const body = renderPrBody(request.summary, request.metadata);
    const log = this.logger.child({ branch });
    // Reads that do not depend on the first write run beside it, so they cost no sequential round trip: the base
    // branch name, and (with a rebuild callback) whether the default branch moved since planning.
    const [firstCommit, current, base] = await Promise.all([
      this.commitChangeSet(request.baseSha, request.changeSet, request),
      request.rebuild ? this.defaultBranch() : undefined,
      this.baseBranchName(),
    ]);
    let headSha = firstCommit;
    let baseSha = request.baseSha;
    if (request.rebuild && current && current.sha !== request.baseSha) {
      log.info(
        { plannedOn: request.baseSha, current: current.sha },
        'default branch moved; rebuilding change set',
      );
      baseSha = current.sha;
      const changeSet = await request.rebuild(await this.readSnapshot(baseSha));
      headSha = await this.commitChangeSet(baseSha, changeSet, request);
    }
    if (await this.createBranch(branch, headSha)) {
      log.info({ headSha }, 'branch created');
      return this.createPull(request, branch, base, body, headSha);
    }
    return this.adoptExisting(request, { branch, base, body, headSha, baseSha, log });
  }

  /** True when the ref was created; false when it already exists (another attempt holds the lock). */
  private async createBranch(branch: string, sha: string): Promise<boolean> {
    const octokit = await this.octokit();
    try {
      await octokit.rest.git.createRef({ ...this.repoRef, ref: `refs/heads/${branch}`, sha });
      return true;
    } catch (error) {
      if (isRequestError(error, 422) && /already exists/i.test(requestMessage(error))) return false;
      throw githubError(error, `creating branch ${branch} in ${this.repoName}`);
    }
  }

  private async createPull(
    request: OpenChangeSetPrRequest,
    branch: string,
    base: string,
    body: string,
    headSha: string,
  ): Promise<OpenedPr> {
    const octokit = await this.octokit();
    let pull;
    try {
      pull = await octokit.rest.pulls.create({
        ...this.repoRef,
        base,
        head: branch,
        title: request.title,
        body,
      });
    } catch (error) {
      const doing = `opening the pull request for ${branch} in ${this.repoName}`;
      if (isRequestError(error, 422) && /a pull request already exists/i.test(requestMessage(error))) {
        // A concurrent attempt opened it first. Deleting the branch now would make GitHub close that PR (and the
        // closed-PR handler delete its tunnel), so the branch stays whatever happens next.
        const existing = await this.findOpenPr(branch);
        if (existing) return this.adopted(existing, request.metadata);
        throw githubError(error, doing);
      }
      await this.undo(`branch ${branch}`, () => this.deleteBranch(branch));
      throw githubError(error, doing);
    }
    const opened: OpenedPr = { number: pull.data.number, url: pull.data.html_url, headSha, created: true };
    const [labelled] = await Promise.allSettled([
      this.call(`labelling pull request #${pull.data.number}`, (o) =>
        o.rest.issues.addLabels({
          ...this.repoRef,
          issue_number: pull.data.number,
          labels: [this.label, ANNOUNCEMENT_LABEL],
        }),
      ),
      request.onCreated?.(opened).catch((error: unknown) => {
        this.logger.warn({ err: asTunnelbotError(error) }, 'telling that the pull request is open failed');
      }),
    ]);
    if (labelled.status === 'rejected') {
      // Without its label the PR is invisible to the poller and the orphan collector: take it back whole.
      await this.undo(`pull request #${pull.data.number}`, async () => {
        const octokit = await this.octokit();
        await octokit.rest.pulls.update({ ...this.repoRef, pull_number: pull.data.number, state: 'closed' });
        await this.deleteBranch(branch);
      });
      throw labelled.reason;
    }
    return opened;
  }

  /**
   * Takes back a half-done PR so a failure leaves no branch without its PR. If GitHub refuses even that, the
   * branch stays and the next attempt adopts it (a branch without a PR gets its PR).
   */
  private async undo(what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.logger.warn(
        { err: githubError(error, `removing ${what}`) },
        'could not take back a half-done pull request',
      );
    }
  }

  /** The branch name is the lock, so its PR must be for this very request (app/environment names can collide). */
  private assertSameRequest(existing: PullRequestInfo, metadata: PrBlock): void {
    if (existing.metadata && !sameRequest(existing.metadata, metadata)) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_BRANCH_TAKEN',
        `Branch ${existing.headRef} already carries pull request #${existing.number} for ` +
          `${existing.metadata.action} ${existing.metadata.app} in ${existing.metadata.environment}.`,
        { fix: `Merge or close ${existing.url} first, then run the request again.` },
      );
    }
  }

  /** Returns an existing PR of this request, labelling it if a crash came between the pull and the label. */
  private async adopted(existing: PullRequestInfo, metadata: PrBlock): Promise<OpenedPr> {
    this.assertSameRequest(existing, metadata);
    if (!existing.labels.includes(this.label)) {
      await this.call(`labelling pull request #${existing.number}`, (o) =>
        o.rest.issues.addLabels({
          ...this.repoRef,
          issue_number: existing.number,
          labels: [this.label, ANNOUNCEMENT_LABEL],
        }),
      );
    }
    return { number: existing.number, url: existing.url, headSha: existing.headSha, created: false };
  }

  /**
   * The branch exists: a retry, a concurrent request, or a crash between ref and pull. A branch with our commits on
   * top of the base is kept as it is; one built on an older base is replaced only when the caller rebuilt the change
   * set on the current base; one without any commit of its own holds nothing and is always replaced.
   */
  private async adoptExisting(
    request: OpenChangeSetPrRequest,
    state: { branch: string; base: string; body: string; headSha: string; baseSha: string; log: Logger },
  ): Promise<OpenedPr> {
    const { branch, log } = state;
    const [comparison, existing] = await Promise.all([
      this.call(`comparing ${branch} with ${state.baseSha}`, (o) =>
        o.rest.repos.compareCommitsWithBasehead({
          ...this.repoRef,
          basehead: `${state.baseSha}...${branch}`,
        }),
      ),
      this.findOpenPr(branch),
    ]);
    if (existing) this.assertSameRequest(existing, request.metadata);
    const { ahead_by: ahead, behind_by: behind, commits } = comparison.data;
    const replace = ahead === 0 || (behind > 0 && request.rebuild !== undefined);
    if (!replace) {
      log.info({ pr: existing?.number }, 'adopting existing branch');
      if (existing) return this.adopted(existing, request.metadata);
      const branchHead = commits.at(-1)?.sha ?? state.headSha;
      return this.createPull(request, branch, state.base, state.body, branchHead);
    }
    log.info(
      { headSha: state.headSha, ahead, behind },
      'replacing the branch with the change set on the current base',
    );
    await this.call(`updating branch ${branch} in ${this.repoName}`, (o) =>
      o.rest.git.updateRef({ ...this.repoRef, ref: `heads/${branch}`, sha: state.headSha, force: true }),
    );
    if (!existing) return this.createPull(request, branch, state.base, state.body, state.headSha);
    await this.call(`updating pull request #${existing.number}`, (o) =>
      o.rest.pulls.update({
        ...this.repoRef,
        pull_number: existing.number,
        title: request.title,
        body: state.body,
      }),
    );
    await this.adopted(existing, request.metadata);
    return { number: existing.number, url: existing.url, headSha: state.headSha, created: false };
  }

  private toInfo(pull: PullLike): PullRequestInfo {
    const merged = pull.merged ?? pull.merged_at !== null;
    const info: PullRequestInfo = {
      number: pull.number,
      url: pull.html_url,
      state: pull.state === 'open' ? 'open' : 'closed',
      merged,
      headSha: pull.head.sha,
      headRef: pull.head.ref,
      baseRef: pull.base.ref,
      title: pull.title,
      body: pull.body ?? '',
      labels: pull.labels.flatMap((label) => (label.name ? [label.name] : [])),
    };
    if (merged && pull.merge_commit_sha) info.mergeSha = pull.merge_commit_sha;
    try {
      const metadata = parsePrMetadata(pull.body);
      if (metadata) info.metadata = metadata;
    } catch (error) {
      this.logger.warn({ pr: pull.number, err: error }, 'pull request carries an invalid tunnelbot block');
    }
    return info;
  }

  async getPr(number: number): Promise<PullRequestInfo> {
    const { data } = await this.call(`reading pull request #${number} of ${this.repoName}`, (o) =>
      o.rest.pulls.get({ ...this.repoRef, pull_number: number }),
    );
    return this.toInfo(data);
  }

  async findOpenPr(branch: string): Promise<PullRequestInfo | undefined> {
    const { data } = await this.call(`looking for the open pull request of ${branch}`, (o) =>
      o.rest.pulls.list({
        ...this.repoRef,
        state: 'open',
        head: `${this.options.owner}:${branch}`,
        per_page: 10,
      }),
    );
    const [pull] = data;
    return pull ? this.toInfo(pull) : undefined;
  }

  async findMergedPr(branch: string): Promise<PullRequestInfo | undefined> {
    const { data } = await this.call(`looking for the merged pull request of ${branch}`, (o) =>
      o.rest.pulls.list({
        ...this.repoRef,
        state: 'closed',
        head: `${this.options.owner}:${branch}`,
        sort: 'created',
        direction: 'desc',
        per_page: 10,
      }),
    );
    const pull = data.find((candidate) => candidate.merged_at !== null);
    return pull ? this.toInfo(pull) : undefined;
  }

  async pullRequestsOf(branch: string): Promise<PullRequestInfo[]> {
    const pulls = await this.call(`listing the pull requests of ${branch}`, (o) =>
      o.paginate(o.rest.pulls.list, {
        ...this.repoRef,
        state: 'all',
        head: `${this.options.owner}:${branch}`,
        sort: 'created',
        direction: 'desc',
        per_page: 100,
      }),
    );
    return pulls.map((pull) => this.toInfo(pull));
  }

  async listRequestBranches(): Promise<{ name: string; sha: string }[]> {
    const refs = await this.call(`listing the ${BRANCH_PREFIX} branches of ${this.repoName}`, (o) =>
      o.paginate(o.rest.git.listMatchingRefs, {
        ...this.repoRef,
        ref: `heads/${BRANCH_PREFIX}`,
      }),
    );
    return refs.map((ref) => ({ name: ref.ref.replace(/^refs\/heads\//, ''), sha: ref.object.sha }));
  }

  async deleteRequestBranch(branch: string): Promise<void> {
    await this.call(`deleting branch ${branch}`, () => this.deleteBranch(branch));
  }

  async listOpenTunnelbotPrs(): Promise<PullRequestInfo[]> {
    const base = await this.baseBranchName();
    const pulls = await this.call(`listing open pull requests of ${this.repoName}`, (o) =>
      o.paginate(o.rest.pulls.list, { ...this.repoRef, state: 'open', base, per_page: 100 }),
    );
    return pulls
      .filter((pull) => pull.labels.some((label) => label.name === this.label))
      .map((pull) => this.toInfo(pull));
  }

  /** Reads a PR for a write and refuses anything that is not an open tunnelbot PR, before changing anything. */
  private async openTunnelbotPr(number: number): Promise<PullRequestInfo> {
    const pr = await this.getPr(number);
    if (!pr.headRef.startsWith(BRANCH_PREFIX)) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_NOT_TUNNELBOT_PR',
        `Pull request #${number} of ${this.repoName} has branch ${pr.headRef}, not a tunnelbot/ branch.`,
      );
    }
    this.assertOpen(pr);
    return pr;
  }

  private assertOpen(pr: PullRequestInfo): void {
    if (pr.merged) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_PR_ALREADY_MERGED',
        `Pull request #${pr.number} (${pr.url}) is already merged.`,
        {
          details: { mergeSha: pr.mergeSha },
        },
      );
    }
    if (pr.state === 'closed') {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_PR_CLOSED',
        `Pull request #${pr.number} (${pr.url}) was closed without merging.`,
      );
    }
  }

  async mergePr(input: {
    number: number;
    expectedHeadSha: string;
    approver: Person;
    method?: MergeMethod;
  }): Promise<{ mergeSha: string; method: MergeMethod }> {
    const pr = await this.openTunnelbotPr(input.number);
    if (pr.headSha !== input.expectedHeadSha) throw this.headChanged(pr, input.expectedHeadSha);
    // A method GitHub refuses is off, whatever the (cached, or hidden) settings said: read them again and choose
    // among the rest. Each round rules one method out, so this ends with a merge or chooseMergeMethod's error.
    const refused = new Set<MergeMethod>();
    let merged: { mergeSha: string; method: MergeMethod } | undefined;
    while (!merged) {
      const allowed = { ...(await this.allowedMergeMethods()) };
      for (const method of refused) allowed[method] = false;
      const method = chooseMergeMethod(allowed, this.repoName, input.method);
      const mergeSha = await this.mergeWith(pr, input, method);
      if (mergeSha !== undefined) merged = { mergeSha, method };
      else {
        refused.add(method);
        this.repository = undefined;
      }
    }
    const { mergeSha, method } = merged;
    this.logger.info(
      { pr: pr.number, mergeSha, method, approver: input.approver.slackUserId },
      'pull request merged',
    );
    const octokit = await this.octokit();
    await this.afterwards(pr, [
      () =>
        octokit.rest.issues.createComment({
          ...this.repoRef,
          issue_number: pr.number,
          body: `Approved in Slack by ${approvalLine(input.approver)} and merged as ${mergeSha} (${MERGE_METHOD_LABEL[method]}).`,
        }),
      () => this.deleteBranch(pr.headRef),
    ]);
    return { mergeSha, method };
  }

  async rebuildPr(input: {
    number: number;
    expectedHeadSha: string;
    baseSha: string;
    changeSet: ChangeSet;
  }): Promise<string> {
    const { data: head } = await this.call(
      `reading commit ${input.expectedHeadSha} of ${this.repoName}`,
      (o) => o.rest.git.getCommit({ ...this.repoRef, commit_sha: input.expectedHeadSha }),
    );
    // Unpublished until the ref moves: written first, so the check of the head below comes as late as it can.
    const headSha = await this.writeCommit(
      input.baseSha,
      input.changeSet,
      `the rebuild of pull request #${input.number}`,
      head.message,
    );
    // GitHub's ref update has no compare-and-swap: the head is read right before the force-update, so only a push
    // landing in that one round trip could be overwritten, and the merge pinned to our commit then refuses.
    const pr = await this.openTunnelbotPr(input.number);
    if (pr.headSha !== input.expectedHeadSha) throw this.headChanged(pr, input.expectedHeadSha);
    await this.call(`updating branch ${pr.headRef} in ${this.repoName}`, (o) =>
      o.rest.git.updateRef({ ...this.repoRef, ref: `heads/${pr.headRef}`, sha: headSha, force: true }),
    );
    this.logger.info(
      { pr: pr.number, from: input.expectedHeadSha, headSha, baseSha: input.baseSha },
      'pull request rebuilt on the default branch',
    );
    return headSha;
  }

  async commitParents(sha: string): Promise<string[]> {
    const { data } = await this.call(`reading commit ${sha} of ${this.repoName}`, (o) =>
      o.rest.git.getCommit({ ...this.repoRef, commit_sha: sha }),
    );
    this.remember(this.treeOfCommit, sha, data.tree.sha);
    return data.parents.map((parent) => parent.sha);
  }

  async changedPaths(fromSha: string, toSha: string): Promise<string[]> {
    const [from, to] = await Promise.all([this.readTree(fromSha), this.readTree(toSha)]);
    const paths = new Set<string>();
    for (const [path, blob] of from) if (to.get(path) !== blob) paths.add(path);
    for (const path of to.keys()) if (!from.has(path)) paths.add(path);
    return [...paths].sort();
  }

  private headChanged(pr: PullRequestInfo, expectedHeadSha: string): TunnelbotError {
    return new TunnelbotError(
      'TB_ERR_GITHUB_PR_HEAD_CHANGED',
      `Pull request #${pr.number} changed since it was shown (shown ${expectedHeadSha.slice(0, 7)}); it was not merged.`,
      { details: { expectedHeadSha } },
    );
  }

  /**
   * One merge call pinned to the head SHA the approver saw; undefined when GitHub refuses the method itself
   * ("Squash merges are not allowed on this repository."), which the caller answers from fresh settings.
   */
  private async mergeWith(
    pr: PullRequestInfo,
    input: { expectedHeadSha: string; approver: Person },
    method: MergeMethod,
  ): Promise<string | undefined> {
    // GitHub ignores commit_title/commit_message for rebase merges; the approval comment is then the only record.
    const title =
      method === 'squash'
        ? `${pr.title} (#${pr.number})`
        : `Merge pull request #${pr.number} from ${pr.headRef}`;
    const message = `${pr.title}\n\nApproved-by: ${approvalLine(input.approver)}`;
    const octokit = await this.octokit();
    try {
      const { data } = await octokit.rest.pulls.merge({
        ...this.repoRef,
        pull_number: pr.number,
        sha: input.expectedHeadSha,
        merge_method: method,
        commit_title: title,
        commit_message: message,
        request: { retries: 0 },
      });
      return data.sha;
    } catch (error) {
      if (isRequestError(error, 409)) throw this.headChanged(pr, input.expectedHeadSha);
      if (isRequestError(error, 405)) {
        if (/(merges|merge commits) are not allowed on this repository/i.test(requestMessage(error))) {
          return undefined;
        }
        const { data } = await this.call(`reading pull request #${pr.number} of ${this.repoName}`, (o) =>
          o.rest.pulls.get({ ...this.repoRef, pull_number: pr.number }),
        );
        this.assertOpen(this.toInfo(data));
        // GitHub computes mergeability in the background: `mergeable` is null until it has, and then the words of
        // the 405 are all there is to tell a conflict from a branch rule.
        const conflicting =
          data.mergeable === false ||
          data.mergeable_state === 'dirty' ||
          (data.mergeable === null && /merge conflicts/i.test(requestMessage(error)));
        throw new TunnelbotError(
          'TB_ERR_GITHUB_PR_NOT_MERGEABLE',
          `GitHub refused to merge pull request #${pr.number} (${pr.url}): ${requestMessage(error)}${conflicting ? ' (it conflicts with the default branch)' : ''}.`,
          { details: { conflicting, headSha: data.head.sha } },
        );
      }
      throw githubError(error, `merging pull request #${pr.number}`);
    }
  }

  /** Bookkeeping after the decisive write; a failure here is logged, not thrown, since the decision already stands. */
  private async afterwards(pr: PullRequestInfo, steps: (() => Promise<unknown>)[]): Promise<void> {
    const results = await Promise.allSettled(steps.map((step) => step()));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.logger.warn(
          { pr: pr.number, err: githubError(result.reason, 'finishing up') },
          'follow-up step failed',
        );
      }
    }
  }

  private async deleteBranch(branch: string): Promise<void> {
    if (!branch.startsWith(BRANCH_PREFIX)) return;
    const octokit = await this.octokit();
    try {
      await octokit.rest.git.deleteRef({ ...this.repoRef, ref: `heads/${branch}` });
    } catch (error) {
      if (isRequestError(error, 422)) return;
      throw error;
    }
  }

  async closePr(input: { number: number; reason: string; actor: Person }): Promise<void> {
    const pr = await this.openTunnelbotPr(input.number);
    await this.call(`closing pull request #${pr.number}`, (o) =>
      o.rest.pulls.update({ ...this.repoRef, pull_number: pr.number, state: 'closed' }),
    );
    this.logger.info({ pr: pr.number, actor: input.actor.slackUserId }, 'pull request closed');
    const octokit = await this.octokit();
    await this.afterwards(pr, [
      () =>
        octokit.rest.issues.createComment({
          ...this.repoRef,
          issue_number: pr.number,
          body: `Rejected in Slack by ${approvalLine(input.actor)}: ${input.reason}`,
        }),
      () => this.deleteBranch(pr.headRef),
    ]);
  }

  async prForCommit(sha: string): Promise<PullRequestInfo | undefined> {
    const doing = `looking up the pull request of commit ${sha}`;
    const { data } = await this.call(doing, async (o) => {
      try {
        return await o.rest.repos.listPullRequestsAssociatedWithCommit({ ...this.repoRef, commit_sha: sha });
      } catch (error) {
        // GitHub answers 422 "No commit found for SHA" for a commit the repository does not have.
        if (isRequestError(error, 422) && /no commit found/i.test(requestMessage(error))) {
          throw new TunnelbotError('TB_ERR_GITHUB_NOT_FOUND', `${this.repoName} has no commit ${sha}.`, {
            details: { status: 422 },
          });
        }
        throw error;
      }
    });
    const pull =
      data.find((candidate) => candidate.merge_commit_sha === sha) ??
      data.find((candidate) => candidate.merged_at !== null) ??
      data[0];
    return pull ? this.toInfo(pull) : undefined;
  }

  async addLabel(number: number, label: string): Promise<void> {
    await this.call(`labelling pull request #${number} ${label}`, (o) =>
      o.rest.issues.addLabels({ ...this.repoRef, issue_number: number, labels: [label] }),
    );
  }

  async removeLabel(number: number, label: string): Promise<boolean> {
    return this.call(`removing label ${label} from pull request #${number}`, async (o) => {
      try {
        await o.rest.issues.removeLabel({ ...this.repoRef, issue_number: number, name: label });
        return true;
      } catch (error) {
        // "Label does not exist": the PR does not have it (any more).
        if (isRequestError(error, 404)) return false;
        throw error;
      }
    });
  }

  async commitContains(ancestorSha: string, descendantSha: string): Promise<boolean> {
    const { data } = await this.call(`comparing ${ancestorSha} with ${descendantSha}`, (o) =>
      o.rest.repos.compareCommitsWithBasehead({
        ...this.repoRef,
        basehead: `${ancestorSha}...${descendantSha}`,
      }),
    );
    return data.status === 'ahead' || data.status === 'identical';
  }
}
