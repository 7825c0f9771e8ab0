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
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
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
  readonly port: number;
  readonly logLevel: string;
}

/** Which parts a command needs: `doctor` checks what is there, `serve` needs everything. */
export type ConfigNeeds = { readonly slack: boolean; readonly github: boolean; readonly cloudflare: boolean };

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

export function loadConfig(
  env: NodeJS.ProcessEnv,
  needs: ConfigNeeds = { slack: true, github: true, cloudflare: true },
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `- ${describeIssue(issue, '(environment)')}.${FIX[name] ? ` ${FIX[name]}` : ''}`;
    });
    throw configError(problems);
  }
  const values = parsed.data;
  const problems: string[] = [];
  const require = (name: keyof typeof values, needed: boolean): string => {
    const value = values[name];
    if (needed && (value === undefined || value === ''))
      problems.push(`- ${name} is not set. ${FIX[name] ?? ''}`.trimEnd());
    return typeof value === 'string' ? value : '';
  };

  const botToken = require('SLACK_BOT_TOKEN', needs.slack);
  const appToken = require('SLACK_APP_TOKEN', needs.slack && values.SLACK_MODE === 'socket');
  const signingSecret = require('SLACK_SIGNING_SECRET', needs.slack && values.SLACK_MODE === 'http');

  let auth: GitHubAuth = { kind: 'token', token: values.GITHUB_TOKEN ?? '' };
  const appParts = [values.GITHUB_APP_ID, values.GITHUB_APP_PRIVATE_KEY, values.GITHUB_APP_INSTALLATION_ID];
  if (values.GITHUB_TOKEN === undefined && appParts.every((part) => part !== undefined)) {
    auth = {
      kind: 'app',
      appId: values.GITHUB_APP_ID!,
      // Kubernetes Secrets and .env files often carry the PEM with literal "\n".
      privateKey: values.GITHUB_APP_PRIVATE_KEY!.replace(/\\n/g, '\n'),
      installationId: Number(values.GITHUB_APP_INSTALLATION_ID),
    };
  } else if (values.GITHUB_TOKEN === undefined && appParts.some((part) => part !== undefined)) {
    problems.push(
      `- GitHub App auth needs all of GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID. ${FIX['GITHUB']}`,
    );
  } else if (needs.github && values.GITHUB_TOKEN === undefined) {
    problems.push(`- No GitHub credentials. ${FIX['GITHUB']}`);
  }

  const apiToken = require('CLOUDFLARE_API_TOKEN', needs.cloudflare);
  const accountId = require('CLOUDFLARE_ACCOUNT_ID', needs.cloudflare);

  let settings: Settings = defaultSettings();
  if (values.TUNNELBOT_SETTINGS !== undefined) {
    let text: string | undefined;
    try {
      text = readFile(values.TUNNELBOT_SETTINGS);
    } catch (error) {
      problems.push(
        `- TUNNELBOT_SETTINGS: cannot read ${values.TUNNELBOT_SETTINGS}: ${(error as Error).message}.`,
      );
    }
    if (text !== undefined) {
      try {
        settings = parseSettings(text, values.TUNNELBOT_SETTINGS);
      } catch (error) {
        problems.push(`- ${(error as Error).message}`);
      }
    }
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
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
  });
}

function configError(problems: string[]): TunnelbotError {
  return new TunnelbotError(
    'TB_ERR_CONFIG',
    `The configuration is incomplete or invalid:\n${problems.join('\n')}`,
    {
      fix: 'Set the listed environment variables (see .env.example) and restart.',
    },
  );
}
