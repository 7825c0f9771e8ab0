import type { TunnelHealth } from '../adapters/cloudflare/index.js';
import { desiredState, type RoutedHostname } from '../core/desired-state.js';
import type { PullRequestInfo } from '../core/git-provider.js';
import { describeRule } from '../core/access.js';
import { accessOf } from '../core/settings.js';
import { asTunnelbotError } from '../errors.js';
import type { WorkflowContext } from './context.js';

export interface ExposedApp extends RoutedHostname {
  /** Cloudflare's view of the tunnel, or why it could not be read. */
  readonly health: TunnelHealth | { readonly error: string };
  /** Who the environment's settings let in, for a protected hostname: policy names or include rules. */
  readonly policies: readonly string[];
}

export interface Listing {
  readonly exposed: readonly ExposedApp[];
  readonly pending: readonly PullRequestInfo[];
  readonly warnings: readonly string[];
}

function allowedBy(context: WorkflowContext, environment: string): string[] {
  const settings = context.settings.environments.find((candidate) => candidate.name === environment);
  if (!settings) return [];
  const access = accessOf(settings);
  return access.policies.length > 0 ? [...access.policies] : access.include.map(describeRule);
}

/** What is exposed (default branch) with each tunnel's health, and what is waiting for approval (open PRs). */
export async function listExposed(context: WorkflowContext): Promise<Listing> {
  const base = await context.git.defaultBranch();
  const [snapshot, pending] = await Promise.all([
    context.git.readSnapshot(base.sha),
    context.git.listOpenTunnelbotPrs(),
  ]);
  const desired = desiredState(snapshot, context.settings);
  const health = new Map<string, TunnelHealth | { error: string }>();
  await Promise.all(
    [...desired.tunnelIds].map(async (tunnelId) => {
      try {
        health.set(tunnelId, await context.cloudflare.getTunnelHealth(tunnelId));
      } catch (error) {
        health.set(tunnelId, { error: asTunnelbotError(error).message });
      }
    }),
  );
  return {
    exposed: desired.hostnames.map((routed) => ({
      ...routed,
      health: health.get(routed.tunnelId)!,
      policies: allowedBy(context, routed.environment),
    })),
    pending,
    warnings: desired.warnings,
  };
}
