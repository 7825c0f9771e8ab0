import {
  accessApplicationName,
  accessIncludeRules,
  checkTeamName,
  resolvePolicyIds,
  type Protection,
} from '../core/access.js';
import type { AccessApplication } from '../adapters/cloudflare/index.js';
import { TunnelbotError } from '../errors.js';
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
