import { accessApplicationName, type AccessIncludeRule } from './access.js';
import { normalizeHostname } from './dns-plan.js';
import { formatDuration, type OrphanDecision } from './orphan-tunnels.js';

/**
 * Decisions about the Access applications that exist, from one listing of the account: which hostnames have
 * theirs in place (DNS waits for it), which of ours drifted from the settings, and which of ours nothing needs any
 * more. Pure: the workflow lists the applications once and passes them in with the clock.
 */

export interface AccessAppView {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly aud: string;
  /** ISO timestamp from Cloudflare's `created_at`. */
  readonly createdAt: string;
  readonly policies: readonly { readonly id: string; readonly include: readonly unknown[] }[];
}

/** An application is ours only when its name is exactly the one tunnelbot gives its own for its domain. */
export function isOwnAccessApplication(app: AccessAppView, instance: string): boolean {
  const domain = normalizeHostname(app.domain);
  return domain !== '' && app.name === accessApplicationName(instance, domain);
}

/** What the settings say a hostname's application holds. */
export interface ExpectedAccessApp {
  readonly hostname: string;
  /** Reusable policy ids, in precedence order. */
  readonly policyIds: readonly string[];
  /** The rules of the application's own policy; empty: it has none. */
  readonly include: readonly AccessIncludeRule[];
}

export interface AccessDrift {
  readonly hostname: string;
  readonly kind: 'missing' | 'changed';
  /** Our application as found, for `changed`. */
  readonly app?: AccessAppView;
  readonly reason: string;
}

function canonical(rules: readonly unknown[]): string[] {
  return rules.map((rule) => JSON.stringify(rule)).sort();
}

/**
 * Our application for each expected hostname, compared with the settings: missing, or with other reusable
 * policies (`reusableIds` tells the account's reusable policies from an application's own), or with other own
 * rules. Applications that are not ours are never looked at.
 */
export function accessDrift(input: {
  apps: readonly AccessAppView[];
  instance: string;
  expected: readonly ExpectedAccessApp[];
  reusableIds: ReadonlySet<string>;
}): AccessDrift[] {
  const ours = new Map<string, AccessAppView>();
  for (const app of input.apps) {
    if (isOwnAccessApplication(app, input.instance)) ours.set(normalizeHostname(app.domain), app);
  }
  const drift: AccessDrift[] = [];
  for (const expected of input.expected) {
    const hostname = normalizeHostname(expected.hostname);
    const app = ours.get(hostname);
    if (!app) {
      drift.push({
        hostname,
        kind: 'missing',
        reason: `no Access application of tunnelbot covers ${hostname}`,
      });
      continue;
    }
    const linked = app.policies
      .filter((policy) => input.reusableIds.has(policy.id))
      .map((policy) => policy.id);
    const own = app.policies.filter((policy) => !input.reusableIds.has(policy.id)).flatMap((p) => p.include);
    if (linked.join(',') !== expected.policyIds.join(',')) {
      drift.push({
        hostname,
        kind: 'changed',
        app,
        reason: `its reusable policies are not the ones the settings name`,
      });
    } else if (canonical(own).join('\n') !== canonical(expected.include).join('\n')) {
      drift.push({
        hostname,
        kind: 'changed',
        app,
        reason: `its own include rules differ from the settings`,
      });
    }
  }
  return drift;
}

/** Hostnames whose application of ours exists: their CNAME may be created. */
export function hostnamesWithAccessApp(apps: readonly AccessAppView[], instance: string): Set<string> {
  return new Set(
    apps.filter((app) => isOwnAccessApplication(app, instance)).map((app) => normalizeHostname(app.domain)),
  );
}

/**
 * Our applications whose hostname neither the default branch nor an open tunnelbot PR references, older than the
 * grace period (an expose creates its application before its PR exists). Applications not ours are not candidates.
 */
export function collectOrphanAccessApps(input: {
  apps: readonly AccessAppView[];
  instance: string;
  /** Hostnames routed by the default branch or named by an open tunnelbot PR. */
  referenced: ReadonlySet<string>;
  graceMs: number;
  now: Date;
}): { readonly delete: readonly OrphanDecision[]; readonly keep: readonly OrphanDecision[] } {
  const referenced = new Set([...input.referenced].map(normalizeHostname));
  const toDelete: OrphanDecision[] = [];
  const keep: OrphanDecision[] = [];
  for (const app of input.apps) {
    if (!isOwnAccessApplication(app, input.instance)) continue;
    const hostname = normalizeHostname(app.domain);
    const base = { id: app.id, name: app.name };
    if (referenced.has(hostname)) {
      keep.push({
        ...base,
        reason: `${hostname} is referenced by the default branch or an open pull request`,
      });
      continue;
    }
    const created = Date.parse(app.createdAt);
    if (Number.isNaN(created)) {
      keep.push({
        ...base,
        reason: `created_at "${app.createdAt}" is not a timestamp, so its age is unknown`,
      });
      continue;
    }
    const age = input.now.getTime() - created;
    if (age < input.graceMs) {
      keep.push({
        ...base,
        reason: `created ${formatDuration(Math.max(age, 0))} ago, within the ${formatDuration(input.graceMs)} grace period`,
      });
      continue;
    }
    toDelete.push({
      ...base,
      reason: `${hostname} is referenced by no branch or open pull request, created ${formatDuration(age)} ago (grace ${formatDuration(input.graceMs)})`,
    });
  }
  return { delete: toDelete, keep };
}
