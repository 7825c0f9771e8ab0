import type { CommitRecord } from './git.js';

/**
 * Response bodies shaped like GitHub's, with every field GitHub's OpenAPI description marks as required. The tests
 * validate each response against that description, so a missing field here fails a test rather than a user.
 */

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface RepoCoordinates {
  /** API root, e.g. http://127.0.0.1:1234 */
  apiUrl: string;
  /** Web root used for html_url links. */
  webUrl: string;
  owner: FakeUser;
  name: string;
  id: number;
  defaultBranch: string;
  createdAt: string;
}

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

export function userPayload(coords: Pick<RepoCoordinates, 'apiUrl' | 'webUrl'>, user: FakeUser) {
  const login = encodeURIComponent(user.login);
  const url = `${coords.apiUrl}/users/${login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('User', user.id),
    avatar_url: `${coords.webUrl}/avatars/${login}`,
    gravatar_id: '',
    url,
    html_url: `${coords.webUrl}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

export function repoApiUrl(coords: RepoCoordinates): string {
  return `${coords.apiUrl}/repos/${coords.owner.login}/${coords.name}`;
}

export function repoHtmlUrl(coords: RepoCoordinates): string {
  return `${coords.webUrl}/${coords.owner.login}/${coords.name}`;
}

export function repositoryPayload(coords: RepoCoordinates, extra: { pushedAt: string; openIssues: number }) {
  const url = repoApiUrl(coords);
  const html = repoHtmlUrl(coords);
  return {
    id: coords.id,
    node_id: nodeId('Repository', coords.id),
    name: coords.name,
    full_name: `${coords.owner.login}/${coords.name}`,
    owner: userPayload(coords, coords.owner),
    private: true,
    html_url: html,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `${html.replace(/^http/, 'git')}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@fake-github:${coords.owner.login}/${coords.name}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 1,
    default_branch: coords.defaultBranch,
    open_issues_count: extra.openIssues,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    pushed_at: extra.pushedAt,
    created_at: coords.createdAt,
    updated_at: extra.pushedAt,
    license: null,
    forks: 0,
    open_issues: extra.openIssues,
    watchers: 0,
  };
}

export function fullRepositoryPayload(
  coords: RepoCoordinates,
  extra: {
    pushedAt: string;
    openIssues: number;
    permissions: { admin: boolean; push: boolean; pull: boolean };
    merge: { squash: boolean; merge: boolean; rebase: boolean };
  },
) {
  return {
    ...repositoryPayload(coords, extra),
    has_discussions: false,
    subscribers_count: 0,
    network_count: 0,
    permissions: { ...extra.permissions, maintain: extra.permissions.admin, triage: extra.permissions.push },
    allow_merge_commit: extra.merge.merge,
    allow_squash_merge: extra.merge.squash,
    allow_rebase_merge: extra.merge.rebase,
    delete_branch_on_merge: false,
  };
}

export function gitCommitPayload(coords: RepoCoordinates, commit: CommitRecord) {
  const url = repoApiUrl(coords);
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${url}/git/commits/${commit.sha}`,
    html_url: `${repoHtmlUrl(coords)}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${url}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${url}/git/commits/${sha}`,
      html_url: `${repoHtmlUrl(coords)}/commit/${sha}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

/** The `commit` schema of the REST commits endpoints (branch heads, compare). */
export function restCommitPayload(coords: RepoCoordinates, commit: CommitRecord) {
  const url = repoApiUrl(coords);
  return {
    url: `${url}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    html_url: `${repoHtmlUrl(coords)}/commit/${commit.sha}`,
    comments_url: `${url}/commits/${commit.sha}/comments`,
    commit: {
      url: `${url}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${url}/git/trees/${commit.tree}` },
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${url}/commits/${sha}`,
      html_url: `${repoHtmlUrl(coords)}/commit/${sha}`,
    })),
  };
}

export function refPayload(coords: RepoCoordinates, ref: string, sha: string) {
  return {
    ref,
    node_id: nodeId('Ref', ref),
    url: `${repoApiUrl(coords)}/git/${ref}`,
    object: { type: 'commit', sha, url: `${repoApiUrl(coords)}/git/commits/${sha}` },
  };
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
}

export function labelPayload(coords: RepoCoordinates, label: LabelRecord) {
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${repoApiUrl(coords)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    // pull-request-simple declares a label description as a non-null string.
    description: '',
    color: label.color,
    default: false,
  };
}

export interface CommentRecord {
  id: number;
  body: string;
  user: FakeUser;
  createdAt: string;
}

export function commentPayload(coords: RepoCoordinates, issueNumber: number, comment: CommentRecord) {
  const url = repoApiUrl(coords);
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${url}/issues/comments/${comment.id}`,
    html_url: `${repoHtmlUrl(coords)}/pull/${issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userPayload(coords, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    issue_url: `${url}/issues/${issueNumber}`,
    author_association: 'MEMBER',
  };
}

export interface PullRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The base branch head when the PR was opened; the PR's own commits are those after it. */
  baseShaAtOpen: string;
  user: FakeUser;
  labels: LabelRecord[];
  comments: CommentRecord[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: FakeUser | null;
}

function pullLinks(coords: RepoCoordinates, pull: PullRecord) {
  const url = repoApiUrl(coords);
  const self = `${url}/pulls/${pull.number}`;
  return {
    self: { href: self },
    html: { href: `${repoHtmlUrl(coords)}/pull/${pull.number}` },
    issue: { href: `${url}/issues/${pull.number}` },
    comments: { href: `${url}/issues/${pull.number}/comments` },
    review_comments: { href: `${self}/comments` },
    review_comment: { href: `${url}/pulls/comments{/number}` },
    commits: { href: `${self}/commits` },
    statuses: { href: `${url}/statuses/${pull.headSha}` },
  };
}

export function pullSimplePayload(
  coords: RepoCoordinates,
  pull: PullRecord,
  context: { pushedAt: string; openIssues: number },
) {
  const url = repoApiUrl(coords);
  const self = `${url}/pulls/${pull.number}`;
  const repo = repositoryPayload(coords, context);
  const branch = (ref: string, sha: string) => ({
    label: `${coords.owner.login}:${ref}`,
    ref,
    repo,
    sha,
    user: userPayload(coords, coords.owner),
  });
  return {
    url: self,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: `${repoHtmlUrl(coords)}/pull/${pull.number}`,
    diff_url: `${repoHtmlUrl(coords)}/pull/${pull.number}.diff`,
    patch_url: `${repoHtmlUrl(coords)}/pull/${pull.number}.patch`,
    issue_url: `${url}/issues/${pull.number}`,
    commits_url: `${self}/commits`,
    review_comments_url: `${self}/comments`,
    review_comment_url: `${url}/pulls/comments{/number}`,
    comments_url: `${url}/issues/${pull.number}/comments`,
    statuses_url: `${url}/statuses/${pull.headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userPayload(coords, pull.user),
    body: pull.body,
    labels: pull.labels.map((label) => labelPayload(coords, label)),
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branch(pull.headRef, pull.headSha),
    base: branch(pull.baseRef, pull.baseShaAtOpen),
    _links: pullLinks(coords, pull),
    author_association: 'MEMBER',
    auto_merge: null,
    draft: false,
  };
}

export function pullPayload(
  coords: RepoCoordinates,
  pull: PullRecord,
  context: {
    pushedAt: string;
    openIssues: number;
    mergeable: boolean | null;
    commits: number;
    additions: number;
    deletions: number;
    changedFiles: number;
  },
) {
  const mergeableState = pull.state === 'closed' ? 'unknown' : context.mergeable ? 'clean' : 'dirty';
  return {
    ...pullSimplePayload(coords, pull, context),
    merged: pull.mergedAt !== null,
    mergeable: pull.state === 'closed' ? null : context.mergeable,
    rebaseable: pull.state === 'closed' ? null : context.mergeable,
    mergeable_state: mergeableState,
    merged_by: pull.mergedBy ? userPayload(coords, pull.mergedBy) : null,
    comments: pull.comments.length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: context.commits,
    additions: context.additions,
    deletions: context.deletions,
    changed_files: context.changedFiles,
  };
}
