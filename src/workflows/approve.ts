import type { MergeMethod, Person } from '../core/git-provider.js';
import { asTunnelbotError, type TunnelbotError } from '../errors.js';
import type { WorkflowContext } from './context.js';
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
  /**
   * The merge is done, but applying it to Cloudflare right away failed: the next Flux event or housekeeping round
   * does it (every step is idempotent), so the approval stands.
   */
  readonly deferred?: TunnelbotError;
}

/**
 * Who may approve is the request service's decision (core/approval-policy.ts), taken before this is called.
 * An approval merges the PR through GitHub, pinned to the commit the approver saw, then applies what the merge
 * means for Cloudflare right away; the webhook or poller delivers the same event later and finds nothing to do.
 */
export async function approve(input: ApprovalInput, context: WorkflowContext): Promise<Approval> {
  const mergeMethod = context.settings.repository?.mergeMethod;
  const { mergeSha, method } = await context.git.mergePr({
    number: input.prNumber,
    expectedHeadSha: input.expectedHeadSha,
    approver: input.approver,
    ...(mergeMethod && { method: mergeMethod }),
  });
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
    return { mergeSha, method, outcome };
  } catch (error) {
    const deferred = asTunnelbotError(error);
    context.logger
      .child({ workflow: 'approve', pr: input.prNumber })
      .warn({ err: deferred, mergeSha }, 'merged; applying it to Cloudflare is left to the next round');
    return {
      mergeSha,
      method,
      outcome: { kind: 'awaiting-tunnel', mergeSha },
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
