import { randomBytes } from 'node:crypto';
import { TunnelbotError } from '../errors.js';
import type { ChangeSet, FileChange } from '../core/changeset.js';
import type { PullRequestInfo } from '../core/git-provider.js';
import type { PrMetadata } from '../core/pr-metadata.js';
import { planExpose, prepareExpose } from '../core/plan-expose.js';
import { planUnexpose } from '../core/plan-unexpose.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { joinPath } from '../gitops/discovery/manifests.js';
import { TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import type { WorkflowContext } from './context.js';

export interface Rebased {
  /** The PR's new head: one commit on `baseSha`. */
  readonly headSha: string;
  readonly baseSha: string;
  readonly baseRef: string;
  /** The files whose content was planned again because the default branch changed them since the PR was opened. */
  readonly replanned: readonly string[];
}

interface Replan {
  readonly changeSet: ChangeSet;
  /** The tunnel Secret the plan writes (with a throwaway secret): it must be kept from the PR, never written. */
  readonly secretPath: string | undefined;
}

/** How the requester asks again, for the fix of a refused rebase. */
function askAgain(metadata: PrMetadata): string {
  const command =
    metadata.action === 'expose'
      ? `/expose ${metadata.app} ${metadata.port ?? 'PORT'}`
      : `/unexpose ${metadata.app}`;
  return `Reject this request and ask again with \`${command}\` (environment ${metadata.environment}), so it is planned on the current default branch.`;
}

/**
 * The request planned again on `snapshot` from the PR's metadata, by the planners `/expose` and `/unexpose` use.
 * A new tunnel's Secret cannot be written again (tunnelbot never keeps a tunnel's secret): the planner gets the
 * tunnel's real id and a throwaway secret and account tag, and the caller keeps the PR's Secret instead.
 */
async function replan(
  metadata: PrMetadata,
  snapshot: RepoSnapshot,
  context: WorkflowContext,
): Promise<Replan> {
  if (metadata.action === 'unexpose') {
    const plan = planUnexpose(
      { app: metadata.app, environment: metadata.environment, hostname: metadata.hostname },
      snapshot,
      context.settings,
    );
    return { changeSet: plan.changeSet, secretPath: undefined };
  }
  if (metadata.port === undefined) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_NOT_REBASABLE',
      `The expose of ${metadata.app} records no port in its pull request, so it cannot be planned again.`,
      { fix: askAgain(metadata) },
    );
  }
  const target = prepareExpose(
    {
      app: metadata.app,
      port: metadata.port,
      environment: metadata.environment,
      hostname: metadata.hostname,
      ...(metadata.namespace && { namespace: metadata.namespace }),
      ...(metadata.public && { access: 'public' as const }),
    },
    snapshot,
    context.settings,
  );
  let credentials;
  if (target.tunnel.action === 'create') {
    if (!metadata.tunnelId) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_PR_NOT_REBASABLE',
        `The expose of ${metadata.app} creates a tunnel but its pull request records no tunnel id.`,
        { fix: askAgain(metadata) },
      );
    }
    credentials = {
      TunnelID: metadata.tunnelId,
      AccountTag: randomBytes(16).toString('hex'),
      TunnelSecret: randomBytes(32).toString('base64'),
      Endpoint: '',
    };
  }
  const plan = await planExpose(target, snapshot, context.settings, {
    ...(credentials && { credentials }),
    ...(metadata.access && { accessAud: metadata.access.aud }),
    now: context.now(),
  });
  return {
    changeSet: plan.changeSet,
    secretPath: credentials ? joinPath(target.directory, TUNNEL_FILES.secret) : undefined,
  };
}

/**
 * Rebuilds a PR that conflicts with the default branch as one commit on its current head. Only the PR tunnelbot
 * made is rebuilt: its head must still be the commit the approver was shown, and that commit a single one on top of
 * a commit of the default branch. Every file keeps the PR's reviewed content unless the default branch changed it
 * since the PR's base; such a file (the environment's list of tunnels, a shared cloudflared config) takes the
 * content the planner gives on the current default branch. A plan that now touches other files is refused, and so
 * is one that would write the tunnel Secret again; either way nothing is written.
 */
export async function rebasePr(
  pr: PullRequestInfo,
  expectedHeadSha: string,
  context: WorkflowContext,
): Promise<Rebased> {
  const { git } = context;
  const metadata = pr.metadata;
  if (!metadata) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_NOT_REBASABLE',
      `Pull request #${pr.number} carries no valid tunnelbot block, so it cannot be planned again.`,
    );
  }
  if (pr.headSha !== expectedHeadSha) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_HEAD_CHANGED',
      `Pull request #${pr.number} changed since it was shown (shown ${expectedHeadSha.slice(0, 7)}); it was not merged.`,
      { details: { expectedHeadSha } },
    );
  }
  const [parents, base] = await Promise.all([git.commitParents(expectedHeadSha), git.defaultBranch()]);
  const [originalBase] = parents;
  const notOurs = () =>
    new TunnelbotError(
      'TB_ERR_GITHUB_PR_NOT_REBASABLE',
      `Pull request #${pr.number} conflicts with ${base.name}, and its head ${expectedHeadSha.slice(0, 7)} is not a single commit on ${base.name}: it holds commits tunnelbot did not make, which it does not rebuild.`,
      { fix: askAgain(metadata) },
    );
  if (parents.length !== 1 || originalBase === undefined) throw notOurs();
  // The reads for the re-plan go out beside the check of the PR's history; nothing is written before it passed.
  const [onDefault, snapshot, prPaths] = await Promise.all([
    git.commitContains(originalBase, base.sha),
    git.readSnapshot(base.sha),
    git.changedPaths(originalBase, expectedHeadSha),
  ]);
  if (!onDefault) throw notOurs();
  const { changeSet, secretPath } = await replan(metadata, snapshot, context);
  const planned = changeSet.files.map((file) => file.path).sort();
  if (planned.join('\n') !== [...prPaths].sort().join('\n')) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_REBASE_DIFFERS',
      `Pull request #${pr.number} conflicts with ${base.name}, and planned again there the request changes ${planned.join(', ') || 'no file'} instead of ${prPaths.join(', ') || 'no file'}; it was not rebased.`,
      { fix: askAgain(metadata), details: { planned, pullRequest: prPaths } },
    );
  }
  // Snapshots limited to the planned paths: the trees are those just read, the blobs mostly known already.
  const only = (path: string) => planned.includes(path);
  const filesAt = async (sha: string) => (await git.readSnapshot(sha, only)).files;
  const [before, now, reviewed] = await Promise.all([
    filesAt(originalBase),
    filesAt(base.sha),
    filesAt(expectedHeadSha),
  ]);
  const files: FileChange[] = [];
  const replanned: string[] = [];
  const kept: string[] = [];
  for (const file of changeSet.files) {
    if (before.get(file.path) === now.get(file.path)) {
      kept.push(file.path);
      const content = reviewed.get(file.path);
      files.push(
        content === undefined
          ? { path: file.path, change: 'deleted' }
          : { path: file.path, content, change: now.get(file.path) === undefined ? 'added' : 'modified' },
      );
    } else {
      replanned.push(file.path);
      files.push(file);
    }
  }
  if (secretPath !== undefined && !kept.includes(secretPath)) {
    throw new TunnelbotError(
      'TB_ERR_GITHUB_PR_REBASE_SECRET',
      `Pull request #${pr.number} conflicts with ${base.name}, where ${secretPath} changed since the PR was opened; tunnelbot cannot write the tunnel's Secret again, so it did not rebase.`,
      { fix: askAgain(metadata) },
    );
  }
  const headSha = await git.rebuildPr({
    number: pr.number,
    expectedHeadSha,
    baseSha: base.sha,
    changeSet: { files, summary: changeSet.summary, warnings: changeSet.warnings },
  });
  context.logger
    .child({ workflow: 'rebase', app: metadata.app })
    .info({ pr: pr.number, from: expectedHeadSha, headSha, replanned }, 'pull request rebased');
  return { headSha, baseSha: base.sha, baseRef: base.name, replanned };
}
