import type { WorkflowContext } from './context.js';

/**
 * Branches of decided requests that are still there: a merge or a rejection deletes its branch as a follow-up step
 * whose failure only logs, so housekeeping deletes what is left. A branch goes only when every pull request of it is
 * closed or merged and one of them ended on the branch's very commit: a branch with no pull request may be one
 * being opened right now, and one pushed again since belongs to a newer request.
 */
export async function deleteLeftoverBranches(context: WorkflowContext): Promise<string[]> {
  const [branches, open] = await Promise.all([
    context.git.listRequestBranches(),
    context.git.listOpenTunnelbotPrs(),
  ]);
  const heads = new Set(open.map((pr) => pr.headRef));
  const deleted: string[] = [];
  for (const branch of branches) {
    if (heads.has(branch.name)) continue;
    const pulls = await context.git.pullRequestsOf(branch.name);
    const decided =
      pulls.length > 0 &&
      pulls.every((pr) => pr.state === 'closed') &&
      pulls.some((pr) => pr.metadata !== undefined && pr.headSha === branch.sha);
    if (!decided) continue;
    await context.git.deleteRequestBranch(branch.name);
    context.logger.info({ branch: branch.name }, 'branch of a decided request deleted');
    deleted.push(branch.name);
  }
  return deleted;
}
