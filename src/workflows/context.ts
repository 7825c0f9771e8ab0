import type { CloudflareAdapter } from '../adapters/cloudflare/index.js';
import { ownerComment } from '../core/dns-plan.js';
import type { GitProvider, OpenedPr } from '../core/git-provider.js';
import type { Settings } from '../core/settings.js';
import type { Logger } from '../log.js';

/** The Cloudflare operations workflows use; the adapter implements them, tests may wrap them to inject faults. */
export type TunnelService = Pick<
  CloudflareAdapter,
  | 'createTunnel'
  | 'rollbackTunnel'
  | 'deleteTunnelOfClosedPullRequest'
  | 'purgeTunnel'
  | 'convergeDns'
  | 'collectOrphanTunnels'
  | 'getTunnelHealth'
  | 'getAccessAuthDomain'
  | 'listAccessPolicies'
  | 'listAccessApplications'
  | 'findAccessApplications'
  | 'getAccessApplication'
  | 'createAccessApplication'
  | 'deleteAccessApplication'
>;

/** Everything a workflow talks to, passed in by the composition root (or a test). */
export interface WorkflowContext {
  readonly git: GitProvider;
  readonly cloudflare: TunnelService;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * A request's step "its new pull request exists", told while GitHub labels it: the request service shows the PR
 * link then, a round trip before the workflow returns.
 */
export type OpenedStep = (
  pr: OpenedPr,
  changes: readonly string[],
  warnings: readonly string[],
) => Promise<void>;

export function ownerCommentOf(settings: Settings): string {
  return ownerComment(settings.instance);
}
