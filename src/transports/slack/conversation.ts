import type { WebClient } from '@slack/web-api';
import { TunnelbotError, isTunnelbotError } from '../../errors.js';
import type { Conversation, Directory, MessageRef } from '../../requests/conversation.js';
import type { RequestView } from '../../requests/view.js';
import { escapeBroadcasts, renderRequest } from './blocks.js';
import { callSlack } from './web-api-errors.js';

/**
 * The request service's `Conversation` on Slack's Web API: one root message per request (`chat.postMessage`, then
 * `chat.update` on the same ts), details as replies in its thread, refusals as ephemeral messages. Links are not
 * unfurled: a PR preview would bury the buttons.
 */
export class SlackConversation implements Conversation {
  constructor(private readonly client: WebClient) {}

  async post(channel: string, view: RequestView): Promise<MessageRef> {
    const message = renderRequest(view);
    const result = await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
    );
    if (!result.ts) {
      throw new TunnelbotError(
        'TB_ERR_SLACK_REQUEST',
        'Slack posted the message but answered without its ts.',
        {
          details: { method: 'chat.postMessage' },
        },
      );
    }
    return { channel: result.channel ?? channel, ts: result.ts };
  }

  async update(ref: MessageRef, view: RequestView): Promise<void> {
    const message = renderRequest(view);
    await callSlack('chat.update', () =>
      this.client.chat.update({ channel: ref.channel, ts: ref.ts, ...message }),
    );
  }

  async reply(ref: MessageRef, text: string): Promise<void> {
    await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: ref.channel,
        thread_ts: ref.ts,
        text: escapeBroadcasts(text),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
  }

  async remove(ref: MessageRef): Promise<void> {
    try {
      await callSlack('chat.delete', () => this.client.chat.delete({ channel: ref.channel, ts: ref.ts }));
    } catch (error) {
      // Already gone is what was wanted.
      if (isTunnelbotError(error) && error.details.slackError === 'message_not_found') return;
      throw error;
    }
  }

  async tell(person: { readonly id: string; readonly channel: string }, text: string): Promise<void> {
    await callSlack('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({
        channel: person.channel,
        user: person.id,
        text: escapeBroadcasts(text),
      }),
    );
  }
}

/** User groups through `usergroups.users.list` (scope `usergroups:read`); the service caches the answers. */
export class SlackDirectory implements Directory {
  constructor(private readonly client: WebClient) {}

  async membersOf(groupId: string): Promise<readonly string[]> {
    try {
      const result = await callSlack('usergroups.users.list', () =>
        this.client.usergroups.users.list({ usergroup: groupId }),
      );
      return result.users ?? [];
    } catch (error) {
      const slackError = isTunnelbotError(error) ? error.details.slackError : undefined;
      if (slackError === 'plan_upgrade_required') {
        throw new TunnelbotError(
          'TB_ERR_POLICY_GROUPS_UNAVAILABLE',
          `The policy names the user group ${groupId}, but this Slack workspace's plan has no user groups (plan_upgrade_required).`,
          {
            fix: 'List the people by Slack user id in `policy` of the settings file instead of the group.',
            cause: error,
          },
        );
      }
      if (slackError === 'no_such_subteam') {
        throw new TunnelbotError(
          'TB_ERR_POLICY_GROUPS_UNAVAILABLE',
          `The policy names the user group ${groupId}, which this Slack workspace does not have.`,
          {
            fix: "Correct the group id in `policy` (Slack: the group's profile › Copy group ID; it starts with S).",
            cause: error,
          },
        );
      }
      throw error;
    }
  }
}
