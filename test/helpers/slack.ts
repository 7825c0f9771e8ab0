import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/main.js';
import { FakeSlack, type FakeSlackMessage } from '../../src/sandbox/slack/index.js';
import { recordArtefact, registerSecret } from './leak-scan.js';
import { captureLogs } from './logs.js';
import { serviceEnvironment } from './service.js';
import type { World } from './world.js';
import { closedPort } from './network.js';

export const SLACK_BOT_TOKEN = 'xoxb-0000000000-1111111111-testbottoken';
export const SLACK_APP_TOKEN = 'xapp-1-A0FAKE0001-2222222222-testapptoken';
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-0123456789abcdef';
export const FLUX_TOKEN = 'flux-webhook-token-0123456789';
export const CHANNEL = 'C0FAKECHN1';
registerSecret('Slack signing secret', SLACK_SIGNING_SECRET);
registerSecret('Flux webhook token', FLUX_TOKEN);

export const USERS = [
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice' },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob' },
  { id: 'U0MALLORY', name: 'mallory', real_name: 'Mallory' },
];

/** Alice and Bob may request and approve; anyone else (Mallory) is unknown to the policy. */
export const POLICY = `policy:
  fourEyes: true
  request: {users: [U0ALICE, U0BOB]}
  approve: {users: [U0ALICE, U0BOB]}
`;

export interface SlackWorld {
  readonly slack: FakeSlack;
  readonly apiUrl: string;
  readonly service: Service;
  readonly url: string;
  readonly logs: () => string;
  close(): Promise<void>;
}

/** tunnelbot serve with Slack (Socket Mode, or HTTP with `/slack/events`) against the fakes of `world`. */
export async function startSlackService(
  world: World,
  options: {
    mode?: 'socket' | 'http';
    policy?: string;
    flux?: boolean;
    /** The Slack of an earlier replica, for a restart. */
    reuse?: { slack: FakeSlack; apiUrl: string };
    /** A free Slack plan: no user groups. */
    userGroupsUnavailable?: boolean;
    /** The settings' `environments:` list in YAML flow items, instead of staging alone. */
    environments?: string[];
    /** How long a Web API call may take; short for tests of a Slack that does not answer. */
    callTimeoutMs?: number;
  } = {},
): Promise<SlackWorld> {
  const mode = options.mode ?? 'socket';
  const env = serviceEnvironment(world, {
    SLACK_BOT_TOKEN,
    SLACK_MODE: mode,
    ...(mode === 'socket' ? { SLACK_APP_TOKEN } : { SLACK_SIGNING_SECRET }),
    ...(options.flux !== false && { FLUX_WEBHOOK_TOKEN: FLUX_TOKEN }),
  });
  writeFileSync(
    env.TUNNELBOT_SETTINGS!,
    `repository: {owner: ${world.github.owner.login}, name: ${world.github.repoName}}\n` +
      `environments:\n${(options.environments ?? ['{name: staging, path: apps/staging/tunnels, domain: example.com}']).map((item) => `  - ${item}\n`).join('')}` +
      (options.policy ?? POLICY),
  );
  // Over HTTP, Slack posts to the service's port, which must be known before the fake is made.
  const port = mode === 'http' ? await closedPort() : 0;
  const slack =
    options.reuse?.slack ??
    new FakeSlack({
      botToken: SLACK_BOT_TOKEN,
      appToken: SLACK_APP_TOKEN,
      users: USERS,
      ...(options.userGroupsUnavailable && { userGroupsUnavailable: true }),
      ...(mode === 'http' && {
        delivery: {
          mode: 'http' as const,
          url: `http://127.0.0.1:${port}/slack/events`,
          signingSecret: SLACK_SIGNING_SECRET,
        },
      }),
    });
  const apiUrl = options.reuse?.apiUrl ?? (await slack.start()).apiUrl;
  const logs = captureLogs();
  const config = loadConfig(
    { ...env, SLACK_API_URL: apiUrl },
    { slack: true, github: true, cloudflare: true },
  );
  const context = { ...world.context, settings: config.settings, logger: logs.logger };
  const service = await createService(config, logs.logger, context, undefined, {
    slack: {
      retries: 0,
      backoff: { initialMs: 20, maxMs: 200 },
      ...(options.callTimeoutMs !== undefined && { callTimeoutMs: options.callTimeoutMs }),
    },
  });
  const { url } = await service.start({ port, host: '127.0.0.1' });
  return {
    slack,
    apiUrl,
    service,
    url,
    logs: () => logs.text,
    async close() {
      const metrics = await service.server.inject({ method: 'GET', url: '/metrics' });
      recordArtefact('/metrics output', metrics.body);
      await service.stop();
      await slack.stop();
    },
  };
}

/** The root message of a request: the first top-level message the bot posted in the channel. */
export function rootMessages(slack: FakeSlack): FakeSlackMessage[] {
  return slack.messages.filter((message) => message.threadTs === undefined);
}

export function threadOf(slack: FakeSlack, message: FakeSlackMessage): string[] {
  return slack.messages.filter((reply) => reply.threadTs === message.ts).map((reply) => reply.text ?? '');
}

interface ButtonElement {
  type: string;
  action_id: string;
  value?: string;
  url?: string;
  text: { type: 'plain_text'; text: string };
}

/** The button of a message's actions block, as Slack would show it. */
export function buttonOf(message: FakeSlackMessage, actionId: string): ButtonElement | undefined {
  for (const block of (message.blocks ?? []) as { type: string; elements?: ButtonElement[] }[]) {
    if (block.type !== 'actions') continue;
    const found = block.elements?.find((element) => element.action_id === actionId);
    if (found) return found;
  }
  return undefined;
}
