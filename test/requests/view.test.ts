import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  failedView,
  liveView,
  mergedView,
  openView,
  rejectedView,
  removedView,
  requestedView,
  supersededView,
  type PrRef,
  type RequestState,
  type RequestSubject,
  type RequestView,
} from '../../src/requests/view.js';

const subject: RequestSubject = {
  action: 'expose',
  app: 'linkding',
  environment: 'staging',
  hostname: 'linkding.example.com',
  namespace: 'apps',
  port: 9090,
  requester: { id: 'U0ALICE', name: 'Alice' },
};
const unexposeSubject: RequestSubject = {
  action: 'unexpose',
  app: 'linkding',
  environment: 'staging',
  hostname: 'linkding.example.com',
  requester: { id: 'U0ALICE', name: 'Alice' },
};
const pr: PrRef = {
  number: 7,
  url: 'https://github.com/acme/gitops/pull/7',
  headSha: '0123456789abcdef0123456789abcdef01234567',
};
const problem = {
  message: 'The Service linkding has no port 9090.',
  fix: 'Use a port of the Service.',
  code: 'TB_ERR_X',
};
const bob = { id: 'U0BOB' };
const mergeSha = 'fedcba9876543210fedcba9876543210fedcba98';

/** Every word a person reads in a view. */
function words(view: RequestView): string {
  return [
    view.title,
    view.status,
    ...view.facts.flatMap((fact) => [fact.label, fact.value]),
    ...view.changes,
    ...view.warnings,
    ...(view.problem ? [view.problem.message, view.problem.fix] : []),
  ].join('\n');
}

const views: Record<RequestState, RequestView> = {
  requested: requestedView(subject),
  open: openView(subject, pr, ['add apps/staging/tunnels/linkding/'], ['no Flux Kustomization decrypts it']),
  merged: mergedView(subject, pr, { approver: bob, mergeSha, next: 'Waiting for Flux to apply it.' }),
  live: liveView(subject, pr, bob),
  removed: removedView(unexposeSubject, pr, ['the DNS record of linkding.example.com', 'its tunnel']),
  failed: failedView(subject, problem, pr),
  rejected: rejectedView(subject, pr, bob, 'Its tunnel was deleted.'),
  superseded: supersededView(subject, pr),
};

// The word a person would take to mean the state was reached, and the states that may say it.
const STATE_WORDS: { word: RegExp; states: RequestState[] }[] = [
  { word: /\bmerged\b/i, states: ['merged'] },
  { word: /\blive\b/i, states: ['live'] },
  { word: /\bapproved\b/i, states: ['merged', 'live'] },
  { word: /\bremoved\b/i, states: ['removed'] },
  { word: /\brejected\b/i, states: ['rejected'] },
  { word: /\bfailed\b/i, states: ['failed'] },
  { word: /\balready requested\b/i, states: ['superseded'] },
];

for (const { word, states } of STATE_WORDS) {
  test(`views: ${word.source} appears only once its state is reached`, () => {
    for (const [state, view] of Object.entries(views) as [RequestState, RequestView][]) {
      assert.equal(view.state, state);
      if (states.includes(state)) assert.match(words(view), word, `${state} says ${word.source}`);
      else assert.doesNotMatch(words(view), word, `${state} must not say ${word.source}`);
    }
  });
}

test('views: requested and open never speak of merging or going live', () => {
  for (const view of [views.requested, views.open]) {
    assert.doesNotMatch(words(view), /merge|live|approved/i);
  }
});

test('requestedView: names the request and the requester, offers nothing to press yet', () => {
  const view = views.requested;
  assert.equal(view.title, 'Expose linkding at linkding.example.com (staging)');
  assert.match(view.status, /<@U0ALICE>/);
  assert.deepEqual(view.actions, []);
  assert.deepEqual(view.facts, [
    { label: 'Requested by', value: '<@U0ALICE>' },
    { label: 'Environment', value: 'staging' },
    { label: 'Service', value: 'apps/linkding:9090' },
    { label: 'Hostname', value: 'linkding.example.com' },
  ]);
});

test('openView: Approve carries the head SHA, then Reject and View PR; changes and warnings shown', () => {
  const view = views.open;
  assert.deepEqual(view.actions, [
    { kind: 'approve', prNumber: 7, headSha: pr.headSha },
    { kind: 'reject', prNumber: 7 },
    { kind: 'view-pr', url: pr.url },
  ]);
  assert.deepEqual(view.changes, ['add apps/staging/tunnels/linkding/']);
  assert.deepEqual(view.warnings, ['no Flux Kustomization decrypts it']);
  assert.deepEqual(view.facts.at(-1), { label: 'Pull request', value: `<${pr.url}|#7>` });
});

test('after the PR leaves the open state no view offers Approve or Reject, only View PR', () => {
  for (const state of ['merged', 'live', 'removed', 'failed', 'rejected', 'superseded'] as const) {
    assert.deepEqual(views[state].actions, [{ kind: 'view-pr', url: pr.url }], state);
    assert.deepEqual(views[state].changes, [], `${state} shows no pending changes`);
  }
});

test('mergedView: the approver, the short merge SHA and what comes next', () => {
  const view = views.merged;
  assert.equal(view.status, 'Approved by <@U0BOB> and merged as `fedcba9`. Waiting for Flux to apply it.');
  assert.deepEqual(view.facts.at(-1), { label: 'Approved by', value: '<@U0BOB>' });
});

test('liveView: the URL, with the approver only when known', () => {
  assert.equal(views.live.status, 'Live at https://linkding.example.com');
  assert.ok(views.live.facts.some((fact) => fact.label === 'Approved by'));
  assert.ok(!liveView(subject, pr).facts.some((fact) => fact.label === 'Approved by'));
});

test('removedView: lists what was removed; an unexpose has no Service fact', () => {
  const view = views.removed;
  assert.equal(view.title, 'Unexpose linkding at linkding.example.com (staging)');
  assert.equal(view.status, 'Removed: the DNS record of linkding.example.com, its tunnel.');
  assert.ok(!view.facts.some((fact) => fact.label === 'Service'));
});

test('failedView: the problem, and View PR only when there is a PR', () => {
  assert.equal(views.failed.status, `Failed: ${problem.message}`);
  assert.deepEqual(views.failed.problem, problem);
  const early = failedView(subject, problem);
  assert.deepEqual(early.actions, []);
  assert.ok(!early.facts.some((fact) => fact.label === 'Pull request'));
});

test('rejectedView: rejected by a reviewer, withdrawn by the requester, with what was cleaned up', () => {
  assert.equal(
    views.rejected.status,
    'Rejected by <@U0BOB>; the pull request is closed. Its tunnel was deleted.',
  );
  const withdrawn = rejectedView(subject, pr, { id: 'U0ALICE' }, undefined);
  assert.equal(withdrawn.status, 'Withdrawn by <@U0ALICE>; the pull request is closed.');
});

test('supersededView: points at the PR that carries the request', () => {
  assert.equal(views.superseded.status, 'Already requested: see pull request #7.');
});

test('a service fact without a namespace, and a title without a hostname', () => {
  const bare: RequestSubject = {
    action: 'unexpose',
    app: 'linkding',
    environment: 'staging',
    requester: { id: 'U0A' },
  };
  assert.equal(requestedView(bare).title, 'Unexpose linkding (staging)');
  const noNamespace = requestedView({ ...subject, namespace: undefined });
  assert.ok(noNamespace.facts.some((fact) => fact.value === 'linkding:9090'));
});
