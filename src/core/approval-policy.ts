import { TunnelbotError } from '../errors.js';
import type { Audience, Policy } from './settings.js';

/**
 * Who may ask for a change and who may approve one, decided from the settings alone. Pure: the caller resolves the
 * user groups the policy names (a Slack API call) and passes the ones the person belongs to. Nobody is allowed by
 * default: a person must be listed, be in a listed group, or the audience must say `everyone`.
 */

export type PolicyAction = 'request' | 'approve' | 'reject';

export interface PolicyQuestion {
  readonly action: PolicyAction;
  readonly environment: string;
  /** The person acting, by user id. */
  readonly actor: string;
  /** For approve and reject: who asked for the change. */
  readonly requester?: string;
}

export type PolicyDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly error: TunnelbotError };

/** The audience that decides `action` in `environment`: the environment's own, else the top-level one. */
export function audienceFor(policy: Policy, action: 'request' | 'approve', environment: string): Audience {
  return policy.environments[environment]?.[action] ?? policy[action];
}

/** The user groups a decision depends on, so the caller looks up only those. */
export function groupsToResolve(policy: Policy, question: PolicyQuestion): readonly string[] {
  const audience = audienceFor(
    policy,
    question.action === 'request' ? 'request' : 'approve',
    question.environment,
  );
  return audience.everyone || audience.users.includes(question.actor) ? [] : audience.groups;
}

function includes(audience: Audience, actor: string, actorGroups: ReadonlySet<string>): boolean {
  return (
    audience.everyone ||
    audience.users.includes(actor) ||
    audience.groups.some((group) => actorGroups.has(group))
  );
}

function describe(audience: Audience): string {
  const parts = [
    ...audience.users.map((user) => `<@${user}>`),
    ...audience.groups.map((group) => `<!subteam^${group}>`),
  ];
  return parts.length === 0 ? 'nobody yet' : parts.join(', ');
}

export function decide(
  policy: Policy,
  question: PolicyQuestion,
  actorGroups: ReadonlySet<string> = new Set(),
): PolicyDecision {
  const { action, environment, actor, requester } = question;
  if (action === 'reject' && requester === actor) return { allowed: true }; // withdrawing one's own request
  const audienceName = action === 'request' ? 'request' : 'approve';
  const audience = audienceFor(policy, audienceName, environment);
  const scope = policy.environments[environment]?.[audienceName]
    ? `policy.environments.${environment}.`
    : 'policy.';
  if (!includes(audience, actor, actorGroups)) {
    const verb = { request: 'ask for changes', approve: 'approve changes', reject: 'reject changes' }[action];
    return {
      allowed: false,
      error: new TunnelbotError(
        action === 'request' ? 'TB_ERR_POLICY_NOT_REQUESTER' : 'TB_ERR_POLICY_NOT_APPROVER',
        `You (<@${actor}>) may not ${verb} in ${environment}. Allowed: ${describe(audience)}.`,
        {
          fix: `Ask a tunnelbot operator to add your Slack member id ${actor} (or a user group you are in) to \`${scope}${audienceName}\` in the settings file.`,
        },
      ),
    };
  }
  if (action === 'approve' && policy.fourEyes && requester === actor) {
    return {
      allowed: false,
      error: new TunnelbotError(
        'TB_ERR_POLICY_SELF_APPROVAL',
        'You asked for this change, so you cannot approve it: four-eyes approval is on.',
        {
          fix: 'Ask a teammate who may approve: the Approve button in Slack, `tunnelbot approve` on the command line (settings: `policy.fourEyes`).',
        },
      ),
    };
  }
  return { allowed: true };
}
