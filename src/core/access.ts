import { TunnelbotError } from '../errors.js';
import { ownerComment } from './dns-plan.js';
import type { CloudflaredConfig, IngressRule } from '../gitops/cloudflared/model.js';
import { accessOf, type AccessRule, type AccessSettings, type Environment } from './settings.js';

/**
 * Cloudflare Access in front of an exposed app, decided from the settings alone. Protection is written into the
 * cloudflared rule (`originRequest.access`), so cloudflared itself refuses every request without a valid token for
 * the application, also when someone deletes the application by hand: the app fails closed.
 */

/** What a request may ask for about Access: only to do without it. */
export type AccessRequest = 'public';

export type Protection =
  | {
      readonly kind: 'access';
      readonly teamName: string;
      readonly policies: readonly string[];
      readonly include: readonly AccessRule[];
    }
  /** `requested`: the requester asked for a public app (mode optional); otherwise Access is off there. */
  | { readonly kind: 'public'; readonly requested: boolean };

/** The words every surface uses for a public app: plain, so nobody approves one by accident. */
export const PUBLIC_WARNING = 'PUBLIC: anyone on the internet reaches this app';

/** The protection an expose gets; `access=public` where the mode forbids it is refused before anything exists. */
export function resolveProtection(
  environment: Environment,
  requested: AccessRequest | undefined,
): Protection {
  const access = accessOf(environment);
  if (requested === 'public') {
    if (access.mode !== 'optional') {
      throw new TunnelbotError(
        'TB_ERR_ACCESS_PUBLIC_FORBIDDEN',
        access.mode === 'required'
          ? `Environment "${environment.name}" requires Cloudflare Access for every app, so access=public is refused.`
          : `Environment "${environment.name}" has Cloudflare Access off (every app there is public); access=public applies only where the access mode is optional.`,
      );
    }
    return { kind: 'public', requested: true };
  }
  if (access.mode === 'off') return { kind: 'public', requested: false };
  return { kind: 'access', ...protectedBy(access) };
}

function protectedBy(access: AccessSettings): {
  teamName: string;
  policies: string[];
  include: AccessRule[];
} {
  if (access.teamName === undefined) {
    // validateSettings refuses this; reaching it means settings were built around the validation.
    throw new TunnelbotError('TB_ERR_INTERNAL', 'Access settings without a team name reached planning.');
  }
  return { teamName: access.teamName, policies: [...access.policies], include: [...access.include] };
}

const AUD_PATTERN = /^[0-9a-f]{64}$/;

/** An Access application's `aud` tag: 64 lowercase hex characters. */
export function validateAccessAud(value: string): string {
  const aud = value.trim().toLowerCase();
  if (!AUD_PATTERN.test(aud)) {
    throw new TunnelbotError(
      'TB_ERR_USAGE',
      `"${value}" is not an Access application tag (aud): it must be 64 hexadecimal characters.`,
      { fix: 'Copy the Application Audience (AUD) Tag from Zero Trust › Access › Applications › the app.' },
    );
  }
  return aud;
}

/**
 * The name of the Access application tunnelbot keeps for a hostname. It carries the installation's ownership
 * marker, which is how tunnelbot tells its applications from everyone else's: one with any other name is never
 * adopted, changed or deleted.
 */
export function accessApplicationName(instance: string, hostname: string): string {
  return `${hostname} (${ownerComment(instance)})`;
}

/** The `originRequest` of a protected rule: cloudflared answers 403 unless the request carries a token for `aud`. */
export function accessOriginRequest(teamName: string, aud: string): Record<string, unknown> {
  return { access: { required: true, teamName, audTag: [aud] } };
}

export function describeRule(rule: AccessRule): string {
  if ('email' in rule) return rule.email;
  if ('emailDomain' in rule) return `anyone with an @${rule.emailDomain} address`;
  return `members of the Access group ${rule.group}`;
}

/** Who gets in, in words for the PR and the request's message. */
export function describeProtection(protection: Protection): string {
  if (protection.kind === 'public') {
    return protection.requested
      ? `${PUBLIC_WARNING} (access=public was asked for)`
      : 'no Cloudflare Access (off in this environment): anyone on the internet reaches this app';
  }
  const who =
    protection.policies.length > 0
      ? `people allowed by the Access ${protection.policies.length === 1 ? 'policy' : 'policies'} ${protection.policies
          .map((name) => `"${name}"`)
          .join(', ')}`
      : protection.include.map(describeRule).join(', ');
  return `only ${who}, after signing in at ${protection.teamName}.cloudflareaccess.com`;
}

/** An `include` rule as the Access API takes it. */
export type AccessIncludeRule =
  { email: { email: string } } | { email_domain: { domain: string } } | { group: { id: string } };

export function accessIncludeRules(include: readonly AccessRule[]): AccessIncludeRule[] {
  return include.map((rule) => {
    if ('email' in rule) return { email: { email: rule.email } };
    if ('emailDomain' in rule) return { email_domain: { domain: rule.emailDomain } };
    return { group: { id: rule.group } };
  });
}

const ACCESS_DOMAIN_SUFFIX = '.cloudflareaccess.com';

/** The team name of an organization's `auth_domain` (`acme.cloudflareaccess.com` -> `acme`). */
export function teamNameOf(authDomain: string): string {
  const domain = authDomain.trim().toLowerCase();
  return domain.endsWith(ACCESS_DOMAIN_SUFFIX) ? domain.slice(0, -ACCESS_DOMAIN_SUFFIX.length) : domain;
}

/** cloudflared checks tokens against `<teamName>.cloudflareaccess.com`: any other name locks everyone out. */
export function checkTeamName(environment: string, configured: string, authDomain: string | null): void {
  if (authDomain === null) {
    throw new TunnelbotError(
      'TB_ERR_ACCESS_NOT_SET_UP',
      `Environment "${environment}" requires Cloudflare Access, but the Cloudflare account has no Zero Trust organization.`,
    );
  }
  const actual = teamNameOf(authDomain);
  if (actual !== configured) {
    throw new TunnelbotError(
      'TB_ERR_ACCESS_TEAM_MISMATCH',
      `Environment "${environment}" names the Access team "${configured}", but the Cloudflare account's team is "${actual}" (${authDomain}).`,
      { fix: `Set access.teamName: ${actual} for environment "${environment}" in the settings.` },
    );
  }
}

/** The ids of the named reusable policies, in the order named; every unknown name is reported at once. */
export function resolvePolicyIds(
  environment: string,
  names: readonly string[],
  available: readonly { readonly id: string; readonly name: string }[],
): string[] {
  const missing = names.filter((name) => !available.some((policy) => policy.name === name));
  if (missing.length > 0) {
    const known = available.map((policy) => `"${policy.name}"`).join(', ') || 'none';
    throw new TunnelbotError(
      'TB_ERR_ACCESS_POLICY_UNKNOWN',
      `Environment "${environment}" names Access ${missing.length === 1 ? 'policy' : 'policies'} ${missing
        .map((name) => `"${name}"`)
        .join(', ')} that the Cloudflare account does not have (reusable policies: ${known}).`,
    );
  }
  return names.map((name) => available.find((policy) => policy.name === name)!.id);
}

/** What a cloudflared config enforces for a hostname. */
export interface EnforcedAccess {
  readonly teamName: string;
  readonly audTags: readonly string[];
}

function accessOfRule(
  rule: IngressRule,
  defaults: Record<string, unknown> | undefined,
): EnforcedAccess | undefined {
  // cloudflared takes a rule's own originRequest keys over the top-level ones, key by key.
  const access = (rule.originRequest?.['access'] ?? defaults?.['access']) as
    Record<string, unknown> | undefined;
  if (!access || access['required'] !== true) return undefined;
  const audTags = Array.isArray(access['audTag'])
    ? access['audTag'].filter((tag): tag is string => typeof tag === 'string')
    : [];
  const teamName = typeof access['teamName'] === 'string' ? access['teamName'] : '';
  return audTags.length > 0 && teamName !== '' ? { teamName, audTags } : undefined;
}

/**
 * The Access check cloudflared applies to every request for `hostname`, or undefined when some rule for it lets
 * requests through without one: a hostname counts as protected only when all its rules require a token.
 */
export function enforcedAccess(config: CloudflaredConfig, hostname: string): EnforcedAccess | undefined {
  const host = hostname.toLowerCase();
  const rules = config.ingress.filter((rule) => (rule.hostname ?? '').toLowerCase() === host);
  if (rules.length === 0) return undefined;
  const found = rules.map((rule) => accessOfRule(rule, config.originRequest));
  if (found.some((access) => access === undefined)) return undefined;
  const teams = new Set(found.map((access) => access!.teamName));
  if (teams.size !== 1) return undefined;
  return { teamName: found[0]!.teamName, audTags: [...new Set(found.flatMap((access) => access!.audTags))] };
}

/** The protection column of a listing: what cloudflared enforces, with who the settings let in. */
export function protectionLabel(access: EnforcedAccess | undefined, allowed: readonly string[]): string {
  if (!access) return 'PUBLIC';
  return allowed.length > 0 ? `access (${allowed.join(', ')})` : 'access';
}
