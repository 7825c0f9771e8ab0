import type { DnsConvergence, OrphanReport } from '../adapters/cloudflare/index.js';
import { desiredState, type DesiredState } from '../core/desired-state.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { ownerCommentOf, type WorkflowContext } from './context.js';

/** How long a tunnel nothing references is kept: long enough for an expose in flight to open its PR. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface DnsReconciliation {
  /** The default branch as read for this convergence. */
  readonly snapshot: RepoSnapshot;
  readonly desired: DesiredState;
  readonly dns: DnsConvergence;
}

/**
 * DNS follows git and the running tunnel: the hostnames the default branch routes get their record once their
 * tunnel has an active connector, keep it while the branch routes them, and lose it when it no longer does.
 * Stateless: every run decides from the default branch and Cloudflare alone, so any trigger may run it any time.
 */
export async function reconcileDns(
  context: WorkflowContext,
  options: { dryRun?: boolean } = {},
): Promise<DnsReconciliation> {
  const base = await context.git.defaultBranch();
  const snapshot = await context.git.readSnapshot(base.sha);
  const desired = desiredState(snapshot, context.settings);
  const dns = await context.cloudflare.convergeDns({
    desired: desired.hostnames,
    ownerComment: ownerCommentOf(context.settings),
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
  });
  const log = context.logger.child({ workflow: 'reconcile-dns', base: base.sha });
  for (const warning of desired.warnings) log.warn(warning);
  log.info(
    {
      create: dns.plan.create.length,
      update: dns.plan.update.length,
      delete: dns.plan.delete.length,
      conflicts: dns.plan.conflicts.length,
      waiting: dns.plan.waiting.length,
      failedZones: dns.zoneFailures.map((failure) => failure.zone),
      dryRun: options.dryRun ?? false,
    },
    'DNS reconciled',
  );
  return { snapshot, desired, dns };
}

/**
 * The tunnel ids the default branch or an open tunnelbot PR still needs. A caller that has just read the default
 * branch (DNS reconciliation) passes its desired state instead of reading it again.
 */
export async function referencedTunnels(
  context: WorkflowContext,
  desired?: DesiredState,
): Promise<Set<string>> {
  const [known, open] = await Promise.all([
    desired ??
      context.git
        .defaultBranch()
        .then(async (base) => desiredState(await context.git.readSnapshot(base.sha), context.settings)),
    context.git.listOpenTunnelbotPrs(),
  ]);
  const referenced = new Set(known.tunnelIds);
  for (const pr of open) if (pr.metadata?.tunnelId) referenced.add(pr.metadata.tunnelId);
  return referenced;
}

/** Deletes the tunnels with our name prefix that nothing references any more, after a grace period. */
export async function collectOrphans(
  context: WorkflowContext,
  options: { graceMs?: number; desired?: DesiredState } = {},
): Promise<OrphanReport> {
  const report = await context.cloudflare.collectOrphanTunnels({
    namePrefix: `${context.settings.namePrefix}-`,
    referenced: await referencedTunnels(context, options.desired),
    graceMs: options.graceMs ?? ORPHAN_GRACE_MS,
    now: context.now(),
    ownerComment: ownerCommentOf(context.settings),
  });
  const log = context.logger.child({ workflow: 'collect-orphans' });
  for (const deleted of report.deleted)
    log.info({ tunnelId: deleted.id, reason: deleted.reason }, 'orphan tunnel deleted');
  for (const running of report.running) {
    log.warn(
      { tunnelId: running.id, activeConnectors: running.activeConnectors },
      'unreferenced tunnel still has active connectors; not deleted',
    );
  }
  for (const failed of report.failed) log.warn({ tunnelId: failed.id, code: failed.code }, failed.message);
  return report;
}
