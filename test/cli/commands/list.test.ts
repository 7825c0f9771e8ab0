import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderListing } from '../../../src/cli/commands/list.js';
import { approve } from '../../../src/workflows/approve.js';
import { expose } from '../../../src/workflows/expose.js';
import { listExposed } from '../../../src/workflows/list.js';
import { ALICE, BOB, settingsWith, startWorld } from '../../helpers/world.js';

test('tunnelbot list shows each app protection as cloudflared enforces it from git', async (t) => {
  const world = await startWorld();
  t.after(() => world.close());
  world.cloudflare.seedAccessPolicy('Staff');
  const access = { mode: 'optional', teamName: 'tunnelbot-fake', policies: ['Staff'] };
  const context = { ...world.context, settings: settingsWith(world, { access }) };

  for (const [app, access] of [
    ['linkding', undefined],
    ['podinfo', 'public'],
  ] as const) {
    const port = app === 'linkding' ? 9090 : 9898;
    const exposed = await expose(
      { app, port, requester: ALICE, namespace: app, ...(access && { access }) },
      context,
    );
    await approve(
      { prNumber: exposed.pr.number, expectedHeadSha: exposed.pr.headSha, approver: BOB },
      context,
    );
  }

  const listing = await listExposed(context);
  const text = renderListing(listing);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^ENVIRONMENT\s+APP\s+HOSTNAME\s+PROTECTION\s+TUNNEL/);
  assert.match(
    lines.find((line) => line.includes('linkding.example.com'))!,
    /\saccess \(Staff\)\s/,
  );
  assert.match(
    lines.find((line) => line.includes('podinfo.example.com'))!,
    /\sPUBLIC\s/,
  );
});
