import { randomBytes } from 'node:crypto';
import { CloudflareAdapter } from '../adapters/cloudflare/index.js';
import { GitHubProvider } from '../adapters/github/provider.js';
import type { Config } from '../config.js';
import { parseFluxEvent } from '../core/flux-event.js';
import { validateSettings, type Settings } from '../core/settings.js';
import { asTunnelbotError } from '../errors.js';
import { generateAgeKeyPair } from '../gitops/sops/index.js';
import type { Logger } from '../log.js';
import { createService, type Service, type SlackTuning } from '../main.js';
import type { SlackSettings } from '../transports/slack/app.js';
import type { WorkflowContext } from '../workflows/context.js';
import { FakeCloudflare } from './cloudflare/index.js';
import { SimulatedCluster } from './cluster.js';
import { FakeGitHub } from './github/server.js';
import { SAMPLE_ENVIRONMENT, sampleRepository } from './sample-repo.js';

/**
 * `tunnelbot sandbox`: the real service (Slack transport, request service, workflows, webhooks) with GitHub and
 * Cloudflare replaced by the in-process fakes, seeded with a Flux repository, and Flux itself simulated: a few
 * seconds after each merge, cloudflared "starts" for the tunnels the merged tree routes (and stops for the others)
 * and kustomize-controller "reports" the merge commit applied. Slack is whatever SLACK_* point at: a real
 * workspace, or the project's Slack fake (the demo and the tests).
 */

export interface SandboxOptions {
  readonly slack: SlackSettings;
  readonly logger: Logger;
  readonly port?: number;
  readonly host?: string;
  /** How long simulated Flux takes to apply a merge; 3 s by default. */
  readonly fluxDelayMs?: number;
  readonly slackTuning?: SlackTuning;
}

export interface Sandbox {
  readonly service: Service;
  readonly github: FakeGitHub;
  readonly cloudflare: FakeCloudflare;
  readonly settings: Settings;
  /** The age identity that decrypts the tunnel credentials in the sandbox repository (printed for inspection). */
  readonly ageIdentity: string;
  readonly url: string;
  /** The token the fake GitHub accepts, for looking at it with curl while the demo is kept. */
  readonly githubToken: string;
  readonly cloudflareUrl: string;
  stop(): Promise<void>;
}

const GITHUB_TOKEN = `ghp_sandbox${randomBytes(12).toString('hex')}`;
const FLUX_POLL_MS = 250;

/** The fake Cloudflare's Zero Trust team, and the reusable Access policy the sandbox seeds in it. */
export const SANDBOX_ACCESS_TEAM = 'tunnelbot-fake';
export const SANDBOX_ACCESS_POLICY = 'Sandbox staff';

export function sandboxSettings(): Readonly<Settings> {
  return validateSettings(
    {
      instance: 'sandbox',
      environments: [
        {
          name: SAMPLE_ENVIRONMENT,
          path: 'apps/staging/tunnels',
          domain: 'example.com',
          // What `tunnelbot init` writes: every exposed app behind Cloudflare Access, enforced by cloudflared.
          access: { mode: 'required', teamName: SANDBOX_ACCESS_TEAM, policies: [SANDBOX_ACCESS_POLICY] },
        },
      ],
      policy: { fourEyes: true, request: { everyone: true }, approve: { everyone: true } },
    },
    'sandbox settings',
  );
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { logger } = options;
  const key = await generateAgeKeyPair();
  const github = await FakeGitHub.start({
    files: sampleRepository(key.recipient),
    tokens: { [GITHUB_TOKEN]: { login: 'tunnelbot[bot]', permission: 'write' } },
  });
  const cloudflare = new FakeCloudflare({ zones: ['example.com'], accessTeamName: SANDBOX_ACCESS_TEAM });
  cloudflare.seedAccessPolicy(SANDBOX_ACCESS_POLICY, [{ email_domain: { domain: 'example.com' } }]);
  let service: Service | undefined;
  let flux: SimulatedFlux | undefined;
  try {
    const { baseURL } = await cloudflare.start();
    const settings = sandboxSettings();
    const config: Config = {
      slack: {
        mode: options.slack.mode,
        botToken: options.slack.botToken,
        appToken: options.slack.appToken,
        signingSecret: options.slack.signingSecret,
        apiUrl: options.slack.apiUrl,
      },
      github: {
        auth: { kind: 'token', token: GITHUB_TOKEN },
        apiUrl: github.url,
        webhookSecret: undefined,
      },
      cloudflare: { apiToken: cloudflare.apiToken, accountId: cloudflare.accountId, baseURL },
      // Flux "reports" in-process; the token only turns on the wait for Flux after a merge.
      flux: { webhookToken: randomBytes(16).toString('hex') },
      settings,
      settingsFile: undefined,
      port: options.port ?? 8080,
      logLevel: 'info',
    };
    const context: WorkflowContext = {
      git: new GitHubProvider({
        auth: config.github.auth,
        baseUrl: github.url,
        owner: github.owner.login,
        repo: github.repoName,
        logger,
        retryAndThrottle: false,
      }),
      cloudflare: new CloudflareAdapter({
        apiToken: cloudflare.apiToken,
        accountId: cloudflare.accountId,
        baseURL,
        logger,
      }),
      settings,
      logger,
      now: () => new Date(),
    };
    service = await createService(config, logger, context, undefined, {
      ...(options.slackTuning && { slack: options.slackTuning }),
    });
    flux = new SimulatedFlux(
      service,
      github,
      new SimulatedCluster(cloudflare, settings),
      options.fluxDelayMs ?? 3000,
      logger,
    );
    const { url } = await service.start({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
    flux.start();
    const running = service;
    const simulated = flux;
    return {
      service: running,
      github,
      cloudflare,
      settings,
      ageIdentity: key.identity,
      githubToken: GITHUB_TOKEN,
      cloudflareUrl: baseURL,
      url,
      async stop() {
        simulated.stop();
        await running.stop();
        await cloudflare.stop();
        await github.close();
      },
    };
  } catch (error) {
    flux?.stop();
    await service?.stop().catch(() => undefined);
    await cloudflare.stop().catch(() => undefined);
    await github.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Flux and cloudflared, simulated from the fake GitHub's own record of merges (read in memory, so watching costs
 * the service nothing): each merged PR is "applied" after a delay. The merged tree's tunnels get a running
 * cloudflared and the others lose theirs (`SimulatedCluster`), then the service hears kustomize-controller's ReconciliationSucceeded
 * for the merge commit, as the real notification-controller would post it.
 */
class SimulatedFlux {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Set<number>();
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly service: Service,
    private readonly github: FakeGitHub,
    private readonly cluster: SimulatedCluster,
    private readonly delayMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), FLUX_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  private poll(): void {
    for (let number = 1; ; number += 1) {
      const pull = this.github.pull(number);
      if (!pull) return;
      if (!pull.mergeCommitSha || this.seen.has(number)) continue;
      this.seen.add(number);
      const sha = pull.mergeCommitSha;
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        void this.apply(number, sha);
      }, this.delayMs);
      this.pending.add(timer);
    }
  }

  private async apply(number: number, sha: string): Promise<void> {
    try {
      // cloudflared starts for every tunnel the merged tree routes, and stops for one it no longer does.
      this.cluster.apply(await this.service.context.git.readSnapshot(sha));
      const event = parseFluxEvent(
        JSON.stringify({
          involvedObject: {
            kind: 'Kustomization',
            namespace: 'flux-system',
            name: 'apps',
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          },
          severity: 'info',
          timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          message: 'Reconciliation finished in 1.2s, next run in 10m0s',
          reason: 'ReconciliationSucceeded',
          metadata: { revision: `main@sha1:${sha}`, commit_status: 'update' },
          reportingController: 'kustomize-controller',
        }),
      );
      this.logger.info({ sha, pr: number }, 'simulated Flux applied a merge');
      await this.service.requests.onFluxEvent(event);
    } catch (error) {
      this.logger.warn({ err: asTunnelbotError(error) }, 'simulated Flux could not report');
    }
  }
}
