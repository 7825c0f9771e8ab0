import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessApplicationName } from '../../src/core/access.js';
import {
  accessDrift,
  collectOrphanAccessApps,
  hostnamesWithAccessApp,
  isOwnAccessApplication,
  type AccessAppView,
} from '../../src/core/access-state.js';

const INSTANCE = 'prod';
const HOUR = 60 * 60 * 1000;
const NOW = new Date('2026-12-02T12:00:00Z');

function app(domain: string, fields: Partial<AccessAppView> = {}): AccessAppView {
  return {
    id: `id-${domain}`,
    name: accessApplicationName(INSTANCE, domain),
    domain,
    aud: 'a'.repeat(64),
    createdAt: new Date(NOW.getTime() - 2 * HOUR).toISOString(),
    policies: [{ id: 'staff', include: [] }],
    ...fields,
  };
}

test('ownership is the exact name for the domain; another installation or a hand-made app is not ours', () => {
  assert.equal(isOwnAccessApplication(app('a.example.com'), INSTANCE), true);
  assert.equal(isOwnAccessApplication(app('a.example.com'), 'staging'), false);
  assert.equal(isOwnAccessApplication(app('a.example.com', { name: 'a.example.com' }), INSTANCE), false);
  // Our name, but moved to another domain: not ours any more.
  assert.equal(
    isOwnAccessApplication(
      app('b.example.com', { name: accessApplicationName(INSTANCE, 'a.example.com') }),
      INSTANCE,
    ),
    false,
  );
  assert.deepEqual(
    [
      ...hostnamesWithAccessApp(
        [
          app('A.example.com', { name: accessApplicationName(INSTANCE, 'a.example.com') }),
          app('b.example.com', { name: 'foreign' }),
        ],
        INSTANCE,
      ),
    ],
    ['a.example.com'],
  );
});

test('accessDrift: missing, other reusable policies, other own rules; a foreign app never counts', () => {
  const expected = (hostname: string) => ({ hostname, policyIds: ['staff'], include: [] });
  const reusableIds = new Set(['staff', 'ops']);
  const drift = accessDrift({
    apps: [
      app('ok.example.com'),
      app('policy.example.com', { policies: [{ id: 'ops', include: [] }] }),
      app('own.example.com', {
        policies: [
          { id: 'staff', include: [] },
          { id: 'x', include: [{ everyone: {} }] },
        ],
      }),
      app('foreign.example.com', { name: 'made by hand' }),
      app('moved.example.com', { name: accessApplicationName(INSTANCE, 'gone.example.com') }),
    ],
    instance: INSTANCE,
    expected: ['ok', 'policy', 'own', 'foreign', 'gone'].map((h) => expected(`${h}.example.com`)),
    reusableIds,
  });
  assert.deepEqual(
    drift.map((d) => [d.hostname, d.kind]),
    [
      ['policy.example.com', 'changed'],
      ['own.example.com', 'changed'],
      ['foreign.example.com', 'missing'],
      ['gone.example.com', 'missing'],
    ],
  );
  // Own include rules compare without regard to order.
  const rules = [{ email: { email: 'a@example.com' } }, { email_domain: { domain: 'example.com' } }];
  assert.deepEqual(
    accessDrift({
      apps: [app('i.example.com', { policies: [{ id: 'p1', include: [...rules].reverse() }] })],
      instance: INSTANCE,
      expected: [{ hostname: 'i.example.com', policyIds: [], include: rules }],
      reusableIds,
    }),
    [],
  );
});

test('collectOrphanAccessApps: only ours, unreferenced and past the grace period', () => {
  const decision = collectOrphanAccessApps({
    apps: [
      app('old.example.com'),
      app('used.example.com'),
      app('young.example.com', { createdAt: new Date(NOW.getTime() - 5 * 60_000).toISOString() }),
      app('foreign.example.com', { name: 'foreign.example.com' }),
      app('undated.example.com', { createdAt: '' }),
    ],
    instance: INSTANCE,
    referenced: new Set(['Used.example.com']),
    graceMs: HOUR,
    now: NOW,
  });
  assert.deepEqual(
    decision.delete.map((d) => d.id),
    ['id-old.example.com'],
  );
  assert.match(
    decision.delete[0]!.reason,
    /referenced by no branch or open pull request, created 2h ago \(grace 60m\)/,
  );
  assert.deepEqual(
    decision.keep.map((d) => [d.id, d.reason]),
    [
      ['id-used.example.com', 'used.example.com is referenced by the default branch or an open pull request'],
      ['id-young.example.com', 'created 5m ago, within the 60m grace period'],
      ['id-undated.example.com', 'created_at "" is not a timestamp, so its age is unknown'],
    ],
  );
});
