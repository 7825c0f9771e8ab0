import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { GitHubAuth } from './adapters/github/client.js';
import { TunnelbotError } from './errors.js';
import { defaultSettings, parseSettings, type Settings } from './core/settings.js';
import { describeIssue } from './core/zod-issues.js';

/**
 * The service configuration: secrets and endpoints from the environment (the names are a contract, see
 * DESIGN.md §5), everything else from the settings file. Validated once at start, frozen, and every problem
 * reported together with its fix, so an operator fixes a deployment in one round.
 */

const optionalUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional();

const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must be a bot token (xoxb-...)').optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-...)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_MODE: z.enum(['socket', 'http']).default('socket'),
  SLACK_API_URL: optionalUrl,
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'must be the numeric App ID').optional(),
  GITHUB_APP_PRIVATE_KEY: z
    .string()
    .includes('PRIVATE KEY', { message: 'must be a PEM private key' })
    .optional(),
  GITHUB_APP_INSTALLATION_ID: z.string().regex(/^\d+$/, 'must be the numeric installation id').optional(),
  GITHUB_API_URL: optionalUrl,
  GITHUB_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CLOUDFLARE_API_TOKEN: z.string().min(1).optional(),
  CLOUDFLARE_ACCOUNT_ID: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'must be the 32-character account id')
    .optional(),
  CLOUDFLARE_BASE_URL: optionalUrl,
  FLUX_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TUNNELBOT_SETTINGS: z.string().min(1).optional(),
  PORT: z.coerce
    .number({ message: 'must be a port number between 1 and 65535' })
    .int('must be a port number between 1 and 65535')
    .min(1, 'must be a port number between 1 and 65535')
    .max(65535, 'must be a port number between 1 and 65535')
    .default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable tunnelbot reads (a contract: DESIGN.md §5). */
export const ENVIRONMENT_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  readonly slack: {
    readonly mode: 'socket' | 'http';
    readonly botToken: string;
    readonly appToken: string | undefined;
    readonly signingSecret: string | undefined;
    readonly apiUrl: string | undefined;
  };
  readonly github: {
    readonly auth: GitHubAuth;
    readonly apiUrl: string | undefined;
    readonly webhookSecret: string | undefined;
  };
  readonly cloudflare: {
    readonly apiToken: string;
    readonly accountId: string;
    readonly baseURL: string | undefined;
  };
  readonly flux: { readonly webhookToken: string | undefined };
  readonly settings: Settings;
  /** TUNNELBOT_SETTINGS; undefined when the defaults are used. */
  readonly settingsFile: string | undefined;
  readonly port: number;
  readonly logLevel: string;
}

/** Which parts a command needs: `doctor` checks what is there, `serve` needs everything. */
export type ConfigNeeds = {
  readonly slack: boolean;
  readonly github: boolean;
  readonly cloudflare: boolean;
  /** The settings must name the GitOps repository (`serve`). */
  readonly repository?: boolean;
};

type EnvValues = z.output<typeof envSchema>;

const FIX: Record<string, string> = {
  SLACK_BOT_TOKEN:
    'Install the Slack app (deploy/slack-app-manifest.yaml) and copy its Bot User OAuth Token.',
  SLACK_APP_TOKEN:
    'Socket Mode needs an app-level token with connections:write (Basic Information > App-Level Tokens).',
  SLACK_SIGNING_SECRET:
    'HTTP mode verifies requests with the Signing Secret (Basic Information > App Credentials).',
  GITHUB: 'Set GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY + GITHUB_APP_INSTALLATION_ID.',
  CLOUDFLARE_API_TOKEN:
    'Create an API token with Account > Cloudflare Tunnel > Edit, Zone > DNS > Edit and Zone > Zone > Read (dash.cloudflare.com/profile/api-tokens).',
  CLOUDFLARE_ACCOUNT_ID: 'Copy the account id from the Cloudflare dashboard (Overview page, right column).',
};

/**
 * Each variable checked on its own, so one bad value does not hide the others. An empty value counts as unset: an
 * env file or a Secret template keeps `NAME=` lines for the variables an operator does not use.
 */
function parseEnvironment(env: NodeJS.ProcessEnv, problems: string[]): EnvValues {
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name in envSchema.shape && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const invalid = new Set<string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0]);
    invalid.add(name);
    problems.push(`- ${describeIssue(issue, '(environment)')}.${FIX[name] ? ` ${FIX[name]}` : ''}`);
  }
  // The valid rest still gets checked (settings file, required variables) in the same round.
  const valid = Object.fromEntries(Object.entries(present).filter(([name]) => !invalid.has(name)));
  return envSchema.parse(valid);
}

/**
 * A PEM as operators paste it: `kubectl create secret --from-env-file` keeps surrounding quotes, and env files
 * often carry the newlines as literal `\n`. The result must be a private key node can read.
 */
function githubAppKey(value: string, problems: string[]): string {
  const unquoted = /^(["'])([\s\S]*)\1$/.exec(value.trim())?.[2] ?? value.trim();
  const pem = unquoted.replace(/\\n/g, '\n');
  try {
    createPrivateKey(pem);
  } catch {
    problems.push(
      '- GITHUB_APP_PRIVATE_KEY: not a readable PEM private key. Paste the whole .pem file the App settings page generated (-----BEGIN ... PRIVATE KEY----- to -----END ... PRIVATE KEY-----), with real newlines or \\n.',
    );
  }
  return pem;
}

export function loadConfig(
  env: NodeJS.ProcessEnv,
  needs: ConfigNeeds = { slack: true, github: true, cloudflare: true },
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Readonly<Config> {
  const problems: string[] = [];
  const values = parseEnvironment(env, problems);
  const invalid = new Set(problems.map((problem) => problem.slice(2, problem.indexOf(':'))));
  const require = (name: keyof EnvValues, needed: boolean): string => {
    const value = values[name];
    if (needed && value === undefined && !invalid.has(name))
      problems.push(`- ${name} is not set. ${FIX[name] ?? ''}`.trimEnd());
    return typeof value === 'string' ? value : '';
  };

  const botToken = require('SLACK_BOT_TOKEN', needs.slack);
  const appToken = require('SLACK_APP_TOKEN', needs.slack && values.SLACK_MODE === 'socket');
  const signingSecret = require('SLACK_SIGNING_SECRET', needs.slack && values.SLACK_MODE === 'http');

  let auth: GitHubAuth = { kind: 'token', token: values.GITHUB_TOKEN ?? '' };
  const appNames = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_INSTALLATION_ID'] as const;
  const appGiven = appNames.filter((name) => values[name] !== undefined || invalid.has(name));
  if (values.GITHUB_TOKEN === undefined && appGiven.length === appNames.length) {
    if (appNames.every((name) => !invalid.has(name))) {
      auth = {
        kind: 'app',
        appId: values.GITHUB_APP_ID!,
        privateKey: githubAppKey(values.GITHUB_APP_PRIVATE_KEY!, problems),
        installationId: Number(values.GITHUB_APP_INSTALLATION_ID),
      };
    }
  } else if (values.GITHUB_TOKEN === undefined && appGiven.length > 0) {
    problems.push(
      `- GitHub App auth needs all of GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID. ${FIX['GITHUB']}`,
    );
  } else if (needs.github && values.GITHUB_TOKEN === undefined && !invalid.has('GITHUB_TOKEN')) {
    problems.push(`- No GitHub credentials. ${FIX['GITHUB']}`);
  }

  const apiToken = require('CLOUDFLARE_API_TOKEN', needs.cloudflare);
  const accountId = require('CLOUDFLARE_ACCOUNT_ID', needs.cloudflare);

  let settings: Settings = defaultSettings();
  const settingsFile = values.TUNNELBOT_SETTINGS;
  if (settingsFile !== undefined) {
    let text: string | undefined;
    try {
      text = readFile(settingsFile);
    } catch (error) {
      problems.push(`- TUNNELBOT_SETTINGS: cannot read ${settingsFile}: ${(error as Error).message}.`);
    }
    if (text !== undefined) {
      try {
        settings = parseSettings(text, settingsFile);
      } catch (error) {
        // The settings file's own checklist joins this one, each line under the file's name.
        const lines = (error as Error).message.split('\n');
        const items = lines.filter((line) => line.startsWith('- '));
        if (items.length === 0) problems.push(`- ${lines.join(' ')}`);
        else problems.push(...items.map((item) => `- ${settingsFile}: ${item.slice(2)}`));
      }
    }
  }
  if (needs.repository && problems.length === 0 && !settings.repository) {
    problems.push(
      settingsFile === undefined
        ? '- TUNNELBOT_SETTINGS is not set, and the defaults name no GitOps repository. Point TUNNELBOT_SETTINGS at a settings file with `repository: {owner, name}`.'
        : `- ${settingsFile}: repository is not set. Add \`repository: {owner, name}\` (the GitOps repository).`,
    );
  }
  if (problems.length > 0) throw configError(problems);

  return Object.freeze({
    slack: Object.freeze({
      mode: values.SLACK_MODE,
      botToken,
      appToken: appToken || undefined,
      signingSecret: signingSecret || undefined,
      apiUrl: values.SLACK_API_URL,
    }),
    github: Object.freeze({
      auth: Object.freeze(auth),
      apiUrl: values.GITHUB_API_URL,
      webhookSecret: values.GITHUB_WEBHOOK_SECRET,
    }),
    cloudflare: Object.freeze({ apiToken, accountId, baseURL: values.CLOUDFLARE_BASE_URL }),
    flux: Object.freeze({ webhookToken: values.FLUX_WEBHOOK_TOKEN }),
    settings,
    settingsFile,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
  });
}

function configError(problems: string[]): TunnelbotError {
  return new TunnelbotError(
    'TB_ERR_CONFIG',
    `The configuration is incomplete or invalid:\n${problems.join('\n')}`,
    {
      fix: 'Correct each listed item (the variables: .env.example; the settings: deploy/tunnelbot.example.yaml) and restart.',
      // Each item, for a caller that shows them as a checklist (doctor).
      details: { problems: problems.map((problem) => problem.slice(2)) },
    },
  );
}
