import type { OpenedPr, Person } from '../core/git-provider.js';
import { planUnexpose, type UnexposePlan, type UnexposeRequest } from '../core/plan-unexpose.js';
import type { PrMetadata } from '../core/pr-metadata.js';
import { unexposePrText } from '../core/pr-text.js';
import type { WorkflowContext } from './context.js';

export interface UnexposeInput extends UnexposeRequest {
  readonly requester: Person;
  readonly slack?: { readonly channel: string; readonly messageTs: string };
}

export interface UnexposeOutcome {
  readonly pr: OpenedPr;
  readonly plan: UnexposePlan;
}

/**
 * `/unexpose`: the pull request that takes back everything the expose added. Cloudflare is not touched here: the
 * DNS record and the tunnel go once the change is merged (see pull-request-events), so a rejected unexpose
 * leaves the app exactly as it was.
 */
export async function unexpose(input: UnexposeInput, context: WorkflowContext): Promise<UnexposeOutcome> {
  const base = await context.git.defaultBranch();
  const snapshot = await context.git.readSnapshot(base.sha);
  const plan = planUnexpose(input, snapshot, context.settings);
  const metadata: PrMetadata = {
    version: 1,
    action: 'unexpose',
    app: plan.app,
    environment: plan.environment.name,
    hostname: plan.hostnames[0]!,
    ...(plan.deleteTunnelId && { tunnelId: plan.deleteTunnelId }),
    ...(input.slack && { slack: input.slack }),
    requester: { slackUserId: input.requester.slackUserId, name: input.requester.name },
  };
  const pr = await context.git.openChangeSetPr({
    metadata,
    title: `Unexpose ${plan.app} (${plan.environment.name})`,
    summary: unexposePrText(plan, input.requester),
    baseSha: base.sha,
    changeSet: plan.changeSet,
    rebuild: async (newer) => planUnexpose(input, newer, context.settings).changeSet,
  });
  context.logger.child({ workflow: 'unexpose', app: plan.app }).info({ pr: pr.number }, 'pull request open');
  return { pr, plan };
}
