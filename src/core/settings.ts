import { parseDocument } from 'yaml';
import { z } from 'zod';
import { TunnelbotError } from '../errors.js';
import { DNS_LABEL, DNS_NAME } from './dns-names.js';
import { MERGE_METHODS } from './merge-method.js';
import { describeIssue, receivedKind } from './zod-issues.js';
import { describeYamlError, documentData } from '../gitops/yaml-error.js';

/**
 * The operator's settings file (YAML). Everything that is not a secret lives here; secrets come from the
 * environment only. Parsed and validated once, then frozen, with every problem listed together with its fix.
 */

export const DEFAULT_CLOUDFLARED_IMAGE = 'cloudflare/cloudflared:2026.8.2';

/** The settings file `tunnelbot plan` reads at the root of a checkout, and `tunnelbot init` writes. */
export const SETTINGS_FILE = '.tunnelbot.yaml';

/** Whether `name` is valid as an environment's `domain` (a DNS name with at least two labels). */
export function isDomainName(name: string): boolean {
  return DNS_NAME.test(name);
}

/** Whether `name` is valid as an environment's `name` (a DNS-1123 label). */
export function isEnvironmentName(name: string): boolean {
  return DNS_LABEL.test(name);
}

const repoPath = z
  .string()
  .min(1)
  .refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), {
    message: 'must be a path relative to the repository root, without ".."',
  })
  .transform((path) => path.replace(/^\.\//, '').replace(/\/+$/, ''));

// Zero Trust team names are the first label of <team>.cloudflareaccess.com.
const teamName = z
  .string()
  .regex(DNS_LABEL, 'must be the Zero Trust team name, e.g. acme for acme.cloudflareaccess.com');

const accessRuleSchema = z.union([
  z.strictObject({ email: z.email('must be an email address such as ops@example.com') }),
  z.strictObject({ emailDomain: z.string().regex(DNS_NAME, 'must be a domain such as example.com') }),
  z.strictObject({
    group: z.uuid('must be the id of an Access group (Zero Trust › Access › Access Groups › the group)'),
  }),
]);

const accessSchema = z
  .object({
    mode: z
      .enum(['required', 'optional', 'off'])
      .describe(
        'required: every app behind Access; optional: access=public may be asked for; off: no Access',
      ),
    teamName: teamName.optional(),
    policies: z
      .array(z.string().min(1, 'must be the name of a reusable Access policy'))
      .default([])
      .describe('names of existing reusable Access policies'),
    include: z.array(accessRuleSchema).default([]).describe('who may enter, when no reusable policy fits'),
  })
  .strict();

const environmentSchema = z
  .object({
    name: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits and "-")'),
    path: repoPath,
    domain: z
      .string()
      .regex(DNS_NAME, 'must be a DNS name such as example.com')
      .optional()
      .describe('default hostnames are <app>.<domain>'),
    zones: z.array(z.string().regex(DNS_NAME, 'must be a DNS name such as example.com')).optional(),
    tunnelMode: z.enum(['per-app', 'shared']).default('per-app'),
    namespace: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label').default('default'),
    sharedConfig: repoPath
      .optional()
      .describe('shared mode: the existing cloudflared config (a config.yaml or a ConfigMap manifest)'),
    access: accessSchema.optional().describe('Cloudflare Access in front of the apps; absent means off'),
  })
  .strict();

// Slack user ids (U…/W…) and user group ids (S…): people are always keyed by id, never by a display name.
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U012AB3CD');
const slackGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id such as S0614TZR7');

const audienceSchema = z
  .object({
    everyone: z.boolean().default(false).describe('every member of the workspace'),
    users: z.array(slackUserId).default([]),
    groups: z.array(slackGroupId).default([]).describe('resolved with usergroups.users.list (paid plans)'),
  })
  .strict();

const policySchema = z
  .object({
    fourEyes: z.boolean().default(true).describe('the requester may not approve their own request'),
    request: audienceSchema.prefault({}),
    approve: audienceSchema.prefault({}),
    environments: z
      .record(
        z.string().regex(DNS_LABEL, 'must be an environment name'),
        z.object({ request: audienceSchema.optional(), approve: audienceSchema.optional() }).strict(),
      )
      .default({})
      .describe('per-environment audiences replace the top-level ones'),
  })
  .strict();

const settingsSchema = z
  .object({
    repository: z
      .object({
        owner: z.string().min(1),
        name: z.string().min(1),
        branch: z.string().min(1).optional(),
        mergeMethod: z
          .enum(MERGE_METHODS)
          .optional()
          .describe('how approvals merge; default: the first the repository allows of squash, merge, rebase'),
      })
      .strict()
      .optional(),
    instance: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,60}$/, 'must be 1-60 letters, digits, ".", "_" or "-"')
      .default('default')
      .describe('names this installation in the ownership comment of its DNS records'),
    namePrefix: z
      .string()
      .regex(DNS_LABEL, 'must be a DNS-1123 label (lowercase letters, digits and "-")')
      .default('tunnelbot'),
    ageRecipients: z
      .array(z.string().regex(/^age1[0-9a-z]+$/, 'must be an age public key (age1...)'))
      .default([]),
    policy: policySchema.prefault({}),
    cloudflaredImage: z
      .string()
      .refine((image) => /[:@]/.test(image) && !image.endsWith(':latest'), {
        message: 'must pin a version (name:tag or name@sha256:...), never :latest',
      })
      .default(DEFAULT_CLOUDFLARED_IMAGE),
    environments: z
      .array(environmentSchema)
      .min(1)
      .default([{ name: 'default', path: 'apps/tunnels', tunnelMode: 'per-app', namespace: 'default' }]),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
export type Environment = Settings['environments'][number];
export type Policy = Settings['policy'];
export type Audience = Policy['request'];
export type AccessSettings = z.output<typeof accessSchema>;
export type AccessRule = AccessSettings['include'][number];

const ACCESS_OFF: AccessSettings = Object.freeze({ mode: 'off', policies: [], include: [] });

/** An environment's Access settings; an environment without `access` keeps the behaviour from before it existed. */
export function accessOf(environment: Environment): AccessSettings {
  return environment.access ?? ACCESS_OFF;
}

const FIXES: Record<string, string> = {
  environments: 'List each environment with at least `name` and `path`.',
  repository:
    'Give the GitOps repository as `repository: {owner, name, branch, mergeMethod}` (mergeMethod: squash, merge or rebase).',
  access:
    'Give `access: {mode: required, teamName: TEAM, policies: [NAME]}` (or `include: [{email: …}]`) per environment.',
  policy:
    'Name people by Slack user id (profile > ⋮ > Copy member ID) and groups by user group id, e.g. `policy: {request: {users: [U012AB3CD]}}`.',
};

function fixFor(path: PropertyKey[]): string {
  const top = path[0] === 'environments' && path[2] === 'access' ? 'access' : String(path[0] ?? '');
  return FIXES[top] ?? 'See deploy/tunnelbot.example.yaml for an annotated example.';
}

/**
 * YAML turns a bare `2`, `1e3`, `on` or `no` into a number or a boolean: an environment named 2 is a valid name
 * that only quoting keeps a string.
 */
function yamlTypeHint(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type' || issue.expected !== 'string') return '';
  const received = receivedKind(issue);
  if (received !== 'number' && received !== 'boolean') return '';
  const key = String(issue.path[issue.path.length - 1] ?? 'value');
  const example = received === 'number' ? '"2"' : '"on"';
  return `Quote it to keep it text (YAML reads a bare 2, 1e3, on or no as a number or true/false), e.g. \`${key}: ${example}\`. `;
}

/** Parses and validates a settings file; throws one TB_ERR_SETTINGS listing every problem. */
export function parseSettings(text: string, fileName: string): Readonly<Settings> {
  const document = parseDocument(text, { uniqueKeys: true });
  const read = documentData(document);
  if ('error' in read) {
    throw new TunnelbotError('TB_ERR_SETTINGS', `${describeYamlError(read.error, text, fileName)}`);
  }
  return validateSettings(read.data ?? {}, fileName);
}

export function validateSettings(raw: unknown, fileName: string): Readonly<Settings> {
  const result = settingsSchema.safeParse(raw);
  // Format and meaning are checked in the same round: the meaning of every environment that parses on its own is
  // checked even when another part of the file is malformed, so an operator sees every problem at once.
  const problems = result.success
    ? []
    : result.error.issues.map(
        (issue) => `- ${describeIssue(issue, '(top level)')}. ${yamlTypeHint(issue)}${fixFor(issue.path)}`,
      );
  problems.push(...semanticProblems(result.success ? result.data : raw));
  if (problems.length > 0) {
    throw new TunnelbotError('TB_ERR_SETTINGS', `${fileName} is invalid:\n${problems.join('\n')}`, {
      fix: 'Correct each listed field; deploy/tunnelbot.example.yaml shows every setting with comments.',
    });
  }
  return deepFreeze(result.data!);
}

/** The rules between fields, over whatever parts of `raw` parse: environment names, modes, policies. */
function semanticProblems(raw: unknown): string[] {
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const top = record(raw);
  const listed =
    top['environments'] === undefined ? [{ name: 'default', path: 'apps/tunnels' }] : top['environments'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of Array.isArray(listed) ? listed : []) {
    const name = record(entry)['name'];
    if (typeof name === 'string') {
      if (seen.has(name)) problems.push(`- environments: the name "${name}" is used twice`);
      seen.add(name);
    }
    const parsed = environmentSchema.safeParse(entry);
    if (!parsed.success) continue;
    const environment = parsed.data;
    if (environment.tunnelMode === 'per-app' && environment.sharedConfig !== undefined) {
      problems.push(
        `- environments.${environment.name}.sharedConfig: only valid with tunnelMode: shared (this one is per-app)`,
      );
    }
    problems.push(...accessProblems(environment));
  }
  if (Array.isArray(listed)) {
    for (const name of Object.keys(record(record(top['policy'])['environments']))) {
      if (!seen.has(name))
        problems.push(`- policy.environments.${name}: no environment of that name is configured`);
    }
  }
  return problems;
}

function accessProblems(environment: Environment): string[] {
  const access = environment.access;
  if (!access || access.mode === 'off') return [];
  const where = `- environments.${environment.name}.access`;
  const problems: string[] = [];
  if (access.teamName === undefined) {
    problems.push(
      `${where}.teamName: needed with mode ${access.mode}, since cloudflared checks tokens issued by <teamName>.cloudflareaccess.com`,
    );
  }
  if (access.policies.length === 0 && access.include.length === 0) {
    problems.push(
      `${where}: say who may enter, with policies: [names of reusable Access policies] or include: [{email: …}, {emailDomain: …}, {group: …}]`,
    );
  }
  // Cloudflare refuses an application that mixes reusable and application-only policies.
  if (access.policies.length > 0 && access.include.length > 0) {
    problems.push(
      `${where}: give either policies or include, not both (Cloudflare does not mix reusable and application-only policies)`,
    );
  }
  const names = new Set<string>();
  for (const name of access.policies) {
    if (names.has(name)) problems.push(`${where}.policies: "${name}" is listed twice`);
    names.add(name);
  }
  return problems;
}

export function defaultSettings(): Readonly<Settings> {
  return validateSettings({}, '(defaults)');
}

/** The zones hostnames of an environment may live in: `zones`, else the `domain`. */
export function environmentZones(environment: Environment): string[] {
  return environment.zones ?? (environment.domain ? [environment.domain] : []);
}

export function findEnvironment(settings: Settings, name: string | undefined): Environment {
  if (name === undefined) {
    if (settings.environments.length === 1) return settings.environments[0]!;
    throw new TunnelbotError(
      'TB_ERR_PLAN_UNKNOWN_ENV',
      `Several environments are configured (${settings.environments.map((e) => e.name).join(', ')}); say which one.`,
      { fix: 'Pass the environment, e.g. `--env staging` (in Slack: `env=staging`).' },
    );
  }
  const environment = settings.environments.find((candidate) => candidate.name === name);
  if (!environment) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_UNKNOWN_ENV',
      `Unknown environment "${name}"; configured: ${settings.environments.map((e) => e.name).join(', ')}.`,
      { fix: 'Use one of the configured environment names, or add it to the settings file.' },
    );
  }
  return environment;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
