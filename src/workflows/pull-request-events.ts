import { normalizeHostname } from '../core/dns-plan.js';
import { asTunnelbotError, isTunnelbotError } from '../errors.js';
import type { Logger } from '../log.js';
import { removeAccessApplication } from './access.js';
import type { PullRequestEvent } from '../core/pull-request-event.js';
import { ownerCommentOf, type WorkflowContext } from './context.js';
import { reconcileDns, referencedTunnels } from './reconcile.js';

/** A tunnel tunnelbot would have deleted, kept because cloudflared still runs for it. */
export interface RunningTunnel {
  readonly tunnelId: string;
  readonly activeConnectors: number;
}

export type PullRequestOutcome =
  /** DNS converged; a merged expose's hostname is live (its record points at its running tunnel). */
  | {
      readonly kind: 'dns-reconciled';
      readonly tunnelDeleted: boolean;
      /** A merged unexpose whose tunnel still has active connectors: kept until cloudflared stops. */
      readonly runningTunnel?: RunningTunnel;
    }
  /** A merged expose whose tunnel has no active connector yet: its record follows once cloudflared runs. */
  | { readonly kind: 'awaiting-tunnel'; readonly mergeSha: string | undefined }
  | { readonly kind: 'tunnel-deleted'; readonly tunnelId: string }
  /** A closed expose whose tunnel cloudflared runs for: a person must look before it goes. */
  | { readonly kind: 'tunnel-running'; readonly tunnel: RunningTunnel; readonly reason: string }
  | { readonly kind: 'nothing-to-do'; readonly reason: string };

/**
 * What a merged or closed tunnelbot PR means for Cloudflare. Events arrive at least once (webhook and poller),
 * so every branch is idempotent: converging DNS twice changes nothing, deleting a deleted tunnel succeeds.
 */
export async function onPullRequestEvent(
  event: PullRequestEvent,
  context: WorkflowContext,
): Promise<PullRequestOutcome> {
  const { metadata } = event;
  const log = context.logger.child({ workflow: 'pull-request-event', pr: event.prNumber, kind: event.kind });

  // A merge converges DNS at once: a record is only created for a tunnel that runs, so this is safe before Flux
  // has applied anything, and an unexpose's record goes before cloudflared stops, which harms no one.
  if (event.kind === 'merged') {
    const { desired, dns } = await reconcileDns(context);
    if (metadata.action === 'expose') {
      if (dns.live.includes(normalizeHostname(metadata.hostname))) {
        return { kind: 'dns-reconciled', tunnelDeleted: false };
      }
      log.info({ mergeSha: event.mergeSha }, 'expose merged; its DNS record follows once cloudflared runs');
      return { kind: 'awaiting-tunnel', mergeSha: event.mergeSha };
    }
    if (!metadata.tunnelId || (await referencedTunnels(context, desired)).has(metadata.tunnelId)) {
      return { kind: 'dns-reconciled', tunnelDeleted: false };
    }
    const purge = await purgeUnexposedTunnel(
      metadata.tunnelId,
      context,
      `unexpose of ${metadata.app} merged (PR #${event.prNumber})`,
    );
    return purge.deleted
      ? { kind: 'dns-reconciled', tunnelDeleted: true }
      : { kind: 'dns-reconciled', tunnelDeleted: false, runningTunnel: purge.running };
  }

  if (event.kind !== 'closed' || metadata.action !== 'expose') {
    return { kind: 'nothing-to-do', reason: `${event.kind} ${metadata.action} needs no Cloudflare change` };
  }
  // A closed expose takes its Access application and its tunnel with it. The application failing to go does not
  // keep the tunnel: both are tried, then the failure is thrown, so whoever handles the event (a rejection, the
  // poller) tries again, and every step finds what is already gone gone.
  let accessFailure: unknown;
  if (metadata.access) {
    try {
      const result = await removeAccessApplication(metadata.access.appId, metadata.hostname, context);
      log.info({ accessAppId: metadata.access.appId, result }, 'Access application of a closed expose');
    } catch (error) {
      accessFailure = error;
      log.warn(
        { accessAppId: metadata.access.appId, err: asTunnelbotError(error) },
        'closed expose: its Access application could not be deleted yet',
      );
    }
  }
  const outcome = await deleteClosedExposeTunnel(metadata.tunnelId, context, log);
  if (accessFailure !== undefined) throw accessFailure;
  return outcome;
}

async function deleteClosedExposeTunnel(
  tunnelId: string | undefined,
  context: WorkflowContext,
  log: Logger,
): Promise<PullRequestOutcome> {
  if (!tunnelId) return { kind: 'nothing-to-do', reason: 'the closed expose created no tunnel' };
  // A rejected expose in shared mode reused the environment's tunnel: that one stays.
  if ((await referencedTunnels(context)).has(tunnelId)) {
    return { kind: 'nothing-to-do', reason: 'the tunnel is still used by the default branch or another PR' };
  }
  try {
    await context.cloudflare.deleteTunnelOfClosedPullRequest(tunnelId, {
      ownerComment: ownerCommentOf(context.settings),
    });
  } catch (error) {
    // A closed expose's tunnel should never run; if cloudflared does run for it, a person must look first.
    const running = runningTunnelOf(error, tunnelId);
    if (!running) throw error;
    const { message, ...tunnel } = running;
    log.warn(tunnel, message);
    return { kind: 'tunnel-running', tunnel, reason: message };
  }
  log.info({ tunnelId }, 'tunnel of a closed pull request deleted');
  return { kind: 'tunnel-deleted', tunnelId };
}

/** The running tunnel a TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE refusal names; undefined for any other error. */
function runningTunnelOf(
  error: unknown,
  tunnelId: string,
): (RunningTunnel & { message: string }) | undefined {
  if (!isTunnelbotError(error) || error.code !== 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE') return undefined;
  const active = error.details['activeConnectors'];
  return { tunnelId, activeConnectors: typeof active === 'number' ? active : 1, message: error.message };
}

/**
 * Deletes the tunnel of an unexposed app. While cloudflared is still connected (it keeps its connections until
 * Flux prunes the Deployment) the tunnel is kept and reported: the next Flux event or the orphan collector
 * (nothing references the tunnel any more) deletes it once it stops.
 */
export async function purgeUnexposedTunnel(
  tunnelId: string,
  context: WorkflowContext,
  reason: string,
): Promise<{ deleted: true } | { deleted: false; running: RunningTunnel }> {
  try {
    await context.cloudflare.purgeTunnel(tunnelId, {
      ownerComment: ownerCommentOf(context.settings),
      reason,
    });
    return { deleted: true };
  } catch (error) {
    const running = runningTunnelOf(error, tunnelId);
    if (!running) throw error;
    context.logger.warn(
      { tunnelId, activeConnectors: running.activeConnectors },
      'tunnel still has active connectors, so it is not deleted; it goes once cloudflared stops',
    );
    return { deleted: false, running: { tunnelId, activeConnectors: running.activeConnectors } };
  }
}
