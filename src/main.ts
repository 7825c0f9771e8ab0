import type { FastifyInstance } from 'fastify';
import { CloudflareAdapter } from './adapters/cloudflare/index.js';
import { GitHubProvider } from './adapters/github/provider.js';
import type { Config } from './config.js';
import type { FluxEvent } from './core/flux-event.js';
import type { PullRequestEvent } from './core/pull-request-event.js';
import { TunnelbotError } from './errors.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { RequestService, type RequestServiceOptions } from './requests/service.js';
import { fluxWebhook } from './transports/http/flux-webhook.js';
import { githubWebhook } from './transports/http/github-webhook.js';
import { healthRoutes } from './transports/http/health.js';
import { metricsRoute } from './transports/http/metrics.js';
import { BackgroundWork } from './transports/http/background.js';
import { Readiness } from './transports/http/readiness.js';
import { closeHttpServer, createHttpServer } from './transports/http/server.js';
import type { SlackTransport, SlackTransportOptions } from './transports/slack/app.js';
import type { WorkflowContext } from './workflows/context.js';
import { PullRequestPoller } from './workflows/poll-pull-requests.js';

/**
 * The composition root: the one place that turns configuration into adapters and wires them to workflows and
 * transports. Everything below it takes its dependencies as arguments, which is what makes it testable.
 */

export interface Service {
  readonly context: WorkflowContext;
  readonly server: FastifyInstance;
  readonly poller: PullRequestPoller;
  /** What `/readyz` reports; a transport that owns a dependency (Slack) reports it with `readiness.set`. */
  readonly readiness: Readiness;
  /** The one entry point every transport calls. */
  readonly requests: RequestService;
  /** Slack, when SLACK_BOT_TOKEN is set. */
  readonly slack: SlackTransport | undefined;
  /**
   * Listens on `config.port` (or `port`), starts polling and the periodic cleanup, then connects Slack (retrying
   * while it cannot be reached); rejects when Slack refuses the token.
   */
  start(options?: { port?: number; host?: string }): Promise<{ url: string }>;
  /**
   * Stops accepting, lets requests and the work they started finish within `boundMs` (SHUTDOWN_BOUND_MS), then
   * closes every connection left.
   */
  stop(boundMs?: number): Promise<void>;
}

/** DNS drift and orphan tunnels are checked this often even when no event arrives. */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;
/** Below Kubernetes' default 30 s grace period, so the pod exits before it is killed. */
export const SHUTDOWN_BOUND_MS = 10_000;

/** The GitOps repository the settings name, through the configured GitHub credentials. */
export function createGitProvider(
  config: Config,
  logger: Logger,
  fix = 'Add `repository: {owner, name}` to the file TUNNELBOT_SETTINGS points at.',
): { git: GitHubProvider; repository: NonNullable<Config['settings']['repository']> } {
  const repository = config.settings.repository;
  if (!repository) {
    throw new TunnelbotError('TB_ERR_CONFIG', 'The settings file does not name the GitOps repository.', {
      fix,
    });
  }
  const git = new GitHubProvider({
    auth: config.github.auth,
    ...(config.github.apiUrl && { baseUrl: config.github.apiUrl }),
    owner: repository.owner,
    repo: repository.name,
    ...(repository.branch && { branch: repository.branch }),
    logger,
  });
  return { git, repository };
}

export function createContext(config: Config, logger: Logger): WorkflowContext {
  const { git } = createGitProvider(config, logger);
  const cloudflare = new CloudflareAdapter({
    apiToken: config.cloudflare.apiToken,
    accountId: config.cloudflare.accountId,
    ...(config.cloudflare.baseURL && { baseURL: config.cloudflare.baseURL }),
    logger,
  });
  return { git, cloudflare, settings: config.settings, logger, now: () => new Date() };
}

/** Test and sandbox knobs for the Slack transport (retries, backoff, ping timeout); production uses the defaults. */
export type SlackTuning = Pick<
  SlackTransportOptions,
  'retries' | 'backoff' | 'clientPingTimeoutMs' | 'callTimeoutMs'
>;

/** The one request service of a process; every transport (HTTP, the poller, the CLI's request commands) calls it. */
export function createRequestService(
  config: Config,
  context: WorkflowContext,
  extra: Pick<RequestServiceOptions, 'metrics' | 'conversation' | 'directory'> = {},
): RequestService {
  // With Flux notifications configured, a merged expose is live when Flux says so, not at the merge.
  return new RequestService({ context, ...extra, dnsAwaitsFlux: config.flux.webhookToken !== undefined });
}

async function loadSlackStack() {
  const [app, conversation] = await Promise.all([
    import('./transports/slack/app.js'),
    import('./transports/slack/conversation.js'),
  ]);
  return {
    createSlackClient: app.createSlackClient,
    SlackTransport: app.SlackTransport,
    SlackConversation: conversation.SlackConversation,
    SlackDirectory: conversation.SlackDirectory,
  };
}

export async function createService(
  config: Config,
  logger: Logger,
  context = createContext(config, logger),
  metrics = new Metrics(),
  tuning: { slack?: SlackTuning } = {},
): Promise<Service> {
  const fluxToken = config.flux.webhookToken;
  // Bolt, the Web API client and Socket Mode are loaded only when Slack is on: `serve --without-slack` never needs
  // them, and they are a good part of start-up time and memory.
  const slackStack = config.slack.botToken ? await loadSlackStack() : undefined;
  const slackClient = slackStack?.createSlackClient(
    config.slack,
    logger,
    tuning.slack?.retries,
    tuning.slack?.callTimeoutMs,
  );
  const requests = createRequestService(config, context, {
    metrics,
    ...(slackStack &&
      slackClient && {
        conversation: new slackStack.SlackConversation(slackClient),
        directory: new slackStack.SlackDirectory(slackClient),
      }),
  });
  const work = new BackgroundWork();
  const handle = (event: PullRequestEvent) => work.track(requests.onPullRequestEvent(event));
  const handleFlux = (event: FluxEvent, log: Logger) => work.track(requests.onFluxEvent(event, log));
  const server = createHttpServer({ logger, metrics });
  const readiness = new Readiness(logger);
  readiness.watch('github', { run: () => context.git.defaultBranch() });
  const slack = slackStack
    ? new slackStack.SlackTransport({ slack: config.slack, requests, logger, readiness, ...tuning.slack })
    : undefined;
  if (slack?.httpRoutes) await server.register(slack.httpRoutes);
  await server.register(healthRoutes, { readiness });
  await server.register(metricsRoute, { metrics });
  if (config.github.webhookSecret) {
    await server.register(githubWebhook, { secret: config.github.webhookSecret, onPullRequestEvent: handle });
  }
  if (fluxToken !== undefined) {
    await server.register(fluxWebhook, { token: fluxToken, onFluxEvent: handleFlux });
  }
  await server.ready();
  const poller = new PullRequestPoller({ provider: context.git, onPullRequestEvent: handle, logger });
  let housekeeping: NodeJS.Timeout | undefined;
  const houseKeep = () => work.track(requests.housekeeping());

  return {
    context,
    server,
    poller,
    readiness,
    requests,
    slack,
    async start(options = {}) {
      const url = await server.listen({ port: options.port ?? config.port, host: options.host ?? '0.0.0.0' });
      readiness.start();
      poller.start();
      void houseKeep();
      housekeeping = setInterval(() => void houseKeep(), HOUSEKEEPING_INTERVAL_MS);
      housekeeping.unref();
      logger.info(
        {
          url,
          slack: slack ? config.slack.mode : 'off',
          webhooks: config.github.webhookSecret !== undefined,
          fluxEvents: fluxToken !== undefined,
        },
        'tunnelbot listening',
      );
      await slack?.start();
      return { url };
    },
    async stop(boundMs = SHUTDOWN_BOUND_MS) {
      const started = Date.now();
      await slack?.stop();
      if (housekeeping) clearInterval(housekeeping);
      poller.stop();
      readiness.stop();
      await closeHttpServer(server, boundMs);
      const finished = await work.drain(Math.max(0, boundMs - (Date.now() - started)));
      if (!finished) logger.warn({ running: work.size, boundMs }, 'stopped with background work unfinished');
    },
  };
}
