import { isTunnelbotError } from '../errors.js';
import type { PullRequestEvent } from '../core/pull-request-event.js';
import { ownerCommentOf, type WorkflowContext } from './context.js';
import { reconcileDns, referencedTunnels } from './reconcile.js';

export type PullRequestOutcome =
  | { readonly kind: 'dns-reconciled'; readonly tunnelDeleted: boolean }
  | { readonly kind: 'awaiting-flux'; readonly mergeSha: string | undefined }
  | { readonly kind: 'tunnel-deleted'; readonly tunnelId: string }
  | { readonly kind: 'nothing-to-do'; readonly reason: string };

export interface PullRequestEventOptions {
  /**
   * Flux notifications are configured (FLUX_WEBHOOK_TOKEN): a merged expose gets its DNS record when Flux reports
   * the merge applied (workflows/flux-events.ts), so no visitor reaches a CNAME before cloudflared runs.
   */
  readonly dnsAwaitsFlux?: boolean;
}

/**
 * What a merged or closed tunnelbot PR means for Cloudflare. Events arrive at least once (webhook and poller),
 * so every branch is idempotent: converging DNS twice changes nothing, deleting a deleted tunnel succeeds.
 */
export async function onPullRequestEvent(
  event: PullRequestEvent,
  context: WorkflowContext,
  options: PullRequestEventOptions = {},
): Promise<PullRequestOutcome> {
  const { metadata } = event;
  const log = context.logger.child({ workflow: 'pull-request-event', pr: event.prNumber, kind: event.kind });

  if (event.kind === 'merged' && metadata.action === 'expose' && options.dnsAwaitsFlux) {
    log.info({ mergeSha: event.mergeSha }, 'expose merged; DNS follows when Flux reports it reconciled');
    return { kind: 'awaiting-flux', mergeSha: event.mergeSha };
  }

  // An unexpose removes DNS at once even with Flux: a record gone before cloudflared stops harms no one.
  if (event.kind === 'merged') {
    const { desired } = await reconcileDns(context);
    if (metadata.action !== 'unexpose' || !metadata.tunnelId)
      return { kind: 'dns-reconciled', tunnelDeleted: false };
    if ((await referencedTunnels(context, desired)).has(metadata.tunnelId)) {
      return { kind: 'dns-reconciled', tunnelDeleted: false };
    }
    const tunnelDeleted = await purgeUnexposedTunnel(
      metadata.tunnelId,
      context,
      `unexpose of ${metadata.app} merged (PR #${event.prNumber})`,
    );
    return { kind: 'dns-reconciled', tunnelDeleted };
  }

  if (event.kind === 'closed' && metadata.action === 'expose' && metadata.tunnelId) {
    // A rejected expose in shared mode reused the environment's tunnel: that one stays.
    if ((await referencedTunnels(context)).has(metadata.tunnelId)) {
      return {
        kind: 'nothing-to-do',
        reason: 'the tunnel is still used by the default branch or another PR',
      };
    }
    try {
      await context.cloudflare.deleteTunnelOfClosedPullRequest(metadata.tunnelId, {
        ownerComment: ownerCommentOf(context.settings),
      });
    } catch (error) {
      // A closed expose's tunnel should never run; if cloudflared does run for it, a person must look first.
      if (isTunnelbotError(error) && error.code === 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE') {
        log.warn({ tunnelId: metadata.tunnelId }, error.message);
        return { kind: 'nothing-to-do', reason: error.message };
      }
      throw error;
    }
    log.info({ tunnelId: metadata.tunnelId }, 'tunnel of a closed pull request deleted');
    return { kind: 'tunnel-deleted', tunnelId: metadata.tunnelId };
  }
  return { kind: 'nothing-to-do', reason: `${event.kind} ${metadata.action} needs no Cloudflare change` };
}

/**
 * Deletes the tunnel of an unexposed app; false while cloudflared is still connected, since it keeps its
 * connections until Flux prunes the Deployment: the next Flux event or the orphan collector (nothing references
 * the tunnel any more) deletes it then.
 */
export async function purgeUnexposedTunnel(
  tunnelId: string,
  context: WorkflowContext,
  reason: string,
): Promise<boolean> {
  try {
    await context.cloudflare.purgeTunnel(tunnelId, {
      ownerComment: ownerCommentOf(context.settings),
      reason,
    });
    return true;
  } catch (error) {
    if (isTunnelbotError(error) && error.code === 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE') {
      context.logger.info({ tunnelId }, 'tunnel still connected; the orphan collector will delete it');
      return false;
    }
    throw error;
  }
}
