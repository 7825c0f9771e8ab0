import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { planExpose, prepareExpose } from '../../src/core/plan-expose.js';
import { planUnexpose } from '../../src/core/plan-unexpose.js';
import { exposePrText, unexposePrText } from '../../src/core/pr-text.js';
import { parseSettings } from '../../src/core/settings.js';
import { readFixtureRepo } from '../helpers/fixtures.js';

const ALICE = { slackUserId: 'U0ALICE', name: 'Alice' };

test('the PR text says where traffic goes, which files change, who asked, and never the secret', async () => {
  const snapshot = readFixtureRepo('flux-example');
  const settings = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  const secret = randomBytes(32).toString('base64');
  const target = prepareExpose({ app: 'grafana', port: 3000, namespace: 'monitoring' }, snapshot, settings);
  const plan = await planExpose(target, snapshot, settings, {
    now: new Date('2026-11-27T10:00:00Z'),
    credentials: {
      AccountTag: '0123456789abcdef0123456789abcdef',
      TunnelSecret: secret,
      TunnelID: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
      Endpoint: '',
    },
  });
  const text = exposePrText(plan, ALICE);
  assert.match(text, /^### Expose `grafana` at https:\/\/grafana\.example\.com$/m);
  assert.match(text, /^\| Traffic goes to \| `http:\/\/grafana\.monitoring\.svc\.cluster\.local:3000` \|$/m);
  assert.match(text, /^\| Cloudflare Tunnel \| `tunnelbot-staging-grafana` \(new\) \|$/m);
  assert.match(text, /^\| Credentials \| SOPS\/age-encrypted for \.sops\.yaml \(1 age recipient\) \|$/m);
  assert.match(text, /^- `apps\/staging\/tunnels\/grafana\/secret\.sops\.yaml` \(added\)$/m);
  assert.match(
    text,
    /^- No Service "grafana" with port 3000 in namespace "monitoring"/m,
    'warnings are listed',
  );
  assert.match(text, /Requested in Slack by Alice \(`U0ALICE`\)/);
  assert.ok(!text.includes(secret));

  const exposed = new Map(snapshot.files);
  for (const file of plan.changeSet.files)
    if (file.change !== 'deleted') exposed.set(file.path, file.content);
  const removal = unexposePrText(planUnexpose({ app: 'grafana' }, { files: exposed }, settings), ALICE);
  assert.match(removal, /^\| Stops serving \| https:\/\/grafana\.example\.com \|$/m);
  assert.match(removal, /the tunnel `6ff42ae2-765d-4adf-8112-31c55c1551ef` are deleted/);
  assert.match(removal, /^- `apps\/staging\/tunnels\/kustomization\.yaml` \(modified\)$/m);
});
