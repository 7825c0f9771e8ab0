import type { AccessRequest } from '../core/access.js';
import { decide, groupsToResolve, type PolicyQuestion } from '../core/approval-policy.js';
import { BoundedSet, setBounded } from '../core/bounded-set.js';
import { WorkQueue } from '../core/work-queue.js';
import type { FluxEvent } from '../core/flux-event.js';
import { explainFluxFailure } from '../core/flux-failure.js';
import type { Person, PullRequestInfo } from '../core/git-provider.js';
import type { ExposeTarget } from '../core/plan-expose.js';
import type { UnexposePlan } from '../core/plan-unexpose.js';
import { ANNOUNCEMENT_LABEL, branchName, type PrMetadata } from '../core/pr-metadata.js';
import type { PullRequestEvent } from '../core/pull-request-event.js';
import { accessOf, findEnvironment } from '../core/settings.js';
import { TunnelbotError, asTunnelbotError, isTunnelbotError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { approve, finishRejection, reject, type Approval } from '../workflows/approve.js';
import type { OpenedStep, WorkflowContext } from '../workflows/context.js';
import { expose } from '../workflows/expose.js';
import { FluxEventMemory, liveNow, onFluxEvent, type AppliedPullRequest } from '../workflows/flux-events.js';
import { listExposed, type Listing } from '../workflows/list.js';
import {
  onPullRequestEvent,
  purgeUnexposedTunnel,
  type PullRequestOutcome,
} from '../workflows/pull-request-events.js';
import {
  removeAccessApplicationOf,
  repairAccess,
  repairFailureNotice,
  repairFoundInPlace,
  repairNotice,
  type AccessInventory,
  type AccessRepairFailure,
  type DriftedApp,
} from '../workflows/access.js';
import { deleteLeftoverBranches } from '../workflows/branches.js';
import { collectOrphans, reconcileDns } from '../workflows/reconcile.js';
import { unexpose } from '../workflows/unexpose.js';
import type { Conversation, Directory, MessageRef } from './conversation.js';
import {
  failedView,
  liveView,
  mention,
  mergedView,
  openView,
  problemOf,
  rejectedView,
  removedView,
  requestedView,
  subjectOf,
  type PrRef,
  type RequestSubject,
  type RequestView,
} from './view.js';

/**
 * The one entry point of every transport (Slack, the CLI, webhooks, the poller): it checks the policy, runs the
 * workflows and keeps each request's root message true to where the request stands. A transport acks, parses,
 * calls one method here and shows the returned reply to the person who acted; it never decides anything.
 *
 * State lives in git (the PR and its metadata block, labels once a request is announced done), so any replica
 * can carry a conversation on after any restart. What this object remembers is only a speed-up.
 */

/** Who is acting, by the id the policy uses (a Slack user id), and the name to show. */
export interface Actor {
  readonly id: string;
  readonly name: string;
}

/** What the person who acted should be told; `text` is empty when the request's message already says it all. */
export interface Reply {
  readonly ok: boolean;
  readonly text: string;
  readonly error?: TunnelbotError;
  readonly pr?: PrRef;
}

export interface ExposeCommand {
  readonly app: string;
  readonly port: number | string;
  readonly hostname?: string;
  readonly environment?: string;
  readonly namespace?: string;
  /** Passed through to the expose workflow, which decides whether the environment allows it. */
  readonly access?: AccessRequest;
}

export interface UnexposeCommand {
  readonly app: string;
  readonly environment?: string;
  readonly hostname?: string;
}

export interface RequestServiceOptions {
  readonly context: WorkflowContext;
  /** Where request messages go; without one (the CLI), replies carry everything. */
  readonly conversation?: Conversation;
  /** Resolves user groups named by the policy. */
  readonly directory?: Directory;
  readonly metrics?: Metrics;
  /** Flux notifications are configured: a merged expose is expected to wait for Flux before cloudflared runs. */
  readonly dnsAwaitsFlux: boolean;
  /** How long a user group's members are trusted before asking again; 5 minutes by default. */
  readonly groupCacheMs?: number;
  readonly now?: () => number;
  /**
   * How many people's requests (expose, unexpose, approve, reject) are worked on at once; the others wait their
   * turn. 4 by default: a burst of commands is acked first and then served in order, and GitHub, which asks
   * integrators to make content-creating calls one after another, sees a few at a time.
   */
  readonly concurrency?: number;
}

/** What a request workflow returns to the steps every request shares. */
interface OpenedRequest {
  readonly subject: RequestSubject;
  readonly pr: { number: number; url: string; headSha: string; created: boolean };
  readonly metadata: PrMetadata | undefined;
  readonly changes: readonly string[];
  readonly warnings: readonly string[];
}

/** A request's own workflow, given the environment, the step that posts the root message, and the PR step. */
type RunRequest = (
  environment: string,
  announce: (subject: RequestSubject) => Promise<{ channel: string; messageTs: string } | undefined>,
  opened: OpenedStep,
) => Promise<OpenedRequest>;

/**
 * PR labels that mark a request done, so no replica after a restart announces it again; which replica posts the
 * last thread line is decided by removing ANNOUNCEMENT_LABEL (see `claimAnnouncement`).
 */
export const DONE_LABELS = { live: 'tunnelbot:live', removed: 'tunnelbot:removed' } as const;

const GROUP_CACHE_MS = 5 * 60 * 1000;
const DEFAULT_CONCURRENCY = 4;
const UNTOLD_REPAIRS_LIMIT = 100;
const UNFINISHED_REMOVALS_LIMIT = 100;

function person(actor: Actor): Person {
  return { slackUserId: actor.id, name: actor.name };
}

function refOf(metadata: PrMetadata | undefined): MessageRef | undefined {
  return metadata?.slack && { channel: metadata.slack.channel, ts: metadata.slack.messageTs };
}

function prRef(pr: { number: number; url: string; headSha: string }): PrRef {
  return { number: pr.number, url: pr.url, headSha: pr.headSha };
}

/** The text a person reads for an error: what went wrong, what to do, and the code to look it up. */
export function errorText(error: TunnelbotError): string {
  return `${error.message}\n*Fix:* ${error.fix} (\`${error.code}\`)`;
}

export class RequestService {
  private readonly context: WorkflowContext;
  private readonly conversation: Conversation | undefined;
  private readonly log: Logger;
  private readonly fluxMemory = new FluxEventMemory();
  /** Thread replies already posted by this replica (failure reasons), so Flux's retries post nothing. */
  private readonly told = new BoundedSet(1000);
  private readonly groups = new Map<string, { members: ReadonlySet<string>; until: number }>();
  private readonly now: () => number;
  private readonly deciding = new Set<number>();
  private readonly turns: WorkQueue;
  /**
   * Access notices not in the request's thread yet: a repair's by the new application's id, a failed repair's by
   * `failed <hostname>`. Kept until posted: the next round finds nothing to repair any more.
   */
  private readonly untoldRepairs = new Map<string, { drifted: DriftedApp; text: string }>();
  /**
   * Drifted applications a round could not restore, by hostname: their thread is told once per drift, not every
   * round, and told how it ended (repaired, or found in place after a create that timed out).
   */
  private readonly failedRepairs = new Map<string, AccessRepairFailure>();
  /**
   * Unexposes Flux has applied whose clean-up (the tunnel once cloudflared stopped, the Access application, the
   * label, the message) is not finished: Flux's repeat of the event is a duplicate, so housekeeping finishes them.
   */
  private readonly unfinishedRemovals = new Map<number, AppliedPullRequest>();

  constructor(private readonly options: RequestServiceOptions) {
    this.context = options.context;
    this.conversation = options.conversation;
    this.log = options.context.logger.child({ component: 'requests' });
    this.now = options.now ?? Date.now;
    this.turns = new WorkQueue(options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  // --- requests from people -------------------------------------------------------------------------------

  /** `/expose APP PORT …`: policy, then the expose workflow, with the root message posted once it is valid. */
  async expose(actor: Actor, command: ExposeCommand, where?: { channel: string }): Promise<Reply> {
    return this.request(actor, command.environment, where, async (environment, announce, opened) => {
      const outcome = await expose({ ...command, environment, requester: person(actor) }, this.context, {
        announce: (target) => announce(exposeSubject(target, actor)),
        opened,
      });
      return { subject: exposeSubject(outcome.target, actor), ...outcome };
    });
  }

  /** `/unexpose APP …`: the inverse change, through the same approval. */
  async unexpose(actor: Actor, command: UnexposeCommand, where?: { channel: string }): Promise<Reply> {
    return this.request(actor, command.environment, where, async (environment, announce, opened) => {
      const outcome = await unexpose({ ...command, environment, requester: person(actor) }, this.context, {
        announce: (plan) => announce(unexposeSubject(plan, actor)),
        opened,
      });
      return {
        subject: unexposeSubject(outcome.plan, actor),
        ...outcome,
        warnings: outcome.plan.changeSet.warnings,
      };
    });
  }

  /**
   * The steps every request shares: the environment and the policy first, then the workflow, whose announcement
   * posts the root message; then the message shows the open PR, or the failure.
   */
  private async request(
    actor: Actor,
    requested: string | undefined,
    where: { channel: string } | undefined,
    run: RunRequest,
  ): Promise<Reply> {
    return this.turns.run(() => this.requestNow(actor, requested, where, run));
  }

  private async requestNow(
    actor: Actor,
    requested: string | undefined,
    where: { channel: string } | undefined,
    run: RunRequest,
  ): Promise<Reply> {
    let ref: MessageRef | undefined;
    let subject: RequestSubject | undefined;
    // The PR the root message shows already: it is shown as soon as the PR exists, while GitHub labels it.
    let shown: number | undefined;
    try {
      const environment = findEnvironment(this.context.settings, requested).name;
      await this.authorize({ action: 'request', environment, actor: actor.id });
      const opened = await run(
        environment,
        async (announced) => {
          subject = announced;
          ref = await this.post(where, requestedView(announced));
          return ref && { channel: ref.channel, messageTs: ref.ts };
        },
        async (pr, changes, warnings) => {
          if (!ref || !subject || !this.conversation) return;
          await this.conversation.update(ref, openView(subject, prRef(pr), changes, warnings));
          shown = pr.number;
        },
      );
      subject ??= opened.subject;
      if (shown === opened.pr.number) return this.openReply(ref, opened.pr);
      return await this.opened(ref, subject, opened.pr, opened.metadata, opened.changes, opened.warnings);
    } catch (error) {
      return this.failed(error, ref, subject);
    }
  }

  /**
   * Approve & merge: policy (four-eyes), then the merge pinned to the head commit the approver was shown. Without
   * `headSha` (an operator at the command line who did not give one) it is pinned to the head read now, and the
   * reply names it.
   */
  async approve(
    actor: Actor,
    input: { prNumber: number; headSha?: string; shownOn?: MessageRef },
  ): Promise<Reply> {
    return this.once(input.prNumber, () => this.turns.run(() => this.approveOnce(actor, input)));
  }

  private async approveOnce(
    actor: Actor,
    input: { prNumber: number; headSha?: string; shownOn?: MessageRef },
  ): Promise<Reply> {
    try {
      const pr = await this.openRequest(input.prNumber, input.shownOn);
      const headSha = input.headSha ?? pr.headSha;
      const pinned =
        input.headSha === undefined
          ? `No head commit was given: approved the pull request's current head ${pr.headSha.slice(0, 7)}. `
          : '';
      const metadata = pr.metadata!;
      await this.authorize({
        action: 'approve',
        environment: metadata.environment,
        actor: actor.id,
        requester: metadata.requester.slackUserId,
      });
      const ref = refOf(metadata);
      const subject = subjectOf(metadata);
      let result;
      try {
        result = await approve(
          { prNumber: pr.number, expectedHeadSha: headSha, approver: person(actor) },
          this.context,
        );
      } catch (error) {
        if (isTunnelbotError(error) && error.code === 'TB_ERR_GITHUB_PR_HEAD_CHANGED') {
          // Show the PR as it is now, so the next click is pinned to what the approver can see.
          const fresh = await this.context.git.getPr(pr.number);
          if (ref && fresh.state === 'open') {
            await this.conversation?.update(ref, openView(subject, prRef(fresh), [], []));
            await this.threadOnce(
              ref,
              `head:${fresh.headSha}`,
              `The pull request changed (now \`${fresh.headSha.slice(0, 7)}\`); review it again before approving.`,
            );
          }
        }
        throw error;
      }
      this.log.info(
        { pr: pr.number, approver: actor.id, mergeSha: result.mergeSha },
        'request approved and merged',
      );
      // Merged: from here on the approval stands. What fails after it is told to the approver, and the next Flux
      // event or housekeeping round finishes it (DNS, the tunnel, the message once the app is live or removed).
      let untold: TunnelbotError | undefined;
      try {
        await this.afterMerge(
          pr,
          metadata,
          actor,
          result.mergeSha,
          result.outcome,
          result.deferred,
          result.rebased,
        );
      } catch (error) {
        untold = asTunnelbotError(error);
        this.log.warn({ pr: pr.number, err: untold }, 'merged, but the request message could not be updated');
      }
      const merged = `${pinned}${result.rebased ? `${rebasedLine(result.rebased)} ` : ''}Merged pull request #${pr.number} as ${result.mergeSha}.`;
      const notes = [
        ...(result.deferred
          ? [`Cloudflare follows at the next round (${result.deferred.message.split('\n')[0]}).`]
          : []),
        ...(untold && ref ? [`Its message could not be updated: ${untold.message.split('\n')[0]}`] : []),
      ];
      return {
        ok: true,
        text: ref && notes.length === 0 ? '' : [merged, ...notes].join(' '),
        pr: prRef(pr),
      };
    } catch (error) {
      return this.failed(error);
    }
  }

  /** Reject: close the PR and delete its branch and the tunnel created for it. The requester may withdraw. */
  async reject(
    actor: Actor,
    input: { prNumber: number; reason?: string; shownOn?: MessageRef },
  ): Promise<Reply> {
    return this.once(input.prNumber, () => this.turns.run(() => this.rejectOnce(actor, input)));
  }

  private async rejectOnce(
    actor: Actor,
    input: { prNumber: number; reason?: string; shownOn?: MessageRef },
  ): Promise<Reply> {
    try {
      // A PR closed without merging is rejected again to finish what an earlier rejection could not (its tunnel,
      // its Access application, its message): closing is the step that cannot be undone, the rest is idempotent.
      const pr = await this.openRequest(input.prNumber, input.shownOn, { closed: 'finish' });
      const metadata = pr.metadata!;
      await this.authorize({
        action: 'reject',
        environment: metadata.environment,
        actor: actor.id,
        requester: metadata.requester.slackUserId,
      });
      const withdrawn = actor.id === metadata.requester.slackUserId;
      const outcome =
        pr.state === 'closed'
          ? await finishRejection(pr, this.context)
          : await reject(
              {
                prNumber: pr.number,
                reason: input.reason ?? (withdrawn ? 'withdrawn by the requester' : 'rejected in review'),
                actor: person(actor),
              },
              this.context,
            );
      const cleanedUp = outcome.kind === 'tunnel-deleted' ? 'Its tunnel was deleted.' : undefined;
      const ref = refOf(metadata);
      if (ref)
        await this.conversation?.update(ref, rejectedView(subjectOf(metadata), prRef(pr), actor, cleanedUp));
      this.log.info({ pr: pr.number, by: actor.id, outcome: outcome.kind }, 'request rejected');
      return {
        ok: true,
        text: ref
          ? ''
          : pr.state === 'closed'
            ? `Pull request #${pr.number} was closed already; its clean-up is finished.`
            : `Closed pull request #${pr.number}.${cleanedUp ? ` ${cleanedUp}` : ''}`,
        pr: prRef(pr),
      };
    } catch (error) {
      return this.failed(error);
    }
  }

  /** The configured environments, the first being the default a form offers. */
  environments(): string[] {
    return this.context.settings.environments.map((environment) => environment.name);
  }

  /** What the default branch exposes, with tunnel health, and what waits for approval. */
  async list(options: { environment?: string } = {}): Promise<Listing> {
    if (options.environment !== undefined) findEnvironment(this.context.settings, options.environment);
    const listing = await listExposed(this.context);
    if (options.environment === undefined) return listing;
    return {
      ...listing,
      exposed: listing.exposed.filter((app) => app.environment === options.environment),
      pending: listing.pending.filter((pr) => pr.metadata?.environment === options.environment),
    };
  }

  // --- outcomes from the world ----------------------------------------------------------------------------

  /** A pull request merged or closed, seen by the GitHub webhook or the poller (or after our own merge). */
  async onPullRequestEvent(event: PullRequestEvent): Promise<void> {
    let outcome;
    try {
      outcome = await onPullRequestEvent(event, this.context);
    } catch (error) {
      this.options.metrics?.recordFailure('pull-request-event', error);
      throw error;
    }
    this.options.metrics?.pullRequestEvents.inc({
      source: event.source,
      kind: event.kind,
      outcome: outcome.kind,
    });
    if (outcome.kind === 'awaiting-tunnel' && outcome.mergeSha) {
      this.fluxMemory.awaitFlux({
        number: event.prNumber,
        mergeSha: outcome.mergeSha,
        metadata: event.metadata,
      });
    }
    this.log.info(
      { pr: event.prNumber, source: event.source, outcome: outcome.kind },
      'pull request event handled',
    );
  }

  /** A Flux notification: applied changes go live (or are removed), failures are told in the request's thread. */
  async onFluxEvent(event: FluxEvent, log: Logger = this.log): Promise<void> {
    let outcome;
    try {
      outcome = await onFluxEvent(event, { ...this.context, logger: log }, this.fluxMemory);
    } catch (error) {
      this.options.metrics?.recordFailure('flux-event', error);
      throw error;
    }
    this.options.metrics?.fluxEvents.inc({ outcome: outcome.kind });
    if (outcome.kind === 'reconciled') {
      log.info(
        {
          commitSha: outcome.commitSha,
          prs: outcome.applied.map((pr) => pr.number),
          live: outcome.live.map((pr) => pr.number),
        },
        'Flux applied tunnelbot pull requests',
      );
      // Without a conversation (serve without Slack) an applied unexpose still deletes its tunnel.
      for (const pr of outcome.applied) {
        await this.settle(() => this.applied(pr, outcome.commitSha, outcome.dnsConflicts), pr, log);
      }
      if (this.conversation) await this.announceLive(outcome.live, log);
    } else if (outcome.kind === 'failed') {
      log.warn(
        {
          commitSha: outcome.commitSha,
          prs: outcome.pullRequests.map((pr) => pr.number),
          ...outcome.failure,
        },
        'Flux failed on a revision with tunnelbot pull requests',
      );
      for (const pr of this.conversation ? outcome.pullRequests : []) {
        await this.settle(() => this.fluxFailed(pr, outcome.failure), pr, log);
      }
    } else {
      log.debug({ outcome }, 'Flux event needed no action');
    }
  }

  /**
   * The periodic round: DNS follows the default branch, orphan tunnels go. It is also the fallback for Flux:
   * notification-controller keeps no queue, so events sent while the bot was down are lost.
   */
  async housekeeping(): Promise<void> {
    try {
      const { desired, dns, access } = await reconcileDns(this.context);
      const live = liveNow(this.fluxMemory, dns);
      if (this.conversation) await this.announceLive(live, this.log);
      if (access) await this.repairAccess(access);
      for (const pr of [...this.unfinishedRemovals.values()]) {
        await this.settle(() => this.finishRemoval(pr), pr, this.log);
      }
      await collectOrphans(this.context, { desired, ...(access && { accessInventory: access }) });
      await deleteLeftoverBranches(this.context);
      this.options.metrics?.housekeepingRuns.inc({ result: 'ok' });
    } catch (error) {
      this.options.metrics?.housekeepingRuns.inc({ result: 'failed' });
      this.options.metrics?.recordFailure('housekeeping', error);
      this.log.warn(
        { err: asTunnelbotError(error) },
        'housekeeping failed; it runs again at the next interval',
      );
    }
  }

  // --- steps ----------------------------------------------------------------------------------------------

  /**
   * Drift: an Access application of ours found missing or changed is made again from the settings, and the
   * request's thread (found through the merged expose PR) is told that the app stays closed meanwhile.
   */
  private async repairAccess(inventory: AccessInventory): Promise<void> {
    const { repaired, failed } = await repairAccess(this.context, inventory);
    const drifted = new Set(inventory.drift.map((drift) => drift.hostname));
    for (const [hostname, failure] of this.failedRepairs) {
      if (drifted.has(hostname)) continue;
      // No drift any more without a repair this round: the failed create happened after all (or someone fixed it).
      this.endFailedRepair(hostname);
      const found = repairFoundInPlace(failure, inventory, this.context.settings.instance);
      if (found) repaired.push(found);
    }
    for (const failure of failed) {
      if (this.failedRepairs.has(failure.hostname)) continue;
      setBounded(this.failedRepairs, failure.hostname, failure, UNTOLD_REPAIRS_LIMIT);
      this.queueRepairNotice(`failed ${failure.hostname}`, failure, repairFailureNotice(failure));
    }
    for (const repair of repaired) {
      this.endFailedRepair(repair.hostname);
      const text = repairNotice(repair);
      this.log.warn({ hostname: repair.hostname, accessAppId: repair.created.id }, text);
      this.queueRepairNotice(repair.created.id, repair, text);
    }
    for (const [key, { drifted: app, text }] of this.untoldRepairs) {
      try {
        const pr = await this.context.git.findMergedPr(branchName('expose', app.environment, app.app!));
        const ref = refOf(pr?.metadata);
        if (ref) await this.conversation!.reply(ref, text);
        this.untoldRepairs.delete(key);
      } catch (error) {
        this.log.warn(
          { hostname: app.hostname, err: asTunnelbotError(error) },
          'could not tell the request thread about the Access repair; told at the next round',
        );
      }
    }
  }

  /** A notice for the thread of the request that exposed `drifted`, when there is a conversation and a request. */
  private queueRepairNotice(key: string, drifted: DriftedApp, text: string): void {
    if (!this.conversation || drifted.app === undefined) return;
    setBounded(this.untoldRepairs, key, { drifted, text }, UNTOLD_REPAIRS_LIMIT);
  }

  /** A failed repair has an outcome now: its notice, when still untold, is no longer news. */
  private endFailedRepair(hostname: string): void {
    this.failedRepairs.delete(hostname);
    this.untoldRepairs.delete(`failed ${hostname}`);
  }

  /**
   * One decision per PR at a time in this replica: a double click waits for nothing and changes nothing. Across
   * replicas GitHub's merge is the arbiter (the second merge finds the PR merged or its head moved).
   */
  private async once(prNumber: number, decide: () => Promise<Reply>): Promise<Reply> {
    if (this.deciding.has(prNumber)) {
      return {
        ok: true,
        text: `Pull request #${prNumber} is being decided already; its message shows the outcome.`,
      };
    }
    this.deciding.add(prNumber);
    try {
      return await decide();
    } finally {
      this.deciding.delete(prNumber);
    }
  }

  private async authorize(question: PolicyQuestion): Promise<void> {
    const policy = this.context.settings.policy;
    const groups = new Set<string>();
    let unavailable: TunnelbotError | undefined;
    for (const group of groupsToResolve(policy, question)) {
      try {
        if ((await this.membersOf(group)).has(question.actor)) groups.add(group);
      } catch (error) {
        unavailable = asTunnelbotError(error);
      }
    }
    const decision = decide(policy, question, groups);
    if (decision.allowed) return;
    // A group we could not read may be the one that would have allowed it: say so rather than a bare "no".
    if (unavailable && decision.error.code !== 'TB_ERR_POLICY_SELF_APPROVAL') throw unavailable;
    throw decision.error;
  }

  private async membersOf(group: string): Promise<ReadonlySet<string>> {
    const cached = this.groups.get(group);
    if (cached && cached.until > this.now()) return cached.members;
    if (!this.options.directory) {
      throw new TunnelbotError(
        'TB_ERR_POLICY_GROUPS_UNAVAILABLE',
        `The user group ${group} cannot be resolved here.`,
        {
          fix: 'User groups are resolved through Slack; list people by user id in `policy` for the command line.',
        },
      );
    }
    const members = new Set(await this.options.directory.membersOf(group));
    this.groups.set(group, { members, until: this.now() + (this.options.groupCacheMs ?? GROUP_CACHE_MS) });
    return members;
  }

  private async post(
    where: { channel: string } | undefined,
    view: RequestView,
  ): Promise<MessageRef | undefined> {
    if (!where || !this.conversation) return undefined;
    return this.conversation.post(where.channel, view);
  }

  /** The PR is open: the root message shows what will change and the buttons, or a duplicate steps aside. */
  private async opened(
    ref: MessageRef | undefined,
    subject: RequestSubject,
    pr: { number: number; url: string; headSha: string; created: boolean },
    metadata: PrMetadata | undefined,
    changes: readonly string[],
    warnings: readonly string[],
  ): Promise<Reply> {
    const first = refOf(metadata);
    if (!pr.created && (!ref || !first || first.ts !== ref.ts)) {
      // A retried command or a second replica: the first attempt's message carries the request.
      if (ref) await this.conversation?.remove(ref);
      const what = subject.action === 'expose' ? 'An expose' : 'An unexpose';
      return {
        ok: true,
        text: `${what} of ${subject.app} in ${subject.environment} is already waiting for approval: <${pr.url}|pull request #${pr.number}>.`,
        pr: prRef(pr),
      };
    }
    if (ref) await this.conversation?.update(ref, openView(subject, prRef(pr), changes, warnings));
    return this.openReply(ref, pr);
  }

  private openReply(ref: MessageRef | undefined, pr: OpenedRequest['pr']): Reply {
    return {
      ok: true,
      text: ref ? '' : `Pull request #${pr.number} is waiting for approval: ${pr.url}`,
      pr: prRef(pr),
    };
  }

  private async failed(error: unknown, ref?: MessageRef, subject?: RequestSubject): Promise<Reply> {
    const failure = asTunnelbotError(error);
    const level = failure.kind === 'internal' ? 'error' : failure.kind === 'upstream' ? 'warn' : 'info';
    this.log[level]({ err: failure, code: failure.code }, 'request refused or failed');
    if (ref && subject && this.conversation) {
      try {
        await this.conversation.update(ref, failedView(subject, problemOf(failure)));
        return { ok: false, text: '', error: failure };
      } catch (updateError) {
        this.log.warn(
          { err: asTunnelbotError(updateError) },
          'could not show the failure in the request message',
        );
      }
    }
    return { ok: false, text: errorText(failure), error: failure };
  }

  /**
   * The open request PR `number`. A click says which message its button sat on (`shownOn`): a request's buttons
   * only ever sit on its own root message (the one its block names), so a value naming another PR was edited by
   * hand and changes nothing.
   */
  private async openRequest(
    number: number,
    shownOn?: MessageRef,
    options: { closed?: 'finish' } = {},
  ): Promise<PullRequestInfo> {
    const pr = await this.context.git.getPr(number);
    if (!pr.metadata) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_NOT_TUNNELBOT_PR',
        `Pull request #${number} is not a tunnelbot request.`,
      );
    }
    const slack = pr.metadata.slack;
    if (shownOn && (slack?.channel !== shownOn.channel || slack.messageTs !== shownOn.ts)) {
      throw new TunnelbotError(
        'TB_ERR_SLACK_FOREIGN_BUTTON',
        `This button names pull request #${number}, which is not the request of the message it sits on; nothing was done.`,
      );
    }
    if (pr.merged) {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_PR_ALREADY_MERGED',
        `Pull request #${number} is already merged.`,
      );
    }
    if (pr.state === 'closed' && options.closed !== 'finish') {
      throw new TunnelbotError(
        'TB_ERR_GITHUB_PR_CLOSED',
        `Pull request #${number} was closed without merging.`,
      );
    }
    return pr;
  }

  /** Right after our own merge: say what happened and what comes next, or that it is done. */
  private async afterMerge(
    pr: PullRequestInfo,
    metadata: PrMetadata,
    approver: Actor,
    mergeSha: string,
    outcome: PullRequestOutcome,
    deferred?: TunnelbotError,
    rebased?: Approval['rebased'],
  ): Promise<void> {
    if (outcome.kind === 'awaiting-tunnel' && outcome.mergeSha) {
      this.fluxMemory.awaitFlux({ number: pr.number, mergeSha: outcome.mergeSha, metadata });
    }
    const ref = refOf(metadata);
    if (!ref || !this.conversation) return;
    const subject = subjectOf(metadata);
    // The thread's line and the message are each worth a try: one failing does not keep the other from being shown.
    let failure: unknown;
    try {
      if (rebased) await this.conversation.reply(ref, rebasedLine(rebased));
      await this.conversation.reply(
        ref,
        `Approved by ${mention(approver)}; merged as \`${mergeSha.slice(0, 7)}\`.`,
      );
    } catch (error) {
      failure = error;
    }
    if (metadata.action === 'unexpose' && outcome.kind === 'dns-reconciled' && outcome.tunnelDeleted) {
      await this.removed(pr, metadata);
      if (failure) throw failure;
      return;
    }
    const next = deferred
      ? 'Cloudflare could not be reached right after the merge; the next round applies it.'
      : metadata.action === 'unexpose'
        ? 'The DNS record is removed; the tunnel is deleted once Flux has stopped cloudflared.'
        : outcome.kind === 'awaiting-tunnel'
          ? this.options.dnsAwaitsFlux
            ? 'Waiting for Flux to apply it; the DNS record follows once cloudflared runs.'
            : 'The DNS record follows once cloudflared runs.'
          : 'DNS follows the default branch now.';
    await this.conversation.update(ref, mergedView(subject, prRef(pr), { approver, mergeSha, next }));
    if (metadata.action === 'expose' && outcome.kind === 'dns-reconciled') {
      await this.live(pr, metadata);
    }
    if (failure) throw failure;
  }

  /** The Kustomization that applies this PR's environment applied a commit that includes it. */
  private async applied(
    pr: AppliedPullRequest,
    commitSha: string,
    dnsConflicts: readonly string[],
  ): Promise<void> {
    if (pr.metadata.action === 'expose') {
      // Live is told apart (announceLive), once its record points at its running tunnel.
      if (dnsConflicts.includes(pr.metadata.hostname)) {
        await this.threadOnce(
          refOf(pr.metadata),
          `conflict:${pr.number}`,
          `Flux applied \`${commitSha.slice(0, 7)}\`, but a DNS record tunnelbot does not own already uses ${pr.metadata.hostname}; it was left alone. Delete it in Cloudflare if it is stale, and the next round creates tunnelbot's.`,
        );
      }
      return;
    }
    await this.finishRemoval(pr);
  }

  /**
   * An unexpose Flux has applied: cloudflared is pruned, so its tunnel can go now, then the Access application, the
   * label and the message. Until all of it is done the PR stays in `unfinishedRemovals`, which housekeeping retries.
   */
  private async finishRemoval(pr: AppliedPullRequest): Promise<void> {
    setBounded(this.unfinishedRemovals, pr.number, pr, UNFINISHED_REMOVALS_LIMIT);
    if (
      pr.metadata.tunnelId &&
      !(
        await purgeUnexposedTunnel(
          pr.metadata.tunnelId,
          this.context,
          `unexpose of ${pr.metadata.app} applied by Flux (PR #${pr.number})`,
        )
      ).deleted
    ) {
      return; // cloudflared still runs for it: the next event or round
    }
    await this.removed(await this.context.git.getPr(pr.number), pr.metadata);
    this.unfinishedRemovals.delete(pr.number);
  }

  /** Merged exposes whose record now points at their running tunnel. */
  private async announceLive(prs: readonly AppliedPullRequest[], log: Logger): Promise<void> {
    for (const pr of prs) {
      await this.settle(
        async () => {
          try {
            await this.live(await this.context.git.getPr(pr.number), pr.metadata);
          } catch (error) {
            // Still waiting: the next event or housekeeping round announces it.
            this.fluxMemory.awaitFlux(pr);
            throw error;
          }
        },
        pr,
        log,
      );
    }
  }

  private async live(pr: PullRequestInfo, metadata: PrMetadata): Promise<void> {
    if (pr.labels.includes(DONE_LABELS.live)) return;
    const ref = refOf(metadata);
    // The message first: showing it again changes nothing, so a failed update is retried by the next round, which
    // the label would stop.
    if (ref && this.conversation)
      await this.conversation.update(ref, liveView(subjectOf(metadata), prRef(pr)));
    if (await this.claimAnnouncement(pr)) {
      this.log.info({ pr: pr.number, hostname: metadata.hostname }, 'request live');
      if (ref && this.conversation)
        await this.conversation.reply(ref, `Live at https://${metadata.hostname}`);
    }
    await this.context.git.addLabel(pr.number, DONE_LABELS.live);
  }

  /**
   * Whether this replica makes the request's last announcement (a thread line, once): it removed the PR's
   * ANNOUNCEMENT_LABEL, and GitHub answers the same removal by another replica at the same instant with 404. The
   * claim is taken before the line is posted, so a replica that fails or crashes in between misses the line; none
   * posts it twice. The done label follows whoever claimed: every replica sets it (setting it twice changes
   * nothing), so a label that failed is set by the next round without a second line.
   */
  private async claimAnnouncement(pr: PullRequestInfo): Promise<boolean> {
    if (!pr.labels.includes(ANNOUNCEMENT_LABEL)) return false;
    return this.context.git.removeLabel(pr.number, ANNOUNCEMENT_LABEL);
  }

  private async removed(pr: PullRequestInfo, metadata: PrMetadata): Promise<void> {
    if (pr.labels.includes(DONE_LABELS.removed)) return;
    // The DNS record is gone, so the application guards nothing any more: it goes before the label, so a failure
    // here is retried by the next event or round.
    const environment = this.context.settings.environments.find((env) => env.name === metadata.environment);
    const accessApps =
      environment && accessOf(environment).mode !== 'off'
        ? await removeAccessApplicationOf(metadata.hostname, this.context)
        : [];
    const ref = refOf(metadata);
    const what = [
      `the DNS record of ${metadata.hostname}`,
      ...(metadata.tunnelId ? ['its tunnel'] : []),
      ...(accessApps.length > 0 ? ['its Access application'] : []),
      'its files',
    ];
    if (ref && this.conversation)
      await this.conversation.update(ref, removedView(subjectOf(metadata), prRef(pr), what));
    if (await this.claimAnnouncement(pr)) {
      this.log.info({ pr: pr.number, hostname: metadata.hostname }, 'unexpose complete');
      if (ref && this.conversation) {
        await this.conversation.reply(
          ref,
          `Removed ${what.join(', ')}. Nothing of ${metadata.app} is left behind.`,
        );
      }
    }
    await this.context.git.addLabel(pr.number, DONE_LABELS.removed);
  }

  private async fluxFailed(
    pr: AppliedPullRequest,
    failure: { reason: string; message: string; object: string },
  ): Promise<void> {
    const ref = refOf(pr.metadata);
    const hint = explainFluxFailure(failure.reason, failure.message);
    const problem = {
      message: hint ? hint.cause : `Flux could not apply it (${failure.reason} on ${failure.object}).`,
      fix: hint ? hint.fix : 'Read the message below and fix the repository; Flux retries on its own.',
      code: `flux:${failure.reason}`,
    };
    const key = `failed:${pr.number}:${failure.object}:${failure.reason}`;
    if (!ref || !this.conversation || !this.told.add(key)) return;
    const info = await this.context.git.getPr(pr.number);
    await this.conversation.update(ref, failedView(subjectOf(pr.metadata), problem, prRef(info)));
    await this.conversation.reply(
      ref,
      `Flux could not apply \`${pr.mergeSha.slice(0, 7)}\`: ${problem.message}\n*Fix:* ${problem.fix}\n> ${failure.message.replace(/\n/g, '\n> ')}`,
    );
  }

  private async threadOnce(ref: MessageRef | undefined, key: string, text: string): Promise<void> {
    if (!ref || !this.conversation || !this.told.add(key)) return;
    await this.conversation.reply(ref, text);
  }

  /** One PR's outcome must not stop the others', and a failure to tell is logged, never thrown at Flux. */
  private async settle(step: () => Promise<void>, pr: AppliedPullRequest, log: Logger): Promise<void> {
    try {
      await step();
    } catch (error) {
      log.warn(
        { pr: pr.number, err: asTunnelbotError(error) },
        'could not update the request after a Flux event',
      );
    }
  }
}

function exposeSubject(target: ExposeTarget, actor: Actor): RequestSubject {
  return {
    action: 'expose',
    app: target.app,
    environment: target.environment.name,
    hostname: target.hostname,
    namespace: target.namespace,
    port: target.port,
    ...(target.protection.kind === 'public' && target.protection.requested && { public: true }),
    requester: { id: actor.id, name: actor.name },
  };
}

function unexposeSubject(plan: UnexposePlan, actor: Actor): RequestSubject {
  return {
    action: 'unexpose',
    app: plan.app,
    environment: plan.environment.name,
    ...(plan.hostnames[0] !== undefined && { hostname: plan.hostnames[0] }),
    requester: { id: actor.id, name: actor.name },
  };
}

/** The one line that tells a request's thread its PR was rebuilt on the default branch before the merge. */
function rebasedLine(rebased: NonNullable<Approval['rebased']>): string {
  const changed = rebased.replanned.join(', ');
  return changed
    ? `Rebased onto ${rebased.baseRef} before merging: ${changed} had changed since the PR was opened.`
    : `Rebased onto ${rebased.baseRef} before merging; none of its files had changed there since the PR was opened.`;
}
