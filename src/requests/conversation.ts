import type { RequestView } from './view.js';

/**
 * The outbound port of the request service: where people read about their requests. Slack implements it on the
 * Web API (one root message per request, updated in place, details in its thread); the CLI prints. Like Flux's
 * notifier `Post(ctx, event)`, a conversation renders and delivers, and decides nothing.
 */

/** Where a request's root message lives; stored in the PR's metadata block so any replica can update it. */
export interface MessageRef {
  readonly channel: string;
  readonly ts: string;
}

export interface Conversation {
  /** Posts the root message of a request in a channel. */
  post(channel: string, view: RequestView): Promise<MessageRef>;
  /** Replaces the root message with the request's new state. */
  update(ref: MessageRef, view: RequestView): Promise<void>;
  /** Adds a detail to the request's thread. */
  reply(ref: MessageRef, text: string): Promise<void>;
  /** Takes back a root message that turned out to duplicate another request's. */
  remove(ref: MessageRef): Promise<void>;
  /** Tells one person something only they should see (a refusal, an error), in the channel they acted in. */
  tell(person: { readonly id: string; readonly channel: string }, text: string): Promise<void>;
}

/** Resolves the user groups the policy names; Slack answers with `usergroups.users.list`. */
export interface Directory {
  /** The members of a user group, by user id. */
  membersOf(groupId: string): Promise<readonly string[]>;
}
