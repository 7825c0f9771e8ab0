import type { UsersInfoResponse } from '@slack/web-api';
import type { FakeViewValue } from './views.js';

/** The shapes tests hand to and read from `FakeSlack`. */

export type FakeSlackUser = NonNullable<UsersInfoResponse['user']>;

export interface FakeSlackOptions {
  botToken: string;
  appToken: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botId?: string;
  botUserId?: string;
  users?: readonly FakeSlackUser[];
  /** How long `send*` wait for the client's ack; Slack gives up after 3 s. */
  ackTimeoutMs?: number;
  /** A free workspace: user groups need a paid plan, so `usergroups.users.list` answers `plan_upgrade_required`. */
  userGroupsUnavailable?: boolean;
  /** How payloads reach the app: over the Socket Mode WebSocket (default) or POSTed to its Request URL. */
  delivery?: FakeSlackDelivery;
  /** Milliseconds since the epoch; only trigger ids' 3 s lifetime reads it, so tests can age them. */
  now?: () => number;
}

export type FakeSlackDelivery = { mode: 'socket' } | { mode: 'http'; url: string; signingSecret: string };

/** A modal opened through `views.open`, as it stands now (a submission answered with `update` changes it). */
export interface FakeSlackView {
  readonly id: string;
  callbackId: string;
  privateMetadata: string;
  /** As Slack stores them: every block with a `block_id`, every element with an `action_id`. */
  blocks: unknown[];
  /** The person the trigger id was issued to; only they can submit it. */
  readonly userId: string;
  title: string;
}

export interface FakeSubmitViewInput {
  viewId: string;
  userId?: string;
  /** `block_id` -> `action_id` -> what the person entered; inputs left out keep their initial value. */
  values: Record<string, Record<string, FakeViewValue>>;
}

export interface FakeClickButtonInput {
  /** A message's `ts` (root or reply) or an ephemeral's `message_ts`. */
  messageTs: string;
  actionId: string;
  userId?: string;
  userName?: string;
}

export interface FakeSlackCall {
  readonly method: string;
  /** The arguments as Slack decodes them: form fields, with `blocks`/`attachments`/`metadata` parsed from JSON. */
  readonly args: Readonly<Record<string, unknown>>;
  /** `'ok'`, or the `error` string (`'ratelimited'` for a 429) the fake answered with. */
  readonly outcome: string;
}

export interface FakeSlackMessage {
  readonly channel: string;
  readonly ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  metadata: MessageMetadata | undefined;
  readonly threadTs: string | undefined;
  /** How many times `chat.update` changed the message. */
  edits: number;
}

export interface FakeSlackEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly messageTs: string;
  readonly text: string | undefined;
  readonly blocks: unknown[] | undefined;
  readonly threadTs: string | undefined;
}

export interface FakeResponseUrlPost {
  readonly id: string;
  readonly body: unknown;
}

export interface FakeSocketAck {
  readonly envelopeId: string;
  readonly payload: unknown;
}

/** The form fields Slack sends for a slash command; everything not given gets a plausible value. */
export interface FakeSlashCommandFields {
  command?: string;
  text?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  response_url?: string;
  trigger_id?: string;
}

export interface FakeBlockActionElement {
  type?: string;
  action_id: string;
  block_id?: string;
  value?: string;
  text?: { type: 'plain_text'; text: string };
}

export interface FakeBlockActionInput {
  actions: readonly FakeBlockActionElement[];
  /** The message or ephemeral message the buttons sit on; it must be one the fake was asked to post. */
  message_ts: string;
  user_id?: string;
  user_name?: string;
  response_url?: string;
}

export interface FakeEventInput {
  event: Record<string, unknown> & { type: string };
  event_id?: string;
  event_time?: number;
}

export interface MessageMetadata {
  event_type: string;
  event_payload?: unknown;
}

/** A Socket Mode envelope; over HTTP only its payload travels. */
export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  accepts_response_payload: boolean;
  payload: unknown;
  retry_attempt?: number;
  retry_reason?: string;
}
