import type { DnsConvergence } from '../adapters/cloudflare/index.js';
import { BoundedSet } from '../core/bounded-set.js';
import { normalizeHostname } from '../core/dns-plan.js';
import { isTunnelbotError } from '../errors.js';
import { classifyFluxEvent, fluxEventRevision, fluxObjectId, type FluxEvent } from '../core/flux-event.js';
import type { PrMetadata } from '../core/pr-metadata.js';
import type { Settings } from '../core/settings.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { coveringKustomizations, findFluxKustomizations } from '../gitops/discovery/flux.js';
import { parseRepository } from '../gitops/discovery/manifests.js';
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
       * The tunnelbot PRs this commit includes whose environment the reporting Kustomization applies (its
       * spec.path covers the environment's directory): an unexpose's cloudflared is pruned. An event of any other
       * Kustomization (`flux-system` reports long before `apps` has cloudflared running) applies none.
       */
      readonly applied: readonly AppliedPullRequest[];
      /**
       * Merged exposes whose hostname is live now: its record points at its tunnel, which has an active connector.
       * They stop waiting.
       */
      readonly live: readonly AppliedPullRequest[];
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
 * While an expose waits for its cloudflared, a repeated success looks again at most this often: a burst of retries
 * and Alerts costs one convergence, and a cloudflared that never connects costs one per interval.
 */
export const RECHECK_INTERVAL_MS = 30_000;

/**
 * What one replica remembers between Flux events: revisions already handled per Kustomization
 * (notification-controller retries, several Alerts and every interval's `ReconciliationSucceeded` repeat them) and
 * merged expose PRs not live yet, to tell when they are. Bounded, and never what DNS depends on: DNS is decided
 * from the default branch and Cloudflare alone, so losing this costs at most a message.
 */
export class FluxEventMemory {
  private readonly handled: BoundedSet;
  private readonly waiting = new Map<number, AppliedPullRequest>();
  private readonly waitingCapacity: number;
  private lastRecheck = Number.NEGATIVE_INFINITY;

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

  /** Whether a repeated event may look again now (see RECHECK_INTERVAL_MS); true at most once per interval. */
  mayRecheck(nowMs: number): boolean {
    if (nowMs - this.lastRecheck < RECHECK_INTERVAL_MS) return false;
    this.lastRecheck = nowMs;
    return true;
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

/**
 * The merged exposes waiting in `memory` whose hostname the convergence left live; they stop waiting. Any trigger
 * that converged DNS (a Flux event, housekeeping) calls it.
 */
export function liveNow(memory: FluxEventMemory, dns: DnsConvergence): AppliedPullRequest[] {
  const live = new Set(dns.live);
  const found = memory
    .waitingForFlux()
    .filter((pr) => pr.metadata.action === 'expose' && live.has(normalizeHostname(pr.metadata.hostname)));
  memory.forget(found.map((pr) => pr.number));
  return found;
}

/** Whether the Kustomization `event` is about applies the PR's environment, per the repository's Flux objects. */
function appliesEnvironment(
  event: FluxEvent,
  pr: AppliedPullRequest,
  snapshot: RepoSnapshot,
  settings: Settings,
): boolean {
  const environment = settings.environments.find((e) => e.name === pr.metadata.environment);
  if (!environment || event.involvedObject.kind !== 'Kustomization') return false;
  const kustomizations = findFluxKustomizations(parseRepository(snapshot).documents);
  return coveringKustomizations(kustomizations, environment.path).some(
    (k) =>
      k.name === event.involvedObject.name &&
      k.namespace === (event.involvedObject.namespace ?? 'flux-system'),
  );
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
 * A Flux notification is a hint to look now. When a Kustomization reports a revision applied, DNS converges (a
 * record appears only for a tunnel with an active connector) and the outcome says which PRs the Kustomization
 * applied and which exposes are live now; when Flux fails on a revision, the failure is returned for the PRs it
 * includes. Idempotent: a revision is handled once per Kustomization and replica while no expose waits, and
 * converging DNS twice changes nothing.
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
    eventClass === 'reconciled'
      ? `reconciled:${commitSha}:${object}`
      : `failed:${commitSha}:${object}:${event.reason}`;
  // A repeated success still looks again while an expose waits: cloudflared may have connected since.
  const recheck = () =>
    eventClass === 'reconciled' &&
    memory.waitingForFlux().length > 0 &&
    memory.mayRecheck(context.now().getTime());
  if (!memory.claim(key) && !recheck()) return { kind: 'duplicate', commitSha };
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
    const { dns, snapshot } = await reconcileDns(context);
    const included = await pullRequestsIn(commitSha, own, context, memory);
    const applied = included.filter((pr) => appliesEnvironment(event, pr, snapshot, context.settings));
    // Exposes this commit includes wait with the others until their hostname is live (also after a restart).
    for (const pr of included) if (pr.metadata.action === 'expose') memory.awaitFlux(pr);
    memory.forget(applied.filter((pr) => pr.metadata.action !== 'expose').map((pr) => pr.number));
    const live = liveNow(memory, dns);
    log.info(
      {
        included: included.map((pr) => pr.number),
        applied: applied.map((pr) => pr.number),
        live: live.map((pr) => pr.number),
      },
      'Flux applied a revision; DNS converged',
    );
    return {
      kind: 'reconciled',
      commitSha,
      applied,
      live,
      dnsConflicts: dns.plan.conflicts.map((conflict) => conflict.hostname),
    };
  } catch (error) {
    // The next event for this revision (Flux repeats success every interval) gets another chance.
    memory.release(key);
    throw error;
  }
}
