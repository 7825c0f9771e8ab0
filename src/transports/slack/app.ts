import type { Receiver } from '@slack/bolt';
import type { Logger as SlackLogger } from '@slack/logger';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { FastifyPluginAsync } from 'fastify';
import { TunnelbotError, asTunnelbotError, isTunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { RequestService } from '../../requests/service.js';
import type { Readiness } from '../http/readiness.js';
import { App, LogLevel, SocketModeReceiver } from './bolt.js';
import { SlackHttpReceiver } from './http-receiver.js';
import { registerListeners } from './listeners.js';
import { slackCallError } from './web-api-errors.js';

/**
 * The Slack transport: a Bolt app over Socket Mode (default; no inbound port) or HTTP (`/slack/events` inside our
 * fastify server), with the listeners that turn Slack's payloads into request-service calls.
 *
 * Start-up never throws unhandled: initialisation is deferred (`deferInitialization`) and run here with a retry and
 * backoff; a token Slack refuses is fatal and named (TB_ERR_SLACK_AUTH), an unreachable Slack is retried until it
 * answers, and `/readyz` shows "slack" ready only once the socket has Slack's hello (or, over HTTP, once Slack
 * accepted the token).
 */

export interface SlackSettings {
  readonly mode: 'socket' | 'http';
  readonly botToken: string;
  readonly appToken?: string;
  readonly signingSecret?: string;
  /** `SLACK_API_URL`: the Web API (and Socket Mode's `apps.connections.open`) somewhere else, e.g. a fake. */
  readonly apiUrl?: string;
}

export interface SlackTransportOptions {
  readonly slack: SlackSettings;
  readonly requests: RequestService;
  readonly logger: Logger;
  readonly readiness?: Readiness;
  /** Web API retries per call (the client honours Retry-After); 2 by default, 0 in tests. */
  readonly retries?: number;
  /** Start-up backoff: first wait and cap. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Socket Mode's wait for a pong and its reconnect step (5 s by default). */
  readonly clientPingTimeoutMs?: number;
  /** How long a Web API call may take (SLACK_CALL_TIMEOUT_MS by default); short in tests of a Slack that hangs. */
  readonly callTimeoutMs?: number;
}

/** Every Web API call gives up after this long; the request service then tells the user Slack is not answering. */
export const SLACK_CALL_TIMEOUT_MS = 10_000;
const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 60_000 };

/** The Web API client options, a fresh object each time: Socket Mode mutates the one it is given. */
export function webClientOptions(options: {
  apiUrl?: string | undefined;
  logger: SlackLogger;
  retries?: number | undefined;
  timeoutMs?: number | undefined;
}): WebClientOptions {
  return {
    ...(options.apiUrl !== undefined && { slackApiUrl: options.apiUrl }),
    logger: options.logger,
    timeout: options.timeoutMs ?? SLACK_CALL_TIMEOUT_MS,
    retryConfig: { retries: options.retries ?? 2, factor: 2, minTimeout: 500, maxTimeout: 5000 },
  };
}

/** The Web API client for the bot token: the request messages go out through it. */
export function createSlackClient(
  slack: SlackSettings,
  logger: Logger,
  retries?: number,
  timeoutMs?: number,
): WebClient {
  return new WebClient(
    slack.botToken,
    webClientOptions({ apiUrl: slack.apiUrl, logger: boltLogger(logger), retries, timeoutMs }),
  );
}

/** pino behind Slack's logger interface; Bolt and the SDKs log strings. */
export function boltLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack-sdk' });
  const text = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : String(part))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => log.debug(text(parts)),
    info: (...parts: unknown[]) => log.debug(text(parts)),
    warn: (...parts: unknown[]) => log.warn(text(parts)),
    error: (...parts: unknown[]) => log.warn(text(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

function missing(variable: string, mode: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_CONFIG', `${variable} is not set; Slack's ${mode} mode needs it.`, {
    fix:
      variable === 'SLACK_APP_TOKEN'
        ? 'Create an app-level token with connections:write (Slack app › Basic Information › App-Level Tokens) and set SLACK_APP_TOKEN.'
        : 'Copy the Signing Secret (Slack app › Basic Information › App Credentials) into SLACK_SIGNING_SECRET.',
  });
}

export class SlackTransport {
  readonly app: App;
  /** HTTP mode: the `/slack/events` plugin to register on the fastify server before `ready()`. */
  readonly httpRoutes: FastifyPluginAsync | undefined;
  private readonly socket: SocketModeReceiver | undefined;
  private readonly log: Logger;
  private stopping = false;
  private started = false;
  private reconnecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SlackTransportOptions) {
    const { slack, logger } = options;
    this.log = logger.child({ component: 'slack' });
    const sdkLogger = boltLogger(logger);
    let receiver: Receiver;
    if (slack.mode === 'socket') {
      if (!slack.appToken) throw missing('SLACK_APP_TOKEN', 'Socket');
      this.socket = new SocketModeReceiver({
        appToken: slack.appToken,
        logger: sdkLogger,
        autoReconnectEnabled: false,
        ...(options.clientPingTimeoutMs !== undefined && { clientPingTimeout: options.clientPingTimeoutMs }),
        // Its own options object: the Socket Mode client overwrites retryConfig on what it is given.
        installerOptions: {
          clientOptions: webClientOptions({
            apiUrl: slack.apiUrl,
            logger: sdkLogger,
            retries: options.retries,
          }),
        },
      });
      receiver = this.socket;
      this.httpRoutes = undefined;
    } else {
      if (!slack.signingSecret) throw missing('SLACK_SIGNING_SECRET', 'HTTP');
      const http = new SlackHttpReceiver({ signingSecret: slack.signingSecret, logger });
      receiver = http;
      this.httpRoutes = http.routes;
      this.socket = undefined;
    }
    this.app = new App({
      token: slack.botToken,
      receiver,
      logger: sdkLogger,
      deferInitialization: true,
      // tunnelbot keeps no per-conversation state in Bolt (a request's state lives in its PR): Bolt's default
      // in-memory conversation store would only cost every event a lookup and an allocation.
      convoStore: false,
      // Bolt's ignoreSelf drops the events a bot's own messages cause; tunnelbot listens to no event, only to
      // commands, buttons and its form, which a person sends: the check would only cost every payload a step.
      ignoreSelf: false,
      clientOptions: webClientOptions({
        apiUrl: slack.apiUrl,
        logger: sdkLogger,
        retries: options.retries,
        timeoutMs: options.callTimeoutMs,
      }),
    });
    registerListeners(this.app, { requests: options.requests, logger });
    options.readiness?.expect('slack');
    this.socket?.client.on('connected', () => this.options.readiness?.set('slack', { ok: true }));
    this.socket?.client.on('disconnected', () => {
      if (this.stopping) return;
      this.options.readiness?.set('slack', { ok: false, reason: 'Socket Mode disconnected' });
      this.onDisconnected();
    });
  }

  /**
   * Checks the token and connects, retrying with backoff while Slack cannot be reached. Resolves once connected;
   * rejects only when retrying cannot help (a token Slack refuses).
   */
  async start(): Promise<void> {
    await this.retrying('connect', () => this.connect(), true);
    this.started = true;
  }

  /**
   * Reconnection is ours, not the SDK's: its own reconnect loop leaves a failed attempt as an unhandled rejection,
   * which would end the process during a Slack outage. Here every attempt is caught and retried with backoff.
   */
  private onDisconnected(): void {
    if (this.stopping || !this.started || this.reconnecting) return;
    this.reconnecting = true;
    void this.retrying('reconnect', () => this.socket!.client.start().then(() => undefined), false).finally(
      () => {
        this.reconnecting = false;
      },
    );
  }

  private async retrying(what: string, attempt: () => Promise<void>, authIsFatal: boolean): Promise<void> {
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    let wait = what === 'reconnect' ? Math.min(backoff.initialMs, 1000) : backoff.initialMs;
    for (let round = 1; !this.stopping; round += 1) {
      try {
        await attempt();
        this.log.info({ mode: this.options.slack.mode, attempt: round }, 'Slack connected');
        if (this.options.slack.mode === 'http') this.options.readiness?.set('slack', { ok: true });
        return;
      } catch (error) {
        const failure = asTunnelbotError(slackCallError('apps.connections.open', error));
        this.options.readiness?.set('slack', { ok: false, reason: failure.message });
        const refused = failure.code === 'TB_ERR_SLACK_AUTH' || failure.kind === 'config';
        if (refused && authIsFatal) throw failure;
        this.log[refused ? 'error' : 'warn'](
          { err: failure, attempt: round, retryInMs: wait },
          `could not ${what} to Slack; retrying`,
        );
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.retryTimer = setTimeout(resolve, wait);
        });
        wait = Math.min(wait * 2, backoff.maxMs);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    try {
      if (this.socket) {
        // Bolt's receiver does not wait for the socket's close handshake; an unfinished one keeps a 30 s timer.
        await this.socket.client.disconnect();
      } else {
        await this.app.stop();
      }
    } catch (error) {
      // Stopping a socket that never connected rejects; there is nothing left to stop then.
      if (!isTunnelbotError(error)) this.log.debug({ err: asTunnelbotError(error) }, 'Slack stop');
    }
  }

  private async connect(): Promise<void> {
    await this.app.init();
    await this.app.start();
  }
}
