import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestedView, subjectOf } from '../../src/requests/view.js';

const metadata = {
  version: 1 as const,
  action: 'expose' as const,
  app: 'grafana',
  environment: 'staging',
  hostname: 'grafana.example.com',
  port: 3000,
  requester: { slackUserId: 'U0ALICE' },
};

test('a public app says so in plain words, in its facts and warnings', () => {
  const open = requestedView(subjectOf({ ...metadata, public: true }));
  assert.ok(open.warnings.includes('PUBLIC: anyone on the internet reaches this app'));
  assert.deepEqual(
    open.facts.find((fact) => fact.label === 'Access'),
    { label: 'Access', value: 'PUBLIC: anyone on the internet reaches this app' },
  );
  const closed = requestedView(subjectOf(metadata));
  assert.deepEqual(closed.warnings, []);
  assert.equal(
    closed.facts.find((fact) => fact.label === 'Access'),
    undefined,
  );
});
