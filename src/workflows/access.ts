import {
  accessApplicationName,
  accessIncludeRules,
  checkTeamName,
  resolvePolicyIds,
  type Protection,
} from '../core/access.js';
import {
  accessDrift,
  collectOrphanAccessApps,
  hostnamesWithAccessApp,
  isOwnAccessApplication,
  type AccessDrift,
  type ExpectedAccessApp,
} from '../core/access-state.js';
import type { DesiredState } from '../core/desired-state.js';
import { normalizeHostname, type AccessGate } from '../core/dns-plan.js';
import type { OrphanDecision } from '../core/orphan-tunnels.js';
import { accessOf } from '../core/settings.js';
import type { AccessApplication } from '../adapters/cloudflare/index.js';
import { asTunnelbotError, TunnelbotError } from '../errors.js';
import type { WorkflowContext } from './context.js';

/**
 * The Access steps of a request: check the account against the settings (read-only, before anything is created),
 * make or adopt the hostname's application, and remove it again. An application is ours only when its name carries
 * this installation's marker; tunnelbot never adopts, changes or deletes any other one.
 */

type Protected = Extract<Protection, { kind: 'access' }>;

export interface AccessCheck {
  readonly hostname: string;
  readonly protection: Protected;
  readonly policyIds: readonly string[];
  /** Our application for the hostname from an earlier attempt, adopted instead of making a second one. */
  readonly existing: AccessApplication | undefined;
}

/**
 * The team name and the named policies exist and no one else's application covers the hostname: a typo in the
 * settings or a hand-made application fails here, before any tunnel exists.
 */
export async function checkAccess(
  environment: string,
  hostname: string,
  protection: Protected,
  context: WorkflowContext,
): Promise<AccessCheck> {
  // Three independent reads, one round trip.
  const [authDomain, policies, apps] = await Promise.all([
    context.cloudflare.getAccessAuthDomain(),
    protection.policies.length === 0 ? [] : context.cloudflare.listAccessPolicies(),
    context.cloudflare.findAccessApplications(hostname),
  ]);
  checkTeamName(environment, protection.teamName, authDomain);
  const policyIds =
    protection.policies.length === 0 ? [] : resolvePolicyIds(environment, protection.policies, policies);
  const name = accessApplicationName(context.settings.instance, hostname);
  const existing = apps.find((app) => app.name === name);
  const foreign = apps.find((app) => app.name !== name);
  if (!existing && foreign) {
    throw new TunnelbotError(
      'TB_ERR_ACCESS_APP_FOREIGN',
      `The Access application "${foreign.name}" (${foreign.id}) already covers ${hostname} and was not created by this tunnelbot installation, so tunnelbot does not touch it.`,
      { details: { hostname, accessAppId: foreign.id } },
    );
  }
  return { hostname, protection, policyIds, existing };
}

/** `created` is false when an application of ours for the hostname already existed (a retried expose). */
export async function ensureAccessApplication(
  check: AccessCheck,
  context: WorkflowContext,
): Promise<{ readonly app: AccessApplication; readonly created: boolean }> {
  if (check.existing) return { app: check.existing, created: false };
  const { hostname } = check;
  const app = await context.cloudflare.createAccessApplication({
    hostname,
    name: accessApplicationName(context.settings.instance, hostname),
    policyIds: check.policyIds,
    include: accessIncludeRules(check.protection.include),
  });
  return { app, created: true };
}

/**
 * Deletes the application tunnelbot made for `hostname`; one already gone is fine, and one whose name is not ours
 * (someone replaced it by hand) is left alone and reported.
 */
export async function removeAccessApplication(
  appId: string,
  hostname: string,
  context: WorkflowContext,
): Promise<'deleted' | 'absent' | 'not-ours'> {
  const app = await context.cloudflare.getAccessApplication(appId);
  if (!app) return 'absent';
  if (app.name !== accessApplicationName(context.settings.instance, hostname)) {
    context.logger.warn(
      { accessAppId: appId, hostname },
      'the Access application is not named as tunnelbot names its own; left alone',
    );
    return 'not-ours';
  }
  await context.cloudflare.deleteAccessApplication(appId);
  return 'deleted';
}

/** One hostname the default branch routes that needs its Access application before its CNAME. */
export interface GuardedHostname {
  readonly hostname: string;
  readonly environment: string;
  readonly app: string | undefined;
  /** The aud tags the rule in git makes cloudflared accept. */
  readonly audTags: readonly string[];
  /** What the settings say the application holds; undefined when they cannot say (Access off, unknown policy). */
  readonly expected: ExpectedAccessApp | undefined;
  /** Its environment requires Access: only then does housekeeping (re)create a missing application. */
  readonly required: boolean;
}

/**
 * The Access side of one reconciliation, read with one listing of the applications (and one of the policies):
 * which routed hostnames need an application first, which have theirs in place as the settings say, and which of
 * ours drifted. Undefined when no routed hostname needs Access, so an installation without it makes no call.
 */
export interface AccessInventory {
  readonly apps: readonly AccessApplication[];
  readonly guarded: readonly GuardedHostname[];
  readonly gate: AccessGate;
  readonly drift: readonly AccessDrift[];
}

export async function readAccessInventory(
  context: WorkflowContext,
  desired: DesiredState,
): Promise<AccessInventory | undefined> {
  const byName = new Map(context.settings.environments.map((environment) => [environment.name, environment]));
  const candidates = desired.hostnames.filter((routed) => {
    const environment = byName.get(routed.environment);
    return (
      routed.access !== undefined || (environment !== undefined && accessOf(environment).mode === 'required')
    );
  });
  if (candidates.length === 0) return undefined;
  const needsPolicies = candidates.some((routed) => {
    const environment = byName.get(routed.environment);
    return environment !== undefined && accessOf(environment).policies.length > 0;
  });
  const [apps, policies] = await Promise.all([
    context.cloudflare.listAccessApplications(),
    needsPolicies ? context.cloudflare.listAccessPolicies() : Promise.resolve([]),
  ]);
  const log = context.logger.child({ workflow: 'access' });
  const guarded: GuardedHostname[] = [];
  const seen = new Set<string>();
  for (const routed of candidates) {
    const hostname = normalizeHostname(routed.hostname);
    if (seen.has(hostname)) continue;
    seen.add(hostname);
    const environment = byName.get(routed.environment)!;
    const settings = accessOf(environment);
    let expected: ExpectedAccessApp | undefined;
    if (settings.mode !== 'off') {
      try {
        expected = {
          hostname,
          policyIds: resolvePolicyIds(environment.name, settings.policies, policies),
          include: accessIncludeRules(settings.include),
        };
      } catch (error) {
        log.warn(
          { hostname, err: error },
          'the Access settings name a policy the account lacks; not compared',
        );
      }
    }
    guarded.push({
      hostname,
      environment: environment.name,
      app: routed.app,
      audTags: routed.access?.audTags ?? [],
      expected,
      required: settings.mode === 'required',
    });
  }
  const drift = accessDrift({
    apps,
    instance: context.settings.instance,
    expected: guarded.flatMap((g) => (g.expected ? [g.expected] : [])),
    reusableIds: new Set(policies.map((policy) => policy.id)),
  });
  const present = hostnamesWithAccessApp(apps, context.settings.instance);
  // Fail closed: an application that differs from the settings does not count as in place.
  for (const found of drift) present.delete(found.hostname);
  return { apps, guarded, gate: { required: seen, ready: present }, drift };
}

/** A drifted application of ours, the request it belongs to, and how it drifted. */
export interface DriftedApp {
  readonly hostname: string;
  readonly environment: string;
  readonly app: string | undefined;
  readonly kind: AccessDrift['kind'];
  readonly reason: string;
}

/** What housekeeping did about one drifted application. */
export interface AccessRepair extends DriftedApp {
  /** The application made from the settings; its aud tag is new. */
  readonly created: AccessApplication;
  /** The rule in git still names the old tag(s), so cloudflared refuses every visitor until it is updated. */
  readonly staleAudTags: readonly string[];
  /** Found in place by a round after a failed repair, not made by this one: the failed create, or a person. */
  readonly foundInPlace?: true;
}

/** A drifted application housekeeping could not restore this round; it tries again at the next. */
export interface AccessRepairFailure extends DriftedApp {
  readonly code: string;
  readonly message: string;
}

/** The repair whose outcome is `created`, beside the aud tags the rule in git names. */
function repairOf(
  drifted: DriftedApp,
  created: AccessApplication,
  ruleAudTags: readonly string[],
): AccessRepair {
  return { ...drifted, created, staleAudTags: ruleAudTags.filter((tag) => tag !== created.aud) };
}

/**
 * Restores the applications of hostnames whose environment requires Access: a missing one is created from the
 * settings, a changed one of ours is deleted and created again. Nothing is ever made public: the rule in git keeps
 * requiring a token for the old tag, so the app stays closed until that tag is updated.
 */
export async function repairAccess(
  context: WorkflowContext,
  inventory: AccessInventory,
): Promise<{ repaired: AccessRepair[]; failed: AccessRepairFailure[] }> {
  const log = context.logger.child({ workflow: 'access-repair' });
  const repaired: AccessRepair[] = [];
  const failed: AccessRepairFailure[] = [];
  for (const drift of inventory.drift) {
    const guarded = inventory.guarded.find((g) => g.hostname === drift.hostname);
    if (!guarded?.required || !guarded.expected) continue;
    const drifted: DriftedApp = {
      hostname: drift.hostname,
      environment: guarded.environment,
      app: guarded.app,
      kind: drift.kind,
      reason: drift.reason,
    };
    try {
      if (drift.kind === 'changed' && drift.app)
        await context.cloudflare.deleteAccessApplication(drift.app.id);
      const created = await context.cloudflare.createAccessApplication({
        hostname: drift.hostname,
        name: accessApplicationName(context.settings.instance, drift.hostname),
        policyIds: guarded.expected.policyIds,
        include: guarded.expected.include,
      });
      log.warn(
        { hostname: drift.hostname, kind: drift.kind, accessAppId: created.id, reason: drift.reason },
        'Access application restored from the settings',
      );
      repaired.push(repairOf(drifted, created, guarded.audTags));
    } catch (error) {
      const failure = asTunnelbotError(error);
      log.warn({ hostname: drift.hostname, code: failure.code }, failure.message);
      failed.push({ ...drifted, code: failure.code, message: failure.message });
    }
  }
  return { repaired, failed };
}

/**
 * A repair that failed may have happened after all: a create that timed out is often made anyway. When a later
 * round finds no drift for the hostname, the application of ours now in place is the repair's outcome, told as a
 * repair (with the tag it has now against the tags of the rule in git). Undefined when none of ours is in place.
 */
export function repairFoundInPlace(
  failure: AccessRepairFailure,
  inventory: AccessInventory,
  instance: string,
): AccessRepair | undefined {
  const created = inventory.apps.find(
    (app) => isOwnAccessApplication(app, instance) && normalizeHostname(app.domain) === failure.hostname,
  );
  if (!created) return undefined;
  const { code: _code, message: _message, ...drifted } = failure;
  const audTags = inventory.guarded.find((g) => g.hostname === failure.hostname)?.audTags ?? [];
  return { ...repairOf(drifted, created, audTags), foundInPlace: true };
}

/** How a notice names the drifted application: "The Access application for https://… was missing". */
function driftHead(drifted: DriftedApp): string {
  const what = drifted.kind === 'missing' ? 'was missing' : `had changed (${drifted.reason})`;
  return `The Access application for https://${drifted.hostname} ${what}`;
}

/**
 * The request thread's account of a repair that failed this round: what was found, why it could not be restored,
 * and that the app stays closed meanwhile (the rule in git still requires a token for the application's old tag).
 */
export function repairFailureNotice(failure: AccessRepairFailure): string {
  return (
    `${driftHead(failure)}; recreating it from the settings failed: ` +
    `${failure.message.replace(/\.$/, '')} (\`${failure.code}\`). cloudflared keeps the app closed meanwhile, never public; ` +
    'tunnelbot tries again at every housekeeping round and says here how it ends.'
  );
}

/**
 * The request thread's account of a repair: what was found, what was done, and that the app stays closed until
 * the rule's tag is updated (cloudflared checks tokens against the tag in git, the new application has another).
 */
export function repairNotice(repair: AccessRepair): string {
  const head = repair.foundInPlace
    ? `${driftHead(repair)}; it is in place again (the create that seemed to fail was made after all, or someone restored it).`
    : `${driftHead(repair)}; tunnelbot recreated it from the settings.`;
  if (repair.staleAudTags.length === 0) return head;
  return `${head} Its new tag is \`${repair.created.aud}\`, but the cloudflared rule in git still requires a token for \`${repair.staleAudTags.join('`, `')}\`, so cloudflared refuses every visitor: the app stays closed (never public) until the rule's \`originRequest.access.audTag\` is changed to the new tag in a reviewed PR, or the app is unexposed and exposed again.`;
}

/**
 * The unexpose's last step, once its DNS record is gone: the hostname's application of ours goes too. Anything not
 * named as ours is left alone.
 */
export async function removeAccessApplicationOf(
  hostname: string,
  context: WorkflowContext,
): Promise<AccessApplication[]> {
  const name = accessApplicationName(context.settings.instance, hostname);
  const apps = (await context.cloudflare.findAccessApplications(hostname)).filter((app) => app.name === name);
  for (const app of apps) await context.cloudflare.deleteAccessApplication(app.id);
  return apps;
}

export interface AccessOrphanReport {
  readonly deleted: readonly OrphanDecision[];
  readonly kept: readonly OrphanDecision[];
  readonly failed: readonly (OrphanDecision & { code: string; message: string })[];
}

/**
 * Our applications whose hostname neither the default branch nor an open tunnelbot PR needs, past the grace
 * period, are deleted; any other application is never touched.
 */
export async function collectOrphanAccessApplications(
  context: WorkflowContext,
  input: { referenced: ReadonlySet<string>; graceMs: number; apps?: readonly AccessApplication[] },
): Promise<AccessOrphanReport> {
  const apps = input.apps ?? (await context.cloudflare.listAccessApplications());
  const decision = collectOrphanAccessApps({
    apps,
    instance: context.settings.instance,
    referenced: input.referenced,
    graceMs: input.graceMs,
    now: context.now(),
  });
  const log = context.logger.child({ workflow: 'collect-orphans' });
  const deleted: OrphanDecision[] = [];
  const failed: (OrphanDecision & { code: string; message: string })[] = [];
  for (const orphan of decision.delete) {
    try {
      await context.cloudflare.deleteAccessApplication(orphan.id);
      deleted.push(orphan);
      log.info(
        { accessAppId: orphan.id, name: orphan.name, reason: orphan.reason },
        'orphan Access application deleted',
      );
    } catch (error) {
      const failure = asTunnelbotError(error);
      failed.push({ ...orphan, code: failure.code, message: failure.message });
      log.warn({ accessAppId: orphan.id, code: failure.code }, failure.message);
    }
  }
  return { deleted, kept: decision.keep, failed };
}
