import type { Conversation, MessageRef } from '../../src/requests/conversation.js';
import type { RequestView } from '../../src/requests/view.js';

/** A Conversation that records the views posted and updated and the thread's replies; every message is one ts. */
export function recordingConversation(): {
  conversation: Conversation;
  views: RequestView[];
  replies: string[];
} {
  const views: RequestView[] = [];
  const replies: string[] = [];
  const conversation: Conversation = {
    post: async (channel, view): Promise<MessageRef> => {
      views.push(view);
      return { channel, ts: '1700000000.000100' };
    },
    update: async (_ref, view) => {
      views.push(view);
    },
    reply: async (_ref, text) => {
      replies.push(text);
    },
    remove: async () => undefined,
    tell: async () => undefined,
  };
  return { conversation, views, replies };
}
