import { announceStandIn, type StandInSecret } from '../watch.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  AppsConnectionsOpenResponse,
  AuthTestResponse,
  ChatDeleteResponse,
  ChatPostEphemeralResponse,
  ChatPostMessageResponse,
  ChatUpdateResponse,
  UsergroupsUsersListResponse,
  UsersInfoResponse,
  ViewsOpenResponse,
} from '@slack/web-api';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { findButtons } from './buttons.js';
import { deliveryHeaders, postToApp, slackHttpRequest } from './http-delivery.js';
import { renderMessage, type RenderableMessage } from './render.js';
import type {
  Envelope,
  FakeBlockActionElement,
  FakeBlockActionInput,
  FakeClickButtonInput,
  FakeEventInput,
  FakeResponseUrlPost,
  FakeSlackCall,
  FakeSlackEphemeral,
  FakeSlackMessage,
  FakeSlackOptions,
  FakeSlackUser,
  FakeSlackView,
  FakeSlashCommandFields,
  FakeSocketAck,
  FakeSubmitViewInput,
} from './types.js';
import {
  checkedView,
  checkErrorsAnswer,
  checkModalView,
  submissionState,
  withEmoji,
  withGeneratedIds,
} from './views.js';
import {
  arrayArg,
  bearerToken,
  contentError,
  isRecord,
  parseArgs,
  rawDataToString,
  readBody,
  readMetadata,
  stringArg,
  withoutToken,
  withWarning,
} from './wire.js';

export { checkBlockKit, type BlockKitSurface } from './block-kit.js';
export { FakeSlackDeliveryError, type HttpDeliveryTarget } from './http-delivery.js';
export { decodeMrkdwn, renderMessage, type RenderableMessage, type UserLookup } from './render.js';
export { signSlackRequest } from './signing.js';
export type {
  FakeBlockActionElement,
  FakeBlockActionInput,
  FakeClickButtonInput,
  FakeEventInput,
  FakeResponseUrlPost,
  FakeSlackCall,
  FakeSlackDelivery,
  FakeSlackEphemeral,
  FakeSlackMessage,
  FakeSlackOptions,
  FakeSlackUser,
  FakeSlackView,
  FakeSlashCommandFields,
  FakeSocketAck,
  FakeSubmitViewInput,
  MessageMetadata,
} from './types.js';
export { checkModalView, type FakeViewValue } from './views.js';

type ChatPostMessageResponseMessage = NonNullable<ChatPostMessageResponse['message']>;
type ChatUpdateMessage = NonNullable<ChatUpdateResponse['message']>;

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** No answer: the connection is cut, or left open until the client gives up. */
  drop?: 'reset' | 'hang';
}

/** What an injected fault does to a Web API call instead of its effect: an HTTP error, no answer, a cut connection. */
export type FakeSlackFault = { kind: 'status'; status: number } | { kind: 'hang' } | { kind: 'reset' };

type Fault =
  | { kind: 'error'; error: string; remaining: number }
  | { kind: 'ratelimit'; retryAfterSeconds: number; remaining: number }
  | { kind: 'transport'; fault: FakeSlackFault; remaining: number };

interface Trigger {
  readonly userId: string;
  readonly issuedAt: number;
  used: boolean;
}

interface ViewRecord {
  readonly view: FakeSlackView;
  /** The view as `views.open` answered it, kept for the `view` of submissions. */
  source: Record<string, unknown>;
  hash: string;
  readonly rootViewId: string;
  readonly previousViewId: string | null;
  open: boolean;
}

interface AckWaiter {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const FIRST_TS_SECONDS = 1_700_000_000;
const TS_STEP_MICROS = 100;
const RESPONSE_URL_MAX_USES = 5;
const TRIGGER_LIFETIME_MS = 3000;

/**
 * A local stand-in for the parts of Slack tunnelbot talks to: the Web API methods it calls (under `/api/`, for
 * `slackApiUrl`), `response_url`s, and a Socket Mode WebSocket reached through `apps.connections.open`. Tests drive
 * the app side (slash commands, button clicks, modal submissions, events) through methods and read every call
 * back; in HTTP mode the same payloads are POSTed, signed, to the app's Request URL instead. Faults and workspace
 * facts (channels, user groups) are set through methods, never over HTTP, so nothing reachable on the port can
 * change the fake's behaviour.
 */
export class FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  readonly messages: FakeSlackMessage[] = [];
  readonly ephemerals: FakeSlackEphemeral[] = [];
  readonly responseUrlPosts: FakeResponseUrlPost[] = [];
  readonly acks: FakeSocketAck[] = [];
  /** Messages `chat.delete` removed from `messages`, in the order they were deleted. */
  readonly deleted: FakeSlackMessage[] = [];
  readonly views: FakeSlackView[] = [];

  private readonly options: Required<Omit<FakeSlackOptions, 'users'>>;
  private readonly users = new Map<string, FakeSlackUser>();
  private readonly channels = new Map<string, { member: boolean; name: string | undefined }>();
  private readonly userGroups = new Map<string, readonly string[]>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly viewRecords = new Map<string, ViewRecord>();
  private readonly faults = new Map<string, Fault>();
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly ackWaiters = new Map<string, AckWaiter[]>();
  private readonly responseUrlUses = new Map<string, number>();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  /**
   * Minimum time to answer a Web API or response_url request; the round-trip benchmark gives every fake the same
   * latency and turns the wall time it adds into a count of sequential round trips.
   */
  latencyMs = 0;
  private connectionsAccepted = 0;
  private tsCounter = 0;
  private idCounter = 0;
  private baseUrl = '';

  constructor(options: FakeSlackOptions) {
    this.options = {
      teamId: 'T0FAKE0001',
      teamDomain: 'fake-workspace',
      appId: 'A0FAKE0001',
      botId: 'B0FAKE0001',
      botUserId: 'U0FAKEBOT1',
      ackTimeoutMs: 3000,
      userGroupsUnavailable: false,
      delivery: { mode: 'socket' },
      now: Date.now,
      ...options,
    };
    for (const user of options.users ?? []) this.addUser(user);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.wss.on('connection', (socket) => this.onSocket(socket));
  }

  async start(): Promise<{ apiUrl: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    announceStandIn({ kind: 'slack', fake: this });
    return { apiUrl: `${this.baseUrl}/api/` };
  }

  /** The credentials this Slack holds, which the service must never show anyone. */
  secrets(): StandInSecret[] {
    const delivery = this.options.delivery;
    return [
      { kind: 'Slack bot token', value: this.options.botToken },
      { kind: 'Slack app token', value: this.options.appToken },
      ...(delivery.mode === 'http' ? [{ kind: 'Slack signing secret', value: delivery.signingSecret }] : []),
    ];
  }

  async stop(): Promise<void> {
    for (const [envelopeId, waiters] of this.ackWaiters) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`FakeSlack stopped before envelope ${envelopeId} was acked`));
      }
    }
    this.ackWaiters.clear();
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  addUser(user: FakeSlackUser): void {
    if (!user.id) throw new Error('FakeSlack.addUser needs a user with an id');
    this.users.set(user.id, user);
  }

  /** Members of the user group (`S…`) that `usergroups.users.list` answers. */
  addUserGroup(id: string, members: string[]): void {
    this.userGroups.set(id, [...members]);
  }

  /**
   * Makes the workspace's channels known. Until the first is added every channel id is accepted; from then on
   * posting to an unknown one is `channel_not_found`, and to one the bot is not in (`member: false`)
   * `not_in_channel`, as Slack answers a bot without `chat:write.public`.
   */
  addChannel(id: string, options: { member?: boolean; name?: string } = {}): void {
    this.channels.set(id, { member: options.member ?? true, name: options.name });
  }

  /** The replies in the thread under `ts`, oldest first (the parent itself is not included). */
  threadOf(ts: string): FakeSlackMessage[] {
    return this.messages.filter((message) => message.threadTs === ts && message.ts !== ts);
  }

  /** `renderMessage` with the fake's users, so mentions read `@name`. */
  render(message: RenderableMessage): string {
    return renderMessage(message, (id) => {
      const user = this.users.get(id);
      return user?.name ?? user?.real_name;
    });
  }

  /** A `response_url` on the fake; posts to it are recorded in `responseUrlPosts` under this id. */
  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${encodeURIComponent(id)}`;
  }

  /** The next `times` calls of `method` answer `{ok:false, error}` without taking effect. */
  failNext(method: string, error: string, times = 1): void {
    this.faults.set(method, { kind: 'error', error, remaining: times });
  }

  /** The next `times` calls of `method` answer HTTP 429 with `Retry-After`, without taking effect. */
  rateLimit(method: string, retryAfterSeconds: number, times = 1): void {
    this.faults.set(method, { kind: 'ratelimit', retryAfterSeconds, remaining: times });
  }

  /** The next `times` calls of `method` meet `fault` (an HTTP 5xx, no answer, a reset) without taking effect. */
  injectFault(method: string, fault: FakeSlackFault, times = 1): void {
    this.faults.set(method, { kind: 'transport', fault, remaining: times });
  }

  /** Injected faults no call has met yet: a test knows its fault was reached. */
  get pendingFaults(): number {
    return [...this.faults.values()].reduce((sum, fault) => sum + fault.remaining, 0);
  }

  callsOf(method: string): FakeSlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** WebSocket connections accepted since start, each through its own `apps.connections.open` ticket. */
  get socketConnectionsOpened(): number {
    return this.connectionsAccepted;
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  sendSlashCommand(fields: FakeSlashCommandFields = {}): Promise<unknown> {
    return this.dispatch(this.envelope('slash_commands', true, this.slashCommandPayload(fields)));
  }

  /**
   * HTTP mode: the signed POST Slack would send for a slash command, built (the trigger issued, the signature of
   * now) but not sent, for a load generator that writes it to the app itself and times only the round trip.
   */
  prepareSlashCommand(fields: FakeSlashCommandFields = {}): {
    url: string;
    body: string;
    headers: Record<string, string>;
  } {
    const delivery = this.options.delivery;
    if (delivery.mode !== 'http') throw new Error('FakeSlack prepares HTTP deliveries only in HTTP mode');
    const request = slackHttpRequest(this.envelope('slash_commands', true, this.slashCommandPayload(fields)));
    return { url: delivery.url, body: request.body, headers: deliveryHeaders(delivery, request) };
  }

  async sendBlockAction(input: FakeBlockActionInput): Promise<unknown> {
    return this.dispatch(this.envelope('interactive', false, this.blockActionPayload(input)));
  }

  /**
   * Clicks the button with `actionId` on a message as it stands now (after any `chat.update`), sending the
   * block_actions payload Slack would: the button's value, block_id and text. Rejects when the message has no
   * such button, so a test cannot click what a person could not see.
   */
  async clickButton(input: FakeClickButtonInput): Promise<unknown> {
    const message = this.messages.find((m) => m.ts === input.messageTs);
    const ephemeral = this.ephemerals.find((m) => m.messageTs === input.messageTs);
    if (!message && !ephemeral) {
      throw new Error(`FakeSlack has no message with ts ${input.messageTs} to click ${input.actionId} on`);
    }
    const buttons = findButtons((message ?? ephemeral)?.blocks ?? [], input.messageTs);
    const button = buttons.find((candidate) => candidate.element.action_id === input.actionId);
    if (!button) {
      const present = buttons.map((candidate) => String(candidate.element.action_id)).join(', ') || 'none';
      throw new Error(
        `message ${input.messageTs} has no button with action_id ${input.actionId} (its buttons: ${present})`,
      );
    }
    const action: FakeBlockActionElement = {
      type: 'button',
      action_id: input.actionId,
      block_id: button.blockId,
      text: withEmoji(button.element.text) as FakeBlockActionElement['text'],
    };
    if (typeof button.element.value === 'string') action.value = button.element.value;
    return this.sendBlockAction({
      message_ts: input.messageTs,
      actions: [action],
      user_id: input.userId,
      user_name: input.userName,
    });
  }

  /**
   * Submits an open modal with what the person entered, as a `view_submission` payload; resolves with the ack.
   * An empty ack closes the modal, `response_action: 'errors'` keeps it open, `'update'` replaces it, `'push'`
   * opens another on top and `'clear'` closes them all, as in Slack.
   */
  async submitView(input: FakeSubmitViewInput): Promise<unknown> {
    const record = this.viewRecords.get(input.viewId);
    if (!record) throw new Error(`FakeSlack never opened a view ${input.viewId}`);
    if (!record.open) throw new Error(`view ${input.viewId} is closed and cannot be submitted`);
    const userId = input.userId ?? record.view.userId;
    if (userId !== record.view.userId) {
      throw new Error(
        `view ${input.viewId} was opened for ${record.view.userId}; ${userId} cannot submit it`,
      );
    }
    const values = submissionState(record.view.id, record.view.blocks, input.values);
    const payload = this.viewSubmissionPayload(record, userId, values);
    const ack = await this.dispatch(this.envelope('interactive', true, payload));
    this.afterSubmission(record, ack);
    return ack;
  }

  sendEvent(input: FakeEventInput): Promise<unknown> {
    return this.dispatch(this.envelope('events_api', false, this.eventPayload(input)));
  }

  /**
   * Delivers one event envelope twice, as Slack does when it did not see the first ack in time: same
   * `envelope_id` and `event_id`, the second with `retry_attempt: 1`. Resolves with both acks.
   */
  async sendEventTwice(input: FakeEventInput): Promise<[unknown, unknown]> {
    const first = this.envelope('events_api', false, this.eventPayload(input));
    const retry: Envelope = { ...first, retry_attempt: 1, retry_reason: 'timeout' };
    return Promise.all([this.dispatch(first), this.dispatch(retry)]);
  }

  /** Delivers one slash command envelope twice (same `envelope_id`); resolves with both acks. */
  async sendSlashCommandTwice(fields: FakeSlashCommandFields = {}): Promise<[unknown, unknown]> {
    const envelope = this.envelope('slash_commands', true, this.slashCommandPayload(fields));
    return Promise.all([this.dispatch(envelope), this.dispatch(envelope)]);
  }

  /** Cuts every WebSocket without a goodbye, as a network failure or a crashed Slack server would. */
  dropSockets(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** Asks every connected client to reconnect, as Slack does before recycling a server. */
  disconnect(reason: string): void {
    const frame = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-slack' } });
    for (const socket of this.sockets) socket.send(frame);
  }

  private slashCommandPayload(fields: FakeSlashCommandFields): Record<string, string> {
    const userId = fields.user_id ?? 'U0FAKEUSR1';
    const channelId = fields.channel_id ?? 'C0FAKECHN1';
    return {
      token: 'fake-verification-token',
      team_id: this.options.teamId,
      team_domain: this.options.teamDomain,
      channel_id: channelId,
      channel_name: fields.channel_name ?? this.channelName(channelId),
      user_id: userId,
      user_name: fields.user_name ?? this.users.get(userId)?.name ?? 'someone',
      command: fields.command ?? '/expose',
      text: fields.text ?? '',
      api_app_id: this.options.appId,
      is_enterprise_install: 'false',
      response_url: fields.response_url ?? this.responseUrl(this.nextId('cmd')),
      trigger_id: this.issueTrigger(userId, fields.trigger_id),
    };
  }

  private envelope(type: Envelope['type'], acceptsResponsePayload: boolean, payload: unknown): Envelope {
    const envelope: Envelope = {
      envelope_id: randomUUID(),
      type,
      accepts_response_payload: acceptsResponsePayload,
      payload,
    };
    if (type === 'events_api') {
      envelope.retry_attempt = 0;
      envelope.retry_reason = '';
    }
    return envelope;
  }

  private blockActionPayload(input: FakeBlockActionInput): Record<string, unknown> {
    const userId = input.user_id ?? 'U0FAKEUSR1';
    const message = this.messages.find((m) => m.ts === input.message_ts);
    const ephemeral = this.ephemerals.find((m) => m.messageTs === input.message_ts);
    const channelId = message?.channel ?? ephemeral?.channel;
    if (channelId === undefined) {
      throw new Error(`FakeSlack never posted a message with ts ${input.message_ts} to click a button on`);
    }
    const threadTs = message?.threadTs ?? ephemeral?.threadTs;
    const actionTs = this.nextTs();
    const payload: Record<string, unknown> = {
      type: 'block_actions',
      user: {
        id: userId,
        username: input.user_name ?? this.users.get(userId)?.name ?? 'someone',
        team_id: this.options.teamId,
      },
      api_app_id: this.options.appId,
      token: 'fake-verification-token',
      container: {
        type: 'message',
        message_ts: input.message_ts,
        channel_id: channelId,
        is_ephemeral: message === undefined,
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      },
      trigger_id: this.issueTrigger(userId),
      team: { id: this.options.teamId, domain: this.options.teamDomain },
      channel: { id: channelId, name: this.channelName(channelId) },
      state: { values: {} },
      response_url: input.response_url ?? this.responseUrl(this.nextId('action')),
      actions: input.actions.map((action) => ({
        type: action.type ?? 'button',
        block_id: action.block_id ?? 'actions',
        text: action.text ?? { type: 'plain_text', text: action.action_id },
        ...action,
        action_ts: actionTs,
      })),
    };
    if (message) payload.message = this.messageObject(message);
    return payload;
  }

  private viewSubmissionPayload(
    record: ViewRecord,
    userId: string,
    values: Record<string, unknown>,
  ): Record<string, unknown> {
    const name = this.users.get(userId)?.name ?? 'someone';
    return {
      type: 'view_submission',
      team: { id: this.options.teamId, domain: this.options.teamDomain },
      user: { id: userId, username: name, name, team_id: this.options.teamId },
      api_app_id: this.options.appId,
      token: 'fake-verification-token',
      trigger_id: this.issueTrigger(userId),
      view: this.viewObject(record, values),
      response_urls: [],
      is_enterprise_install: false,
    };
  }

  private afterSubmission(record: ViewRecord, ack: unknown): void {
    const answer = isRecord(ack) ? ack : {};
    switch (answer.response_action) {
      case 'errors':
        checkErrorsAnswer(record.view.id, record.view.blocks, answer.errors);
        return;
      case 'update':
        this.replaceView(record, checkedView(answer.view, 'update'));
        return;
      case 'push':
        this.openView(checkedView(answer.view, 'push'), record.view.userId, record);
        return;
      case 'clear':
        for (const other of this.viewRecords.values()) {
          if (other.rootViewId === record.rootViewId) other.open = false;
        }
        return;
      default:
        record.open = false;
    }
  }

  private eventPayload(input: FakeEventInput): Record<string, unknown> {
    return {
      token: 'fake-verification-token',
      team_id: this.options.teamId,
      api_app_id: this.options.appId,
      event: input.event,
      type: 'event_callback',
      event_id: input.event_id ?? this.nextId('Ev'),
      event_time: input.event_time ?? FIRST_TS_SECONDS,
      authorizations: [
        {
          team_id: this.options.teamId,
          user_id: this.options.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  private dispatch(envelope: Envelope): Promise<unknown> {
    const delivery = this.options.delivery;
    if (delivery.mode === 'socket') return this.deliver(envelope);
    return postToApp(delivery, slackHttpRequest(envelope), this.options.ackTimeoutMs);
  }

  private deliver(envelope: Envelope): Promise<unknown> {
    const socket = [...this.sockets].at(-1);
    if (!socket) {
      return Promise.reject(new Error(`FakeSlack has no Socket Mode connection to deliver ${envelope.type}`));
    }
    return new Promise<unknown>((resolve, reject) => {
      const waiters = this.ackWaiters.get(envelope.envelope_id) ?? [];
      const timer = setTimeout(() => {
        const remaining = (this.ackWaiters.get(envelope.envelope_id) ?? []).filter((w) => w !== waiter);
        if (remaining.length > 0) this.ackWaiters.set(envelope.envelope_id, remaining);
        else this.ackWaiters.delete(envelope.envelope_id);
        reject(
          new Error(
            `no ack for ${envelope.type} envelope ${envelope.envelope_id} within ${this.options.ackTimeoutMs} ms`,
          ),
        );
      }, this.options.ackTimeoutMs);
      const waiter: AckWaiter = { resolve, reject, timer };
      waiters.push(waiter);
      this.ackWaiters.set(envelope.envelope_id, waiters);
      socket.send(JSON.stringify(envelope));
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket');
    if (url.pathname !== '/link/' || ticket === null || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  private onSocket(socket: WebSocket): void {
    this.connectionsAccepted += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('message', (data) => this.onFrame(data));
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
  }

  private onFrame(data: RawData): void {
    let frame: unknown;
    try {
      frame = JSON.parse(rawDataToString(data));
    } catch {
      return;
    }
    if (!isRecord(frame) || typeof frame.envelope_id !== 'string') return;
    const envelopeId = frame.envelope_id;
    this.acks.push({ envelopeId, payload: frame.payload });
    const waiters = this.ackWaiters.get(envelopeId);
    const waiter = waiters?.shift();
    if (!waiter) return;
    if (waiters && waiters.length === 0) this.ackWaiters.delete(envelopeId);
    clearTimeout(waiter.timer);
    waiter.resolve(frame.payload);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    const startedAt = performance.now();
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = await readBody(req);
      if (req.method === 'POST' && url.pathname.startsWith('/respond/')) {
        reply = this.respond(decodeURIComponent(url.pathname.slice('/respond/'.length)), raw);
      } else if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
        reply = this.api(url.pathname.slice('/api/'.length), req, raw);
      } else {
        reply = { status: 404, body: { ok: false, error: 'unknown_method' } };
      }
    } catch (error) {
      reply = { status: 500, body: { ok: false, error: 'fatal_error', detail: String(error) } };
    }
    if (reply.drop === 'reset') {
      req.socket.destroy();
      return;
    }
    if (reply.drop === 'hang') {
      await new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
      return;
    }
    const remaining = this.latencyMs - (performance.now() - startedAt);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  private respond(id: string, raw: string): Reply {
    const uses = (this.responseUrlUses.get(id) ?? 0) + 1;
    this.responseUrlUses.set(id, uses);
    if (uses > RESPONSE_URL_MAX_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    }
    const refused = isRecord(body) ? contentError(body) : undefined;
    if (refused) return { status: 400, body: refused };
    this.responseUrlPosts.push({ id, body });
    return { status: 200, body: { ok: true } };
  }

  private api(method: string, req: IncomingMessage, raw: string): Reply {
    const parsed = parseArgs(req.headers['content-type'] ?? '', raw);
    const args = parsed.ok ? parsed.args : {};
    const record = (outcome: string): void => {
      this.calls.push({ method, args: withoutToken(args), outcome });
    };
    if (!parsed.ok) {
      record(parsed.error);
      return platformError(parsed.error);
    }
    const handler = this.methodHandler(method);
    if (!handler) {
      record('unknown_method');
      return { status: 404, body: { ok: false, error: 'unknown_method' } };
    }
    const authError = this.checkToken(method, bearerToken(req) ?? stringArg(args, 'token'));
    if (authError) {
      record(authError);
      return platformError(authError);
    }
    const fault = this.takeFault(method);
    if (fault?.kind === 'ratelimit') {
      record('ratelimited');
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(fault.retryAfterSeconds) },
      };
    }
    if (fault?.kind === 'error') {
      record(fault.error);
      return platformError(fault.error);
    }
    if (fault?.kind === 'transport') {
      const { fault: injected } = fault;
      record(injected.kind === 'status' ? `http_${injected.status}` : injected.kind);
      if (injected.kind !== 'status') return { status: 0, body: undefined, drop: injected.kind };
      return { status: injected.status, body: { ok: false, error: 'fatal_error' } };
    }
    const body = handler(args);
    record(body.ok === true ? 'ok' : String(body.error));
    return { status: 200, body };
  }

  private methodHandler(method: string): ((args: Record<string, unknown>) => ApiBody) | undefined {
    switch (method) {
      case 'auth.test':
        return () => this.authTest();
      case 'chat.postMessage':
        return (args) => this.postMessage(args);
      case 'chat.update':
        return (args) => this.update(args);
      case 'chat.postEphemeral':
        return (args) => this.postEphemeral(args);
      case 'chat.delete':
        return (args) => this.deleteMessage(args);
      case 'views.open':
        return (args) => this.viewsOpen(args);
      case 'usergroups.users.list':
        return (args) => this.userGroupMembers(args);
      case 'users.info':
        return (args) => this.usersInfo(args);
      case 'apps.connections.open':
        return () => this.connectionsOpen();
      default:
        return undefined;
    }
  }

  private checkToken(method: string, token: string | undefined): string | undefined {
    if (!token) return 'not_authed';
    const wanted = method === 'apps.connections.open' ? this.options.appToken : this.options.botToken;
    if (token === wanted) return undefined;
    if (token === this.options.appToken || token === this.options.botToken) return 'not_allowed_token_type';
    return 'invalid_auth';
  }

  private takeFault(method: string): Fault | undefined {
    const fault = this.faults.get(method);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.delete(method);
    return fault;
  }

  private authTest(): AuthTestResponse {
    return {
      ok: true,
      url: `https://${this.options.teamDomain}.slack.com/`,
      team: this.options.teamDomain,
      user: 'tunnelbot',
      team_id: this.options.teamId,
      user_id: this.options.botUserId,
      bot_id: this.options.botId,
      is_enterprise_install: false,
    };
  }

  private postMessage(args: Record<string, unknown>): ChatPostMessageResponse {
    const channel = stringArg(args, 'channel');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const unreachable = this.channelError(channel);
    if (unreachable) return { ok: false, error: unreachable };
    const text = stringArg(args, 'text');
    const blocks = arrayArg(args, 'blocks');
    if (!text && !blocks && !arrayArg(args, 'attachments')) return { ok: false, error: 'no_text' };
    const refused = contentError(args);
    if (refused) return refused;
    const { metadata, warning } = readMetadata(args);
    const message: FakeSlackMessage = {
      channel,
      ts: this.nextTs(),
      text,
      blocks,
      metadata,
      threadTs: stringArg(args, 'thread_ts'),
      edits: 0,
    };
    this.messages.push(message);
    return withWarning({ ok: true, channel, ts: message.ts, message: this.messageObject(message) }, warning);
  }

  private update(args: Record<string, unknown>): ChatUpdateResponse {
    const channel = stringArg(args, 'channel');
    const ts = stringArg(args, 'ts');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const message = ts === undefined ? undefined : this.findMessage(channel, ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    const text = stringArg(args, 'text');
    const blocks = arrayArg(args, 'blocks');
    if (text === undefined && blocks === undefined) return { ok: false, error: 'no_text' };
    const refused = contentError(args);
    if (refused) return refused;
    const { metadata, warning } = readMetadata(args);
    if (text !== undefined) message.text = text;
    // An empty list clears the blocks, which is how a message loses its buttons.
    if (Array.isArray(args.blocks)) message.blocks = blocks;
    if (metadata !== undefined) message.metadata = metadata;
    message.edits += 1;
    const updated: ChatUpdateMessage = {
      type: 'message',
      user: this.options.botUserId,
      bot_id: this.options.botId,
      app_id: this.options.appId,
      team: this.options.teamId,
      text: message.text ?? '',
    };
    if (message.blocks) updated.blocks = message.blocks as ChatUpdateMessage['blocks'];
    if (message.metadata) updated.metadata = message.metadata as ChatUpdateMessage['metadata'];
    return withWarning(
      { ok: true, channel, ts: message.ts, text: message.text ?? '', message: updated },
      warning,
    );
  }

  private postEphemeral(args: Record<string, unknown>): ChatPostEphemeralResponse {
    const channel = stringArg(args, 'channel');
    const user = stringArg(args, 'user');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const unreachable = this.channelError(channel);
    if (unreachable) return { ok: false, error: unreachable };
    if (!user) return { ok: false, error: 'user_not_in_channel' };
    const text = stringArg(args, 'text');
    const blocks = arrayArg(args, 'blocks');
    if (!text && !blocks && !arrayArg(args, 'attachments')) return { ok: false, error: 'no_text' };
    const refused = contentError(args);
    if (refused) return refused;
    const messageTs = this.nextTs();
    this.ephemerals.push({ channel, user, messageTs, text, blocks, threadTs: stringArg(args, 'thread_ts') });
    return { ok: true, message_ts: messageTs };
  }

  private deleteMessage(args: Record<string, unknown>): ChatDeleteResponse {
    const channel = stringArg(args, 'channel');
    const ts = stringArg(args, 'ts');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const message = ts === undefined ? undefined : this.findMessage(channel, ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    this.messages.splice(this.messages.indexOf(message), 1);
    this.deleted.push(message);
    return { ok: true, channel, ts: message.ts };
  }

  private viewsOpen(args: Record<string, unknown>): ViewsOpenResponse {
    const triggerId = stringArg(args, 'trigger_id');
    const trigger = triggerId === undefined ? undefined : this.triggers.get(triggerId);
    if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger.used) return { ok: false, error: 'exchanged_trigger_id' };
    if (this.options.now() - trigger.issuedAt >= TRIGGER_LIFETIME_MS)
      return { ok: false, error: 'expired_trigger_id' };
    const problems = checkModalView(args.view);
    if (problems.length > 0) {
      // views.* report a view Slack refuses, blocks included, as invalid arguments.
      return {
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) },
      };
    }
    trigger.used = true;
    const record = this.openView(args.view as Record<string, unknown>, trigger.userId);
    return { ok: true, view: this.viewObject(record, {}) as ViewsOpenResponse['view'] };
  }

  private userGroupMembers(args: Record<string, unknown>): UsergroupsUsersListResponse {
    if (this.options.userGroupsUnavailable) return { ok: false, error: 'plan_upgrade_required' };
    const id = stringArg(args, 'usergroup');
    const members = id === undefined ? undefined : this.userGroups.get(id);
    if (!members) return { ok: false, error: 'no_such_subteam' };
    return { ok: true, users: [...members] };
  }

  private usersInfo(args: Record<string, unknown>): UsersInfoResponse {
    const id = stringArg(args, 'user');
    const user = id === undefined ? undefined : this.users.get(id);
    if (!user) return { ok: false, error: 'user_not_found' };
    return { ok: true, user };
  }

  private connectionsOpen(): AppsConnectionsOpenResponse {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    const wsBase = this.baseUrl.replace(/^http/, 'ws');
    return { ok: true, url: `${wsBase}/link/?ticket=${ticket}&app_id=${this.options.appId}` };
  }

  private channelError(channel: string): string | undefined {
    if (this.channels.size === 0) return undefined;
    const known = this.channels.get(channel);
    if (!known) return 'channel_not_found';
    return known.member ? undefined : 'not_in_channel';
  }

  private channelName(channel: string): string {
    return this.channels.get(channel)?.name ?? 'ops';
  }

  /** A trigger id as Slack issues one with every interaction, usable once for `views.open` within 3 s. */
  private issueTrigger(userId: string, given?: string): string {
    const id = given ?? `${this.nextTs().replace('.', '')}.${randomBytes(10).toString('hex')}`;
    this.triggers.set(id, { userId, issuedAt: this.options.now(), used: false });
    return id;
  }

  private openView(source: Record<string, unknown>, userId: string, previous?: ViewRecord): ViewRecord {
    const id = this.nextId('V');
    const view: FakeSlackView = { id, callbackId: '', privateMetadata: '', blocks: [], userId, title: '' };
    const record: ViewRecord = {
      view,
      source,
      hash: '',
      rootViewId: previous?.rootViewId ?? id,
      previousViewId: previous?.view.id ?? null,
      open: true,
    };
    this.replaceView(record, source);
    this.views.push(view);
    this.viewRecords.set(id, record);
    return record;
  }

  private replaceView(record: ViewRecord, source: Record<string, unknown>): void {
    const blocks = withGeneratedIds(Array.isArray(source.blocks) ? source.blocks : [], () =>
      randomBytes(3).toString('base64url'),
    );
    record.source = { ...source, blocks };
    record.hash = `${Math.floor(this.options.now() / 1000)}.${randomBytes(4).toString('hex')}`;
    record.view.callbackId = typeof source.callback_id === 'string' ? source.callback_id : '';
    record.view.privateMetadata = typeof source.private_metadata === 'string' ? source.private_metadata : '';
    record.view.blocks = blocks;
    record.view.title = isRecord(source.title) ? String(source.title.text) : '';
  }

  /** The view object Slack answers `views.open` with and puts in submissions. */
  private viewObject(record: ViewRecord, values: Record<string, unknown>): Record<string, unknown> {
    const { source, view } = record;
    return {
      id: view.id,
      team_id: this.options.teamId,
      type: 'modal',
      blocks: view.blocks,
      private_metadata: view.privateMetadata,
      callback_id: view.callbackId,
      state: { values },
      hash: record.hash,
      title: withEmoji(source.title),
      clear_on_close: source.clear_on_close === true,
      notify_on_close: source.notify_on_close === true,
      close: source.close === undefined ? null : withEmoji(source.close),
      submit: source.submit === undefined ? null : withEmoji(source.submit),
      previous_view_id: record.previousViewId,
      root_view_id: record.rootViewId,
      app_id: this.options.appId,
      external_id: typeof source.external_id === 'string' ? source.external_id : '',
      app_installed_team_id: this.options.teamId,
      bot_id: this.options.botId,
    };
  }

  private findMessage(channel: string, ts: string): FakeSlackMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  private messageObject(message: FakeSlackMessage): ChatPostMessageResponseMessage {
    const object: ChatPostMessageResponseMessage = {
      type: 'message',
      user: this.options.botUserId,
      bot_id: this.options.botId,
      app_id: this.options.appId,
      team: this.options.teamId,
      text: message.text ?? '',
      ts: message.ts,
    };
    if (message.blocks) object.blocks = message.blocks as ChatPostMessageResponseMessage['blocks'];
    if (message.metadata) object.metadata = message.metadata as ChatPostMessageResponseMessage['metadata'];
    if (message.threadTs) {
      object.thread_ts = message.threadTs;
      // Every message in the fake is the bot's, so a known parent is the bot's too.
      if (this.findMessage(message.channel, message.threadTs)) object.parent_user_id = this.options.botUserId;
    }
    return object;
  }

  /** Slack's `ts`: seconds, a dot and six digits, unique and increasing within the workspace. */
  private nextTs(): string {
    this.tsCounter += 1;
    const micros = this.tsCounter * TS_STEP_MICROS;
    const seconds = FIRST_TS_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}${String(this.idCounter).padStart(8, '0')}`;
  }
}

interface ApiBody {
  ok?: boolean;
  error?: string;
}

function platformError(error: string): Reply {
  return { status: 200, body: { ok: false, error } };
}
