import { randomBytes, randomUUID } from 'node:crypto';
import { ApiFailure } from './state.js';

/**
 * The Zero Trust Access part of the fake Cloudflare: the account's organization (its team domain), reusable
 * policies, and self-hosted applications with their application-only policies. Like the real API, every new
 * application gets an `aud` tag of 64 hex characters, unknown ids answer 404 with Access's error 12045, and
 * deleting an application deletes the policies that belong to it only.
 */

export interface FakeAccessRule {
  readonly [kind: string]: unknown;
}

export interface FakeAccessPolicy {
  readonly id: string;
  readonly name: string;
  readonly decision: string;
  readonly include: readonly FakeAccessRule[];
  readonly reusable: boolean;
  readonly createdAt: string;
}

export interface FakeAccessApp {
  readonly id: string;
  readonly aud: string;
  name: string;
  domain: string;
  readonly type: string;
  /** Reusable policies by id, in precedence order. */
  policyIds: string[];
  /** Application-only policies, deleted with the application. */
  ownPolicies: FakeAccessPolicy[];
  readonly createdAt: string;
  updatedAt: string;
}

const ACCESS_DOMAIN = 'cloudflareaccess.com';
const SESSION_DURATION = '24h';

function invalid(message: string): ApiFailure {
  return new ApiFailure(400, 12130, `access.api.error.invalid_request: ${message}`);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

export class FakeAccessState {
  readonly policies = new Map<string, FakeAccessPolicy>();
  readonly apps = new Map<string, FakeAccessApp>();
  /** null: Zero Trust was never set up in the account, so there is no organization. */
  teamName: string | null;

  constructor(
    teamName: string | null,
    private readonly now: () => Date,
  ) {
    this.teamName = teamName;
  }

  organization(): Record<string, unknown> {
    if (this.teamName === null) {
      throw new ApiFailure(404, 12104, 'access.api.error.not_found: no Access organization for this account');
    }
    const created = this.now().toISOString();
    return {
      auth_domain: `${this.teamName}.${ACCESS_DOMAIN}`,
      name: this.teamName,
      is_ui_read_only: false,
      session_duration: SESSION_DURATION,
      created_at: created,
      updated_at: created,
    };
  }

  addPolicy(input: {
    name: string;
    include?: readonly FakeAccessRule[];
    decision?: string;
  }): FakeAccessPolicy {
    const policy: FakeAccessPolicy = {
      id: randomUUID(),
      name: input.name,
      decision: input.decision ?? 'allow',
      include: input.include ?? [{ everyone: {} }],
      reusable: true,
      createdAt: this.now().toISOString(),
    };
    this.policies.set(policy.id, policy);
    return policy;
  }

  createApp(body: Record<string, unknown>): FakeAccessApp {
    if (body['type'] !== 'self_hosted') throw invalid('only self_hosted applications are supported here');
    const domain = body['domain'];
    if (!nonEmptyString(domain)) throw invalid('domain is required');
    const links = Array.isArray(body['policies']) ? body['policies'] : [];
    const policyIds = links.map((link) => {
      const id = typeof link === 'string' ? link : (link as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || !this.policies.has(id)) {
        throw new ApiFailure(404, 12130, 'access.api.error.policy_not_found');
      }
      return id;
    });
    const timestamp = this.now().toISOString();
    const app: FakeAccessApp = {
      id: randomUUID(),
      aud: randomBytes(32).toString('hex'),
      name: nonEmptyString(body['name']) ? body['name'] : domain,
      domain: domain.toLowerCase(),
      type: 'self_hosted',
      policyIds,
      ownPolicies: [],
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    this.apps.set(app.id, app);
    return app;
  }

  requireApp(id: string): FakeAccessApp {
    const app = this.apps.get(id);
    if (!app) throw new ApiFailure(404, 12045, 'access.api.error.invalid_application_id');
    return app;
  }

  deleteApp(id: string): void {
    this.requireApp(id);
    this.apps.delete(id);
  }

  addAppPolicy(appId: string, body: Record<string, unknown>): FakeAccessPolicy {
    const app = this.requireApp(appId);
    if (!nonEmptyString(body['name'])) throw invalid('policy name is required');
    if (!['allow', 'deny', 'non_identity', 'bypass'].includes(String(body['decision']))) {
      throw invalid('decision must be one of allow, deny, non_identity, bypass');
    }
    const include = body['include'];
    if (!Array.isArray(include) || include.length === 0) throw invalid('include needs at least one rule');
    const policy: FakeAccessPolicy = {
      id: randomUUID(),
      name: body['name'],
      decision: String(body['decision']),
      include: include as FakeAccessRule[],
      reusable: false,
      createdAt: this.now().toISOString(),
    };
    app.ownPolicies.push(policy);
    app.updatedAt = policy.createdAt;
    return policy;
  }

  /** `GET …/access/apps` filters: `exact=true` compares whole strings, otherwise a substring, both ignoring case. */
  listApps(query: URLSearchParams): FakeAccessApp[] {
    const exact = query.get('exact') === 'true';
    const matches = (value: string, wanted: string | null) =>
      wanted === null ||
      (exact
        ? value.toLowerCase() === wanted.toLowerCase()
        : value.toLowerCase().includes(wanted.toLowerCase()));
    const aud = query.get('aud');
    return [...this.apps.values()]
      .filter((app) => matches(app.domain, query.get('domain')) && matches(app.name, query.get('name')))
      .filter((app) => aud === null || app.aud === aud)
      .sort((a, b) =>
        a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1,
      );
  }
}

export function policyJson(policy: FakeAccessPolicy, precedence?: number) {
  return {
    id: policy.id,
    name: policy.name,
    decision: policy.decision,
    include: policy.include,
    exclude: [],
    require: [],
    reusable: policy.reusable,
    ...(precedence !== undefined && { precedence }),
    created_at: policy.createdAt,
    updated_at: policy.createdAt,
  };
}

export function appJson(app: FakeAccessApp, state: FakeAccessState) {
  const reusable = app.policyIds.flatMap((id) => {
    const policy = state.policies.get(id);
    return policy ? [policy] : [];
  });
  return {
    id: app.id,
    uid: app.id,
    aud: app.aud,
    name: app.name,
    domain: app.domain,
    type: app.type,
    destinations: [{ type: 'public', uri: app.domain }],
    self_hosted_domains: [app.domain],
    policies: [...reusable, ...app.ownPolicies].map((policy, i) => policyJson(policy, i + 1)),
    session_duration: SESSION_DURATION,
    app_launcher_visible: true,
    tags: [],
    created_at: app.createdAt,
    updated_at: app.updatedAt,
  };
}
