import type { OpenedPr, Person } from '../core/git-provider.js';
import { planUnexpose, type UnexposePlan, type UnexposeRequest } from '../core/plan-unexpose.js';
import { branchName, type PrMetadata } from '../core/pr-metadata.js';
import { changeLines } from '../core/changeset.js';
import { unexposePrText } from '../core/pr-text.js';
import type { OpenedStep, WorkflowContext } from './context.js';

export interface UnexposeInput extends UnexposeRequest {
  readonly requester: Person;
  readonly slack?: NonNullable<PrMetadata['slack']>;
}

export interface UnexposeSteps {
  /** Called once the request is known to be valid and new: the request service posts its root message here. */
  readonly announce?: (plan: UnexposePlan) => Promise<NonNullable<PrMetadata['slack']> | undefined>;
  readonly opened?: OpenedStep;
}

export interface UnexposeOutcome {
  readonly pr: OpenedPr;
  readonly plan: UnexposePlan;
  /** The request's metadata as the PR holds it: for an adopted PR, the first attempt's (its Slack message). */
  readonly metadata: PrMetadata | undefined;
  readonly changes: readonly string[];
}

/**
 * `/unexpose`: the pull request that takes back everything the expose added. Cloudflare is not touched here: the
 * DNS record and the tunnel go once the change is merged (see pull-request-events), so a rejected unexpose
 * leaves the app exactly as it was.
 */
export async function unexpose(
  input: UnexposeInput,
  context: WorkflowContext,
  steps: UnexposeSteps = {},
): Promise<UnexposeOutcome> {
  const base = await context.git.defaultBranch();
  const snapshot = await context.git.readSnapshot(base.sha);
  const plan = planUnexpose(input, snapshot, context.settings);
  const changes = changeLines(plan.changeSet);
  const existing = await context.git.findOpenPr(branchName('unexpose', plan.environment.name, plan.app));
  if (existing?.metadata?.action === 'unexpose') {
    const pr = { number: existing.number, url: existing.url, headSha: existing.headSha, created: false };
    return { pr, plan, metadata: existing.metadata, changes };
  }
  const slack = (await steps.announce?.(plan)) ?? input.slack;
  const metadata: PrMetadata = {
    version: 1,
    action: 'unexpose',
    app: plan.app,
    environment: plan.environment.name,
    hostname: plan.hostnames[0]!,
    ...(plan.deleteTunnelId && { tunnelId: plan.deleteTunnelId }),
    ...(slack && { slack }),
    requester: { slackUserId: input.requester.slackUserId, name: input.requester.name },
  };
  const pr = await context.git.openChangeSetPr({
    metadata,
    title: `Unexpose ${plan.app} (${plan.environment.name})`,
    summary: unexposePrText(plan, input.requester),
    baseSha: base.sha,
    changeSet: plan.changeSet,
    rebuild: async (newer) => planUnexpose(input, newer, context.settings).changeSet,
    ...(steps.opened && {
      onCreated: (opened) => steps.opened!(opened, changes, plan.changeSet.warnings),
    }),
  });
  context.logger.child({ workflow: 'unexpose', app: plan.app }).info({ pr: pr.number }, 'pull request open');
  const adopted = pr.created ? metadata : (await context.git.getPr(pr.number)).metadata;
  return { pr, plan, metadata: adopted, changes };
}
