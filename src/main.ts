import type { FastifyInstance } from 'fastify';
import { CloudflareAdapter } from './adapters/cloudflare/index.js';
import { GitHubProvider } from './adapters/github/provider.js';
import type { Config } from './config.js';
import type { FluxEvent } from './core/flux-event.js';
import type { PullRequestEvent } from './core/pull-request-event.js';
import { TunnelbotError, asTunnelbotError } from './errors.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { fluxWebhook } from './transports/http/flux-webhook.js';
import { githubWebhook } from './transports/http/github-webhook.js';
import { healthRoutes } from './transports/http/health.js';
import { metricsRoute } from './transports/http/metrics.js';
import { Readiness } from './transports/http/readiness.js';
import { createHttpServer } from './transports/http/server.js';
import type { WorkflowContext } from './workflows/context.js';
import { FluxEventMemory, onFluxEvent } from './workflows/flux-events.js';
import { PullRequestPoller } from './workflows/poll-pull-requests.js';
import { onPullRequestEvent } from './workflows/pull-request-events.js';
import { collectOrphans, reconcileDns } from './workflows/reconcile.js';

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
  /** Listens on `config.port` (or `port`), starts polling and the periodic cleanup. */
  start(options?: { port?: number; host?: string }): Promise<{ url: string }>;
  stop(): Promise<void>;
}

/** DNS drift and orphan tunnels are checked this often even when no event arrives. */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;

export function createContext(config: Config, logger: Logger): WorkflowContext {
  const repository = config.settings.repository;
  if (!repository) {
    throw new TunnelbotError('TB_ERR_CONFIG', 'The settings file does not name the GitOps repository.', {
      fix: 'Add `repository: {owner, name}` to the file TUNNELBOT_SETTINGS points at.',
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
  const cloudflare = new CloudflareAdapter({
    apiToken: config.cloudflare.apiToken,
    accountId: config.cloudflare.accountId,
    ...(config.cloudflare.baseURL && { baseURL: config.cloudflare.baseURL }),
    logger,
  });
  return { git, cloudflare, settings: config.settings, logger, now: () => new Date() };
}

export async function createService(
  config: Config,
  logger: Logger,
  context = createContext(config, logger),
  metrics = new Metrics(),
): Promise<Service> {
  const fluxToken = config.flux.webhookToken;
  const fluxMemory = new FluxEventMemory();
  const handle = async (event: PullRequestEvent): Promise<void> => {
    let outcome;
    try {
      outcome = await onPullRequestEvent(event, context, { dnsAwaitsFlux: fluxToken !== undefined });
    } catch (error) {
      metrics.recordFailure('pull-request-event', error);
      throw error;
    }
    metrics.pullRequestEvents.inc({ source: event.source, kind: event.kind, outcome: outcome.kind });
    if (outcome.kind === 'awaiting-flux' && outcome.mergeSha) {
      fluxMemory.awaitFlux({ number: event.prNumber, mergeSha: outcome.mergeSha, metadata: event.metadata });
    }
    logger.info(
      { pr: event.prNumber, source: event.source, outcome: outcome.kind },
      'pull request event handled',
    );
  };
  const handleFlux = async (event: FluxEvent, log: Logger): Promise<void> => {
    let outcome;
    try {
      outcome = await onFluxEvent(event, { ...context, logger: log }, fluxMemory);
    } catch (error) {
      metrics.recordFailure('flux-event', error);
      throw error;
    }
    metrics.fluxEvents.inc({ outcome: outcome.kind });
    if (outcome.kind === 'reconciled') {
      log.info(
        { commitSha: outcome.commitSha, prs: outcome.applied.map((pr) => pr.number) },
        'Flux applied tunnelbot pull requests',
      );
    } else if (outcome.kind === 'failed') {
      log.warn(
        {
          commitSha: outcome.commitSha,
          prs: outcome.pullRequests.map((pr) => pr.number),
          ...outcome.failure,
        },
        'Flux failed on a revision with tunnelbot pull requests',
      );
    } else {
      log.debug({ outcome }, 'Flux event needed no action');
    }
  };
  const server = createHttpServer({ logger, metrics });
  const readiness = new Readiness(logger);
  readiness.watch('github', { run: () => context.git.defaultBranch() });
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

  // Also the fallback for Flux: notification-controller keeps no queue, so events sent while the bot was down
  // are lost and the next round converges DNS anyway.
  const houseKeep = async (): Promise<void> => {
    try {
      const { desired } = await reconcileDns(context);
      await collectOrphans(context, { desired });
      metrics.housekeepingRuns.inc({ result: 'ok' });
    } catch (error) {
      metrics.housekeepingRuns.inc({ result: 'failed' });
      metrics.recordFailure('housekeeping', error);
      logger.warn(
        { err: asTunnelbotError(error) },
        'housekeeping failed; it runs again at the next interval',
      );
    }
  };

  return {
    context,
    server,
    poller,
    readiness,
    async start(options = {}) {
      const url = await server.listen({ port: options.port ?? config.port, host: options.host ?? '0.0.0.0' });
      readiness.start();
      poller.start();
      void houseKeep();
      housekeeping = setInterval(() => void houseKeep(), HOUSEKEEPING_INTERVAL_MS);
      housekeeping.unref();
      logger.info(
        { url, webhooks: config.github.webhookSecret !== undefined, fluxEvents: fluxToken !== undefined },
        'tunnelbot listening',
      );
      return { url };
    },
    async stop() {
      if (housekeeping) clearInterval(housekeeping);
      poller.stop();
      readiness.stop();
      await server.close();
    },
  };
}
