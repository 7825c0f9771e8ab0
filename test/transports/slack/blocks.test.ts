import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PullRequestInfo } from '../../../src/core/git-provider.js';
import {
  failedView,
  openView,
  requestedView,
  type PrRef,
  type RequestSubject,
  type RequestView,
} from '../../../src/requests/view.js';
import { checkBlockKit } from '../../../src/sandbox/slack/index.js';
import {
  ACTION_IDS,
  approveValue,
  escapeBroadcasts,
  rejectValue,
  renderListing,
  renderRequest,
  type SlackMessage,
} from '../../../src/transports/slack/blocks.js';
import type { ExposedApp, Listing } from '../../../src/workflows/list.js';

const subject: RequestSubject = {
  action: 'expose',
  app: 'linkding',
  environment: 'staging',
  hostname: 'linkding.example.com',
  port: 9090,
  requester: { id: 'U0ALICE' },
};
const pr: PrRef = {
  number: 12345,
  url: 'https://github.com/acme/gitops/pull/12345',
  headSha: '0123456789abcdef0123456789abcdef01234567',
};

interface Button {
  action_id: string;
  value?: string;
  url?: string;
}

function buttons(message: SlackMessage): Button[] {
  return message.blocks.flatMap((block) =>
    block.type === 'actions' ? (block.elements as unknown as Button[]) : [],
  );
}

function allText(message: SlackMessage): string {
  return JSON.stringify(message.blocks) + message.text;
}

function assertWithinLimits(message: SlackMessage): void {
  assert.deepEqual(checkBlockKit(message.blocks, 'message'), []);
  assert.ok(message.text.trim().length > 0, 'a text fallback');
}

test('renderRequest: 200 change lines stay within Block Kit limits and say how many more there are', () => {
  const changes = Array.from({ length: 200 }, (_, i) => `add apps/staging/tunnels/linkding/file-${i}.yaml`);
  const message = renderRequest(openView(subject, pr, changes, []));
  assertWithinLimits(message);
  assert.match(allText(message), /…and 188 more \(see the pull request\)/);
  assert.match(allText(message), /file-11\.yaml/);
  assert.doesNotMatch(allText(message), /file-12\.yaml/);
});

test('renderRequest: a 5,000-character Flux message and warnings are clipped to the section limit', () => {
  const flux = `kustomize build failed: ${'x'.repeat(5000)}`;
  const view: RequestView = {
    ...failedView(
      subject,
      { message: flux, fix: `Fix it: ${'y'.repeat(5000)}`, code: 'flux:BuildFailed' },
      pr,
    ),
    warnings: [flux, flux],
  };
  const message = renderRequest(view);
  assertWithinLimits(message);
  assert.ok(message.text.length <= 3000);
  assert.match(allText(message), /flux:BuildFailed/);
});

test('renderRequest: more than ten facts and huge fact values stay within the fields limits', () => {
  const view: RequestView = {
    ...requestedView(subject),
    facts: Array.from({ length: 25 }, (_, i) => ({ label: `Fact ${i}`, value: 'v'.repeat(4000) })),
  };
  assertWithinLimits(renderRequest(view));
});

test('renderRequest: the text fallback is never empty, whatever the state', () => {
  for (const view of [
    requestedView(subject),
    openView(subject, pr, [], []),
    failedView(subject, { message: '', fix: '', code: 'X' }),
  ]) {
    const message = renderRequest(view);
    assertWithinLimits(message);
    assert.match(message.text, /Expose linkding/);
  }
});

test('renderRequest: Approve carries the PR and head SHA, Reject the PR, both parseable and short', () => {
  const message = renderRequest(openView(subject, pr, ['a change'], []));
  const [approve, reject, view] = buttons(message);
  assert.equal(approve?.action_id, ACTION_IDS.approve);
  assert.equal(reject?.action_id, ACTION_IDS.reject);
  assert.equal(view?.action_id, ACTION_IDS.viewPr);
  assert.equal(view?.url, pr.url);
  assert.deepEqual(JSON.parse(approve!.value!), { pr: 12345, sha: pr.headSha });
  assert.deepEqual(JSON.parse(reject!.value!), { pr: 12345 });
  for (const value of [approve!.value!, reject!.value!]) assert.ok(value.length <= 2000);
  assert.equal(approveValue(pr.number, pr.headSha), approve!.value);
  assert.equal(rejectValue(pr.number), reject!.value);
});

test('renderRequest: a view with no actions has no actions block', () => {
  const message = renderRequest(requestedView(subject));
  assert.deepEqual(buttons(message), []);
  assert.ok(!message.blocks.some((block) => block.type === 'actions'));
});

test('escapeBroadcasts: typed broadcasts never notify anyone', () => {
  assert.equal(escapeBroadcasts('hi <!channel> there'), 'hi &lt;!channel&gt; there');
  assert.equal(escapeBroadcasts('<!here|here>'), '&lt;!here&gt;');
  assert.equal(escapeBroadcasts('<!everyone>'), '&lt;!everyone&gt;');
  assert.equal(escapeBroadcasts('<!CHANNEL>'), '&lt;!CHANNEL&gt;');
  assert.equal(
    escapeBroadcasts('<@U0ALICE> and <https://x.example.com|x>'),
    '<@U0ALICE> and <https://x.example.com|x>',
  );
});

test('renderRequest: broadcasts in any text are escaped in blocks and fallback', () => {
  const view: RequestView = {
    ...failedView(subject, { message: 'boom <!channel>', fix: 'ask <!here|here>', code: 'X' }),
    facts: [{ label: 'Note', value: '<!everyone>' }],
    warnings: ['<!channel> in a warning'],
  };
  const message = renderRequest(view);
  assert.doesNotMatch(allText(message), /<!(channel|here|everyone)/);
});

function exposed(environment: string, i: number): ExposedApp {
  return {
    hostname: `app-${i}.${environment}.example.com`,
    tunnelId: '00000000-0000-4000-8000-000000000000',
    environment,
    app: `app-${i}`,
    access: i % 2 === 0 ? { teamName: 'acme', audTags: ['a'.repeat(64)] } : undefined,
    policies: i % 2 === 0 ? ['Staff'] : [],
    health: { id: 't', name: 'n', status: 'healthy', connectors: 2, activeConnectors: 2, connections: 8 },
  };
}

test('renderListing: 100 environments with 100 apps each stay within Block Kit limits', () => {
  const environments = Array.from({ length: 100 }, (_, i) => `env-${i}`);
  const listing: Listing = {
    exposed: environments.flatMap((environment) =>
      Array.from({ length: 100 }, (_, i) => exposed(environment, i)),
    ),
    pending: [],
    warnings: Array.from({ length: 10 }, () => `a warning ${'w'.repeat(5000)}`),
  };
  const message = renderListing(listing, environments);
  assertWithinLimits(message);
  assert.equal(message.text, '10000 apps exposed, 0 waiting for approval');
});

test('renderListing: health, pending requests, and an environment with nothing', () => {
  const pending: PullRequestInfo = {
    number: 9,
    url: 'https://github.com/acme/gitops/pull/9',
    state: 'open',
    merged: false,
    headSha: pr.headSha,
    headRef: 'tunnelbot/expose-staging-vault',
    baseRef: 'main',
    title: 't',
    body: '',
    labels: [],
    metadata: {
      version: 1,
      action: 'expose',
      app: 'vault',
      environment: 'staging',
      hostname: 'vault.example.com',
      requester: { slackUserId: 'U0ALICE' },
    },
  };
  const listing: Listing = {
    exposed: [
      exposed('staging', 1),
      { ...exposed('staging', 2), health: { error: 'Cloudflare <timeout> & co' } },
    ],
    pending: [pending],
    warnings: [],
  };
  const message = renderListing(listing, ['staging', 'production']);
  assertWithinLimits(message);
  const text = allText(message);
  assert.match(text, /app-1, tunnel healthy, 2 connectors/);
  assert.match(text, /health unknown \(Cloudflare &lt;timeout&gt; &amp; co\)/);
  assert.match(text, /<https:\/\/github.com\/acme\/gitops\/pull\/9\|#9> expose vault \(vault.example.com\)/);
  assert.match(text, /\*production\*\\n_nothing exposed_/);
  assert.equal(message.text, '2 apps exposed, 1 waiting for approval');
});
