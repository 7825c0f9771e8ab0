import { TunnelbotError, asTunnelbotError } from '../errors.js';
import type { OpenedPr, Person } from '../core/git-provider.js';
import {
  isTunnelId,
  resolveHostname,
  validateAppName,
  validatePort,
  type TunnelCredentials,
} from '../core/names.js';
import { resolveProtection } from '../core/access.js';
import { findEnvironment } from '../core/settings.js';
import { planExpose, prepareExpose, type ExposeRequest, type ExposeTarget } from '../core/plan-expose.js';
import { branchName, type PrMetadata } from '../core/pr-metadata.js';
import { exposePrText } from '../core/pr-text.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { changeLines } from '../core/changeset.js';
import type { AccessApplication } from '../adapters/cloudflare/index.js';
import { checkAccess, ensureAccessApplication, removeAccessApplication } from './access.js';
import { ownerCommentOf, type OpenedStep, type WorkflowContext } from './context.js';

export interface ExposeInput extends ExposeRequest {
  readonly requester: Person;
  readonly slack?: NonNullable<PrMetadata['slack']>;
}

export interface ExposeSteps {
  /**
   * Called once the request is known to be valid and new, before anything is created: the request service posts
   * the request's root message here, and the PR's metadata records where it is.
   */
  readonly announce?: (target: ExposeTarget) => Promise<NonNullable<PrMetadata['slack']> | undefined>;
  readonly opened?: OpenedStep;
}

export interface ExposeOutcome {
  readonly pr: OpenedPr;
  readonly target: ExposeTarget;
  readonly tunnelId: string | undefined;
  /** The Access application in front of the hostname; undefined for a public app. */
  readonly accessApp: AccessApplication | undefined;
  readonly warnings: readonly string[];
  /** The request's metadata as the PR holds it: for an adopted PR, the first attempt's (its Slack message). */
  readonly metadata: PrMetadata | undefined;
  /** What the change does, one line per file, for the request's message. */
  readonly changes: readonly string[];
}

/**
 * `/expose`: check the request against the default branch, create the tunnel, open the pull request. Nothing is
 * created before the request is known to be valid, and a failure after the tunnel exists deletes it again, so a
 * failed expose leaves no tunnel, no DNS record and no branch behind. A retried command finds its open PR.
 */
export async function expose(
  input: ExposeInput,
  context: WorkflowContext,
  steps: ExposeSteps = {},
): Promise<ExposeOutcome> {
  const log = context.logger.child({ workflow: 'expose', app: input.app });

  // The open-PR lookup and the Access check need only the request, so they run beside the read of the default
  // branch: two round trips less between the command and its PR link. The checks before them are the ones
  // prepareExpose makes first, and its verdict on the repository still comes before theirs.
  const app = validateAppName(input.app);
  validatePort(input.port);
  const environment = findEnvironment(context.settings, input.environment);
  const hostname = resolveHostname(app, environment, input.hostname);
  const protection = resolveProtection(environment, input.access);
  const [read, open, checked] = await Promise.allSettled([
    readDefaultBranch(context),
    context.git.findOpenPr(branchName('expose', environment.name, app)),
    // Read-only: a wrong team or policy name, or someone else's application at the hostname, fails here.
    protection.kind === 'access' ? checkAccess(environment.name, hostname, protection, context) : undefined,
  ]);
  if (read.status === 'rejected') throw read.reason;
  const { base, snapshot } = read.value;
  const target = prepareExpose(input, snapshot, context.settings);
  if (open.status === 'rejected') throw open.reason;
  const existing = open.value;
  if (existing) {
    if (existing.metadata?.action === 'expose' && existing.metadata.hostname === target.hostname) {
      log.info({ pr: existing.number }, 'request already has an open pull request');
      return {
        pr: { number: existing.number, url: existing.url, headSha: existing.headSha, created: false },
        target,
        tunnelId: existing.metadata.tunnelId,
        accessApp: undefined,
        warnings: target.warnings,
        metadata: existing.metadata,
        changes: [],
      };
    }
    throw new TunnelbotError(
      'TB_ERR_PLAN_REQUEST_PENDING',
      `An expose of ${target.app} in ${target.environment.name} is already waiting for approval: ${existing.url}` +
        (existing.metadata ? ` (hostname ${existing.metadata.hostname}).` : '.'),
    );
  }
  if (checked.status === 'rejected') throw checked.reason;
  const accessCheck = checked.value;

  // The announcement, the tunnel and the Access application do not depend on each other: all go out at once, and
  // whatever was made while another failed is taken back like any other failure after it exists.
  const [announced, made, guarded] = await Promise.allSettled([
    steps.announce?.(target),
    target.tunnel.action === 'create' ? context.cloudflare.createTunnel(target.tunnelName) : undefined,
    accessCheck ? ensureAccessApplication(accessCheck, context) : undefined,
  ]);
  const created: { id: string; credentials: TunnelCredentials; adopted: boolean } | undefined =
    made.status === 'fulfilled' ? made.value : undefined;
  const access: { app: AccessApplication; created: boolean } | undefined =
    guarded.status === 'fulfilled' ? guarded.value : undefined;
  if (created) log.info({ tunnelId: created.id, adopted: created.adopted }, 'tunnel ready');
  if (access) log.info({ accessAppId: access.app.id, created: access.created }, 'Access application ready');
  const tunnelId = created?.id ?? (target.tunnel.action === 'reuse' ? target.tunnel.id : undefined);

  try {
    for (const step of [announced, made, guarded]) if (step.status === 'rejected') throw step.reason;
    const slack = (announced.status === 'fulfilled' ? announced.value : undefined) ?? input.slack;
    const now = context.now();
    const planOn = async (onSnapshot: RepoSnapshot) => {
      const current = onSnapshot === snapshot ? target : prepareExpose(input, onSnapshot, context.settings);
      return planExpose(current, onSnapshot, context.settings, {
        ...(created && { credentials: created.credentials }),
        ...(access && { accessAud: access.app.aud }),
        now,
      });
    };
    const plan = await planOn(snapshot);
    const metadata: PrMetadata = {
      version: 1,
      action: 'expose',
      app: target.app,
      environment: target.environment.name,
      hostname: target.hostname,
      namespace: target.namespace,
      port: target.port,
      ...(tunnelId && isTunnelId(tunnelId) && { tunnelId }),
      ...(access && { access: { appId: access.app.id, aud: access.app.aud } }),
      ...(target.protection.kind === 'public' && target.protection.requested && { public: true as const }),
      ...(slack && { slack }),
      requester: { slackUserId: input.requester.slackUserId, name: input.requester.name },
    };
    const pr = await context.git.openChangeSetPr({
      metadata,
      title: `Expose ${target.app} at ${target.hostname} (${target.environment.name})`,
      summary: exposePrText(plan, input.requester),
      baseSha: base.sha,
      changeSet: plan.changeSet,
      rebuild: async (newer) => (await planOn(newer)).changeSet,
      ...(steps.opened && {
        onCreated: (opened) => steps.opened!(opened, changeLines(plan.changeSet), plan.changeSet.warnings),
      }),
    });
    log.info({ pr: pr.number, created: pr.created }, 'pull request open');
    const adopted = pr.created ? metadata : (await context.git.getPr(pr.number)).metadata;
    return {
      pr,
      target,
      tunnelId,
      accessApp: access?.app,
      warnings: plan.changeSet.warnings,
      metadata: adopted,
      changes: changeLines(plan.changeSet),
    };
  } catch (error) {
    // A tunnel adopted from an earlier attempt may belong to a PR another replica is opening right now: only the
    // tunnel this attempt created is ours to take back; the orphan collector handles the rest after its grace.
    if (access?.created) await rollbackAccess(access.app.id, target.hostname, context, log);
    if (created && !created.adopted) await rollback(created.id, context, log, error);
    throw error;
  }
}

async function readDefaultBranch(
  context: WorkflowContext,
): Promise<{ base: { name: string; sha: string }; snapshot: RepoSnapshot }> {
  const base = await context.git.defaultBranch();
  return { base, snapshot: await context.git.readSnapshot(base.sha) };
}

async function rollback(
  tunnelId: string,
  context: WorkflowContext,
  log: WorkflowContext['logger'],
  cause: unknown,
): Promise<void> {
  try {
    await context.cloudflare.rollbackTunnel(tunnelId, { ownerComment: ownerCommentOf(context.settings) });
    log.warn({ tunnelId, err: asTunnelbotError(cause) }, 'expose failed; its tunnel was deleted');
  } catch (rollbackError) {
    log.error(
      { tunnelId, err: asTunnelbotError(rollbackError) },
      'expose failed and its tunnel could not be deleted; the orphan collector will retry',
    );
  }
}

async function rollbackAccess(
  appId: string,
  hostname: string,
  context: WorkflowContext,
  log: WorkflowContext['logger'],
): Promise<void> {
  try {
    await removeAccessApplication(appId, hostname, context);
    log.warn({ accessAppId: appId }, 'expose failed; its Access application was deleted');
  } catch (rollbackError) {
    log.error(
      { accessAppId: appId, err: asTunnelbotError(rollbackError) },
      'expose failed and its Access application could not be deleted',
    );
  }
}
