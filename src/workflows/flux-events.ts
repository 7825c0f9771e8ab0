import { BoundedSet } from '../core/bounded-set.js';
import { isTunnelbotError } from '../errors.js';
import { classifyFluxEvent, fluxEventRevision, fluxObjectId, type FluxEvent } from '../core/flux-event.js';
import type { PrMetadata } from '../core/pr-metadata.js';
import type { WorkflowContext } from './context.js';
import { reconcileDns } from './reconcile.js';

/** A merged tunnelbot pull request that a Flux revision includes. */
export interface AppliedPullRequest {
  readonly number: number;
  readonly mergeSha: string;
  readonly metadata: PrMetadata;
}

export interface FluxFailure {
  readonly reason: string;
  /** Flux's message, cut to {@link FAILURE_MESSAGE_LIMIT} characters for a chat message. */
  readonly message: string;
  /** `Kind/namespace/name` of the object that failed. */
  readonly object: string;
}

export type FluxEventOutcome =
  | {
      readonly kind: 'reconciled';
      readonly commitSha: string;
      /**
       * The tunnelbot PRs whose change Flux has now applied: an expose's hostname is live unless listed in
       * `dnsConflicts`; an unexpose is complete.
       */
      readonly applied: readonly AppliedPullRequest[];
      /** Desired hostnames whose record is held by someone else and was left alone. */
      readonly dnsConflicts: readonly string[];
    }
  | {
      readonly kind: 'failed';
      readonly commitSha: string;
      /** The tunnelbot PRs the failing revision includes; empty when the failure is not ours to report. */
      readonly pullRequests: readonly AppliedPullRequest[];
      readonly failure: FluxFailure;
    }
  | { readonly kind: 'duplicate'; readonly commitSha: string }
  | { readonly kind: 'ignored'; readonly reason: string };

export const FAILURE_MESSAGE_LIMIT = 500;

/**
 * What one replica remembers between Flux events: revisions already handled (notification-controller retries,
 * several Alerts and every interval's `ReconciliationSucceeded` repeat them) and merged expose PRs waiting for
 * Flux. Bounded, and only a speed-up: losing it costs one extra idempotent DNS convergence.
 */
export class FluxEventMemory {
  private readonly handled: BoundedSet;
  private readonly waiting = new Map<number, AppliedPullRequest>();
  private readonly waitingCapacity: number;

  constructor(options: { handledCapacity?: number; waitingCapacity?: number } = {}) {
    this.handled = new BoundedSet(options.handledCapacity ?? 512);
    this.waitingCapacity = options.waitingCapacity ?? 100;
  }

  /**
   * A merged PR whose change Flux has not reported yet. Flux reports only the newest revision it applied, so a PR
   * merged just before another is found by ancestry, not by its own merge commit.
   */
  awaitFlux(pr: AppliedPullRequest): void {
    this.waiting.delete(pr.number);
    this.waiting.set(pr.number, pr);
    if (this.waiting.size > this.waitingCapacity)
      this.waiting.delete(this.waiting.keys().next().value as number);
  }

  waitingForFlux(): AppliedPullRequest[] {
    return [...this.waiting.values()];
  }

  /** Marks an event key handled; false when it already was. */
  claim(key: string): boolean {
    return this.handled.add(key);
  }

  /** Undoes a claim whose handling failed, so a repeat of the event is handled again. */
  release(key: string): void {
    this.handled.delete(key);
  }

  /** PRs Flux has applied stop waiting. */
  forget(numbers: Iterable<number>): void {
    for (const number of numbers) this.waiting.delete(number);
  }
}

function truncate(text: string, limit: number): string {
  const characters = Array.from(text);
  return characters.length <= limit ? text : `${characters.slice(0, limit - 1).join('')}…`;
}

/** Whether an error says GitHub has no such commit in the repository. */
function isUnknownCommit(error: unknown): boolean {
  return isTunnelbotError(error) && error.code === 'TB_ERR_GITHUB_NOT_FOUND';
}

/**
 * The merged tunnelbot PR of the commit itself, looked up first: it also tells whether the repository has the
 * commit at all (a Kustomization applying another repository reports commits GitHub does not know here).
 */
async function ownPullRequest(
  commitSha: string,
  context: WorkflowContext,
): Promise<AppliedPullRequest | undefined> {
  const own = await context.git.prForCommit(commitSha);
  return own?.merged && own.metadata && own.mergeSha
    ? { number: own.number, mergeSha: own.mergeSha, metadata: own.metadata }
    : undefined;
}

/** The merged tunnelbot PRs a commit includes: the PR of the commit itself, and waiting PRs it descends from. */
async function pullRequestsIn(
  commitSha: string,
  own: AppliedPullRequest | undefined,
  context: WorkflowContext,
  memory: FluxEventMemory,
): Promise<AppliedPullRequest[]> {
  const found = new Map<number, AppliedPullRequest>();
  if (own) found.set(own.number, own);
  for (const waiting of memory.waitingForFlux()) {
    if (found.has(waiting.number)) continue;
    try {
      if (await context.git.commitContains(waiting.mergeSha, commitSha)) found.set(waiting.number, waiting);
    } catch (error) {
      // A merge commit GitHub no longer knows (history rewritten) would fail every later event: stop waiting.
      if (!isUnknownCommit(error)) throw error;
      context.logger.warn(
        { pr: waiting.number, mergeSha: waiting.mergeSha },
        'merge commit of a pull request waiting for Flux is gone; no longer waiting for it',
      );
      memory.forget([waiting.number]);
    }
  }
  return [...found.values()].sort((a, b) => a.number - b.number);
}

/**
 * A Flux notification: when a Kustomization reports a revision applied, DNS converges to the default branch and
 * the tunnelbot PRs that revision includes are live; when Flux fails on a revision, the failure is returned for
 * the PRs it includes. Idempotent: a revision is handled once per replica, and converging DNS twice changes nothing.
 */
export async function onFluxEvent(
  event: FluxEvent,
  context: WorkflowContext,
  memory: FluxEventMemory,
): Promise<FluxEventOutcome> {
  const eventClass = classifyFluxEvent(event);
  const object = fluxObjectId(event);
  if (eventClass !== 'reconciled' && eventClass !== 'failed') {
    return { kind: 'ignored', reason: `${eventClass} event (${event.reason}) needs no action` };
  }
  const commitSha = fluxEventRevision(event)?.commitSha;
  if (!commitSha) return { kind: 'ignored', reason: `${event.reason} of ${object} names no git commit` };

  const key =
    eventClass === 'reconciled' ? `reconciled:${commitSha}` : `failed:${commitSha}:${object}:${event.reason}`;
  if (!memory.claim(key)) return { kind: 'duplicate', commitSha };
  const log = context.logger.child({ workflow: 'flux-event', object, reason: event.reason, commitSha });
  try {
    let own: AppliedPullRequest | undefined;
    try {
      own = await ownPullRequest(commitSha, context);
    } catch (error) {
      if (!isUnknownCommit(error)) throw error;
      // Kept as handled: every repeat of this revision is free, and it is logged this once.
      log.info('Flux reports a commit the GitOps repository does not have (another source); nothing to do');
      return {
        kind: 'ignored',
        reason: `${object} applied commit ${commitSha}, which the repository does not have`,
      };
    }
    if (eventClass === 'failed') {
      const pullRequests = await pullRequestsIn(commitSha, own, context, memory);
      const failure = {
        reason: event.reason,
        message: truncate(event.message, FAILURE_MESSAGE_LIMIT),
        object,
      };
      log.warn({ prs: pullRequests.map((pr) => pr.number) }, 'Flux failed to apply a revision');
      return { kind: 'failed', commitSha, pullRequests, failure };
    }
    const { dns } = await reconcileDns(context);
    const applied = await pullRequestsIn(commitSha, own, context, memory);
    memory.forget(applied.map((pr) => pr.number));
    log.info({ prs: applied.map((pr) => pr.number) }, 'Flux applied a revision; DNS converged');
    return {
      kind: 'reconciled',
      commitSha,
      applied,
      dnsConflicts: dns.plan.conflicts.map((conflict) => conflict.hostname),
    };
  } catch (error) {
    // The next event for this revision (Flux repeats success every interval) gets another chance.
    memory.release(key);
    throw error;
  }
}
