import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateSettings } from '../../src/core/settings.js';
import type { Conversation, MessageRef } from '../../src/requests/conversation.js';
import { RequestService } from '../../src/requests/service.js';
import type { RequestView } from '../../src/requests/view.js';
import { startWorld } from '../helpers/world.js';

test('access=public reaches the workflow through the request service, and its message says PUBLIC', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  const raw = JSON.parse(JSON.stringify(world.settings)) as Record<string, unknown> & {
    environments: Record<string, unknown>[];
  };
  raw.environments[0]!['access'] = {
    mode: 'optional',
    teamName: 'tunnelbot-fake',
    include: [{ email: 'a@example.com' }],
  };
  raw['policy'] = { request: { everyone: true }, approve: { everyone: true } };
  const views: RequestView[] = [];
  const conversation: Conversation = {
    post: async (channel, view): Promise<MessageRef> => {
      views.push(view);
      return { channel, ts: '1700000000.000100' };
    },
    update: async (_ref, view) => {
      views.push(view);
    },
    reply: async () => undefined,
    remove: async () => undefined,
    tell: async () => undefined,
  };
  const service = new RequestService({
    context: { ...world.context, settings: validateSettings(raw, 'test.yaml') },
    conversation,
    dnsAwaitsFlux: false,
  });

  const reply = await service.expose(
    { id: 'U0ALICE', name: 'Alice' },
    { app: 'linkding', port: 9090, access: 'public' },
    { channel: 'C0REQUESTS' },
  );
  assert.equal(reply.ok, true, reply.text);
  assert.deepEqual(world.cloudflare.accessApps(), [], 'a public app gets no Access application');
  assert.ok(views.length >= 2);
  for (const view of views) {
    assert.ok(view.warnings.includes('PUBLIC: anyone on the internet reaches this app'), view.state);
  }
});
