import type { ChangeSet } from './changeset.js';
import type { PrBlock, PrMetadata } from './pr-metadata.js';
import type { MergeMethod } from './merge-method.js';
import type { RepoSnapshot } from './snapshot.js';

/** A pull request as workflows need it; `metadata` is set when the body carries a valid tunnelbot block. */
export interface PullRequestInfo {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  /** The merge commit on the base branch (merge, squash or rebase result), once merged. */
  mergeSha?: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  title: string;
  body: string;
  labels: string[];
  metadata?: PrMetadata;
}

export interface Person {
  slackUserId: string;
  name: string;
}

export type { MergeMethod } from './merge-method.js';

export interface OpenChangeSetPrRequest {
  /** A request's record, or the block of a `tunnelbot init` PR. */
  metadata: PrBlock;
  title: string;
  /** Human part of the PR body; the machine block is appended after it. */
  summary: string;
  /** The default-branch commit the change set was planned against; the commit's only parent. */
  baseSha: string;
  changeSet: ChangeSet;
  /**
   * Re-plans the request on a newer base. When the request's branch exists but was built on an older base, the
   * branch is rebuilt from this on `baseSha` and force-updated, so the PR never conflicts with what merged meanwhile.
   */
  rebuild?: (snapshot: RepoSnapshot) => Promise<ChangeSet>;
  /**
   * Told a new pull request exists while it is being labelled, so whoever waits for the PR link sees it one round
   * trip sooner. Awaited before openChangeSetPr returns, and before a PR whose labelling failed is taken back; it
   * handles its own failures (a rejection is logged and otherwise ignored: the PR stands).
   */
  onCreated?: (pr: OpenedPr) => Promise<void>;
}

export interface OpenedPr {
  number: number;
  url: string;
  headSha: string;
  /** False when an existing branch/PR for the same request was adopted (a retry, a double click, a second replica). */
  created: boolean;
}

/** Paths predicate for snapshots; the default keeps the YAML files a planner reads. */
export type PathFilter = (path: string) => boolean;

/** The GitOps repository host. GitHub is the implementation today; the seam keeps Gitea/Forgejo possible. */
export interface GitProvider {
  defaultBranch(): Promise<{ name: string; sha: string }>;
  /** Every file path (blobs only) of the tree at a commit. */
  listPaths(sha: string): Promise<string[]>;
  /** File contents at a commit; a path missing at that commit maps to undefined. */
  readFiles(sha: string, paths: readonly string[]): Promise<Map<string, string | undefined>>;
  readSnapshot(sha: string, filter?: PathFilter): Promise<RepoSnapshot>;
  openChangeSetPr(request: OpenChangeSetPrRequest): Promise<OpenedPr>;
  getPr(number: number): Promise<PullRequestInfo>;
  findOpenPr(branch: string): Promise<PullRequestInfo | undefined>;
  /** The most recent merged pull request of `branch`, e.g. the expose whose thread a later event is told in. */
  findMergedPr(branch: string): Promise<PullRequestInfo | undefined>;
  listOpenTunnelbotPrs(): Promise<PullRequestInfo[]>;
  /** The branches under `tunnelbot/` and the commit each points at. */
  listRequestBranches(): Promise<{ name: string; sha: string }[]>;
  /** Every pull request (open, closed or merged) whose head is `branch`, the newest first. */
  pullRequestsOf(branch: string): Promise<PullRequestInfo[]>;
  /** Deletes a branch under `tunnelbot/`; one already gone is no error. */
  deleteRequestBranch(branch: string): Promise<void>;
  /**
   * Merges with `method` (the settings' `repository.mergeMethod`) or, without one, the first method the repository
   * allows of squash, merge, rebase; answers which one was used.
   */
  mergePr(input: {
    number: number;
    expectedHeadSha: string;
    approver: Person;
    method?: MergeMethod;
  }): Promise<{ mergeSha: string; method: MergeMethod }>;
  /**
   * Replaces an open tunnelbot PR's branch with one commit on `baseSha` holding `changeSet` (and the message of the
   * PR's head commit), only while the branch's head is still `expectedHeadSha`: commits someone else pushed are
   * never overwritten. Answers the new head; merging it is a separate, pinned `mergePr`.
   */
  rebuildPr(input: {
    number: number;
    expectedHeadSha: string;
    baseSha: string;
    changeSet: ChangeSet;
  }): Promise<string>;
  /** The parent commits of a commit. */
  commitParents(sha: string): Promise<string[]>;
  /** The file paths (blobs) that differ between two commits: added, deleted or changed. */
  changedPaths(fromSha: string, toSha: string): Promise<string[]>;
  closePr(input: { number: number; reason: string; actor: Person }): Promise<void>;
  prForCommit(sha: string): Promise<PullRequestInfo | undefined>;
  /**
   * Adds a label to a pull request (open or not). The request service marks a request it has announced as done
   * (`tunnelbot:live`, `tunnelbot:removed`) so no replica, before or after a restart, announces it twice.
   */
  addLabel(number: number, label: string): Promise<void>;
  /** Removes a label from a pull request: true when it had it, false when it did not (GitHub's 404). */
  removeLabel(number: number, label: string): Promise<boolean>;
  /** True when `descendantSha` includes `ancestorSha` (same commit or a later one on its history). */
  commitContains(ancestorSha: string, descendantSha: string): Promise<boolean>;
}
