import type { DnsConvergence, OrphanReport } from '../adapters/cloudflare/index.js';
import { desiredState, type DesiredState } from '../core/desired-state.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import { ownerCommentOf, type WorkflowContext } from './context.js';
import { normalizeHostname } from '../core/dns-plan.js';
import { accessOf } from '../core/settings.js';
import {
  collectOrphanAccessApplications,
  readAccessInventory,
  type AccessInventory,
  type AccessOrphanReport,
} from './access.js';

/** How long a tunnel nothing references is kept: long enough for an expose in flight to open its PR. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface DnsReconciliation {
  /** The default branch as read for this convergence. */
  readonly snapshot: RepoSnapshot;
  readonly desired: DesiredState;
  readonly dns: DnsConvergence;
  /** The Access applications as read for this run; undefined when no routed hostname needs Access. */
  readonly access: AccessInventory | undefined;
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
  // Fail closed: a hostname that needs Access gets its record only once its application is in place.
  const access = await readAccessInventory(context, desired);
  const dns = await context.cloudflare.convergeDns({
    desired: desired.hostnames,
    ownerComment: ownerCommentOf(context.settings),
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
    ...(access && { access: access.gate }),
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
      waitingForAccess: dns.plan.waiting.filter((w) => w.reason === 'access-application').length,
      failedZones: dns.zoneFailures.map((failure) => failure.zone),
      dryRun: options.dryRun ?? false,
    },
    'DNS reconciled',
  );
  return { snapshot, desired, dns, access };
}

/** What the default branch and the open tunnelbot PRs still need: tunnel ids and hostnames (normalized). */
export interface References {
  readonly tunnels: Set<string>;
  readonly hostnames: Set<string>;
}

/**
 * The tunnels and hostnames the default branch or an open tunnelbot PR still needs, from one read of each. A
 * caller that has just read the default branch (DNS reconciliation) passes its desired state instead.
 */
export async function references(context: WorkflowContext, desired?: DesiredState): Promise<References> {
  const [known, open] = await Promise.all([
    desired ??
      context.git
        .defaultBranch()
        .then(async (base) => desiredState(await context.git.readSnapshot(base.sha), context.settings)),
    context.git.listOpenTunnelbotPrs(),
  ]);
  const tunnels = new Set(known.tunnelIds);
  const hostnames = new Set(known.hostnames.map((routed) => normalizeHostname(routed.hostname)));
  for (const pr of open) {
    if (pr.metadata?.tunnelId) tunnels.add(pr.metadata.tunnelId);
    if (pr.metadata?.hostname) hostnames.add(normalizeHostname(pr.metadata.hostname));
  }
  return { tunnels, hostnames };
}

/** The tunnel ids the default branch or an open tunnelbot PR still needs. */
export async function referencedTunnels(
  context: WorkflowContext,
  desired?: DesiredState,
): Promise<Set<string>> {
  return (await references(context, desired)).tunnels;
}

export interface OrphanCollection extends OrphanReport {
  /** Our Access applications; undefined when no environment uses Access (no call is made then). */
  readonly access: AccessOrphanReport | undefined;
}

/**
 * Deletes the tunnels with our name prefix and the Access applications with our name that nothing references any
 * more, after a grace period.
 */
export async function collectOrphans(
  context: WorkflowContext,
  options: { graceMs?: number; desired?: DesiredState; accessInventory?: AccessInventory } = {},
): Promise<OrphanCollection> {
  const graceMs = options.graceMs ?? ORPHAN_GRACE_MS;
  const referenced = await references(context, options.desired);
  const tunnels = await context.cloudflare.collectOrphanTunnels({
    namePrefix: `${context.settings.namePrefix}-`,
    referenced: referenced.tunnels,
    graceMs,
    now: context.now(),
    ownerComment: ownerCommentOf(context.settings),
  });
  const usesAccess = context.settings.environments.some(
    (environment) => accessOf(environment).mode !== 'off',
  );
  const access = usesAccess
    ? await collectOrphanAccessApplications(context, {
        referenced: referenced.hostnames,
        graceMs,
        ...(options.accessInventory && { apps: options.accessInventory.apps }),
      })
    : undefined;
  const report: OrphanCollection = { ...tunnels, access };
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
