import type { MergeMethod, Person, PullRequestInfo } from '../core/git-provider.js';
import { asTunnelbotError, isTunnelbotError, type TunnelbotError } from '../errors.js';
import type { WorkflowContext } from './context.js';
import { rebasePr } from './rebase.js';
import { onPullRequestEvent, type PullRequestOutcome } from './pull-request-events.js';

export interface ApprovalInput {
  readonly prNumber: number;
  /** The head commit the approver was shown; a PR changed since then is refused. */
  readonly expectedHeadSha: string;
  readonly approver: Person;
}

export interface Approval {
  readonly mergeSha: string;
  readonly method: MergeMethod;
  readonly outcome: PullRequestOutcome;
  /** Set when the PR conflicted and was rebuilt on the default branch before merging. */
  readonly rebased?: { readonly baseRef: string; readonly replanned: readonly string[] };
  /**
   * The merge is done, but applying it to Cloudflare right away failed: the next Flux event or housekeeping round
   * does it (every step is idempotent), so the approval stands.
   */
  readonly deferred?: TunnelbotError;
}

/** A PR is rebuilt at most this often in one approval: the default branch moving again and again ends it. */
const MAX_REBASES = 3;

function conflicts(error: unknown): boolean {
  return (
    isTunnelbotError(error) &&
    error.code === 'TB_ERR_GITHUB_PR_NOT_MERGEABLE' &&
    error.details['conflicting'] === true
  );
}

/**
 * Who may approve is the request service's decision (core/approval-policy.ts), taken before this is called.
 * An approval merges the PR through GitHub, pinned to the commit the approver saw (or, when that commit conflicts
 * with the default branch, to its rebuild there: see rebase.ts), then applies what the merge means for Cloudflare
 * right away; the webhook or poller delivers the same event later and finds nothing to do.
 */
export async function approve(input: ApprovalInput, context: WorkflowContext): Promise<Approval> {
  const mergeMethod = context.settings.repository?.mergeMethod;
  let expectedHeadSha = input.expectedHeadSha;
  let rebased: { baseRef: string; replanned: string[] } | undefined;
  let merge: Awaited<ReturnType<WorkflowContext['git']['mergePr']>> | undefined;
  for (let rebases = 0; !merge; rebases += 1) {
    try {
      merge = await context.git.mergePr({
        number: input.prNumber,
        expectedHeadSha,
        approver: input.approver,
        ...(mergeMethod && { method: mergeMethod }),
      });
    } catch (error) {
      if (rebases >= MAX_REBASES || !conflicts(error)) throw error;
      // The PR conflicts with what merged since it was opened (another request's line in the same list): rebuilt
      // on the default branch from its own commit, then merged pinned to the commit just made.
      const pr = await context.git.getPr(input.prNumber);
      const done = await rebasePr(pr, expectedHeadSha, context);
      expectedHeadSha = done.headSha;
      rebased = {
        baseRef: done.baseRef,
        replanned: [...new Set([...(rebased?.replanned ?? []), ...done.replanned])],
      };
    }
  }
  const { mergeSha, method } = merge;
  try {
    const merged = await context.git.getPr(input.prNumber);
    const outcome = await onPullRequestEvent(
      {
        kind: 'merged',
        source: 'tunnelbot',
        prNumber: merged.number,
        metadata: merged.metadata!,
        headSha: merged.headSha,
        mergeSha,
      },
      context,
    );
    return { mergeSha, method, outcome, ...(rebased && { rebased }) };
  } catch (error) {
    const deferred = asTunnelbotError(error);
    context.logger
      .child({ workflow: 'approve', pr: input.prNumber })
      .warn({ err: deferred, mergeSha }, 'merged; applying it to Cloudflare is left to the next round');
    return {
      mergeSha,
      method,
      outcome: { kind: 'awaiting-tunnel', mergeSha },
      ...(rebased && { rebased }),
      deferred,
    };
  }
}

/**
 * A rejection closes the PR (and deletes its branch); an expose's tunnel and the Access application it created are
 * deleted with it (by the closed-PR step every closed expose goes through, see pull-request-events.ts).
 */
export async function reject(
  input: { readonly prNumber: number; readonly reason: string; readonly actor: Person },
  context: WorkflowContext,
): Promise<PullRequestOutcome> {
  await context.git.closePr({ number: input.prNumber, reason: input.reason, actor: input.actor });
  const closed = await context.git.getPr(input.prNumber);
  const metadata = closed.metadata!;
  return onPullRequestEvent(
    { kind: 'closed', source: 'tunnelbot', prNumber: closed.number, metadata, headSha: closed.headSha },
    context,
  );
}

/**
 * The clean-up of a PR closed without merging, again: an earlier rejection closed it and failed after that (Cloudflare
 * or GitHub did not answer), or someone closed it on GitHub. Every step is idempotent. Its branch is not deleted
 * here, where a newer request may have taken the same name: housekeeping deletes a decided request's branch.
 */
export async function finishRejection(
  closed: PullRequestInfo,
  context: WorkflowContext,
): Promise<PullRequestOutcome> {
  return onPullRequestEvent(
    {
      kind: 'closed',
      source: 'tunnelbot',
      prNumber: closed.number,
      metadata: closed.metadata!,
      headSha: closed.headSha,
    },
    context,
  );
}
