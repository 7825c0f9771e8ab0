import assert from 'node:assert/strict';
import { test } from 'node:test';
import { audienceFor, decide, groupsToResolve, type PolicyQuestion } from '../../src/core/approval-policy.js';
import type { Audience, Policy } from '../../src/core/settings.js';

const nobody: Audience = { everyone: false, users: [], groups: [] };
const everyone: Audience = { everyone: true, users: [], groups: [] };
const users = (...ids: string[]): Audience => ({ everyone: false, users: ids, groups: [] });
const groups = (...ids: string[]): Audience => ({ everyone: false, users: [], groups: ids });

function policy(overrides: Partial<Policy> = {}): Policy {
  return { fourEyes: true, request: nobody, approve: nobody, environments: {}, ...overrides };
}

const ask = (actor: string, environment = 'staging'): PolicyQuestion => ({
  action: 'request',
  environment,
  actor,
});
const approveBy = (actor: string, requester: string, environment = 'staging'): PolicyQuestion => ({
  action: 'approve',
  environment,
  actor,
  requester,
});
const rejectBy = (actor: string, requester: string, environment = 'staging'): PolicyQuestion => ({
  action: 'reject',
  environment,
  actor,
  requester,
});

const cases: {
  name: string;
  policy: Policy;
  question: PolicyQuestion;
  groups?: string[];
  code?: string;
}[] = [
  {
    name: 'no policy lets nobody request',
    policy: policy(),
    question: ask('U0ALICE'),
    code: 'TB_ERR_POLICY_NOT_REQUESTER',
  },
  {
    name: 'no policy lets nobody approve',
    policy: policy(),
    question: approveBy('U0BOB', 'U0ALICE'),
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
  {
    name: 'no policy lets nobody reject another person’s request',
    policy: policy(),
    question: rejectBy('U0BOB', 'U0ALICE'),
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
  { name: 'everyone may request', policy: policy({ request: everyone }), question: ask('U0ANYONE') },
  {
    name: 'a listed user may request',
    policy: policy({ request: users('U0ALICE') }),
    question: ask('U0ALICE'),
  },
  {
    name: 'an unlisted user may not request',
    policy: policy({ request: users('U0ALICE') }),
    question: ask('U0MALLORY'),
    code: 'TB_ERR_POLICY_NOT_REQUESTER',
  },
  {
    name: 'a member of a listed group may approve',
    policy: policy({ approve: groups('S0OPS') }),
    question: approveBy('U0BOB', 'U0ALICE'),
    groups: ['S0OPS'],
  },
  {
    name: 'a member of another group may not approve',
    policy: policy({ approve: groups('S0OPS') }),
    question: approveBy('U0BOB', 'U0ALICE'),
    groups: ['S0DEV'],
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
  {
    name: 'the request audience does not grant approval',
    policy: policy({ request: everyone }),
    question: approveBy('U0BOB', 'U0ALICE'),
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
  {
    name: 'an approver may reject',
    policy: policy({ approve: users('U0BOB') }),
    question: rejectBy('U0BOB', 'U0ALICE'),
  },
  {
    name: 'the requester may withdraw (reject) without being an approver',
    policy: policy(),
    question: rejectBy('U0ALICE', 'U0ALICE'),
  },
  {
    name: 'four-eyes (on by default) refuses self-approval even to an approver',
    policy: policy({ approve: users('U0ALICE') }),
    question: approveBy('U0ALICE', 'U0ALICE'),
    code: 'TB_ERR_POLICY_SELF_APPROVAL',
  },
  {
    name: 'four-eyes off lets an approver approve their own request',
    policy: policy({ approve: users('U0ALICE'), fourEyes: false }),
    question: approveBy('U0ALICE', 'U0ALICE'),
  },
  {
    name: 'four-eyes off does not let a non-approver approve their own request',
    policy: policy({ request: users('U0ALICE'), fourEyes: false }),
    question: approveBy('U0ALICE', 'U0ALICE'),
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
  {
    name: 'an environment override replaces the top level (top-level user refused there)',
    policy: policy({ request: users('U0ALICE'), environments: { production: { request: users('U0BOB') } } }),
    question: ask('U0ALICE', 'production'),
    code: 'TB_ERR_POLICY_NOT_REQUESTER',
  },
  {
    name: 'an environment override admits its own users',
    policy: policy({ request: users('U0ALICE'), environments: { production: { request: users('U0BOB') } } }),
    question: ask('U0BOB', 'production'),
  },
  {
    name: 'an override of one environment leaves the others on the top level',
    policy: policy({ request: users('U0ALICE'), environments: { production: { request: users('U0BOB') } } }),
    question: ask('U0ALICE', 'staging'),
  },
  {
    name: 'an override of request only leaves approval on the top level',
    policy: policy({ approve: users('U0CAROL'), environments: { production: { request: everyone } } }),
    question: approveBy('U0CAROL', 'U0ALICE', 'production'),
  },
  {
    name: 'an override can lock an environment down to nobody',
    policy: policy({ approve: everyone, environments: { production: { approve: nobody } } }),
    question: approveBy('U0CAROL', 'U0ALICE', 'production'),
    code: 'TB_ERR_POLICY_NOT_APPROVER',
  },
];

for (const c of cases) {
  test(`decide: ${c.name}`, () => {
    const decision = decide(c.policy, c.question, new Set(c.groups ?? []));
    if (c.code === undefined) {
      assert.deepEqual(decision, { allowed: true });
    } else {
      assert.equal(decision.allowed, false);
      assert.ok(!decision.allowed);
      assert.equal(decision.error.code, c.code);
      assert.ok(decision.error.message.length > 0);
      assert.ok(decision.error.fix.length > 0);
    }
  });
}

test('decide: a refused request names the person, the audience and the setting to change', () => {
  const decision = decide(policy({ request: groups('S0OPS') }), ask('U0MALLORY'));
  assert.ok(!decision.allowed);
  assert.match(decision.error.message, /You \(<@U0MALLORY>\) may not ask for changes in staging/);
  assert.match(decision.error.message, /Allowed: <!subteam\^S0OPS>\./);
  assert.match(decision.error.fix, /U0MALLORY/);
  assert.match(decision.error.fix, /`policy\.request`/);
});

test('decide: nobody allowed says "nobody yet"', () => {
  const decision = decide(policy(), approveBy('U0BOB', 'U0ALICE'));
  assert.ok(!decision.allowed);
  assert.match(decision.error.message, /may not approve changes in staging\. Allowed: nobody yet\./);
  assert.match(decision.error.fix, /`policy\.approve`/);
});

test('decide: a refusal under an environment override names the environment setting', () => {
  const decision = decide(
    policy({ approve: everyone, environments: { production: { approve: users('U0CAROL', 'U0DAVE') } } }),
    rejectBy('U0BOB', 'U0ALICE', 'production'),
  );
  assert.ok(!decision.allowed);
  assert.equal(decision.error.code, 'TB_ERR_POLICY_NOT_APPROVER');
  assert.match(
    decision.error.message,
    /may not reject changes in production\. Allowed: <@U0CAROL>, <@U0DAVE>\./,
  );
  assert.match(decision.error.fix, /`policy\.environments\.production\.approve`/);
});

test('decide: self-approval refusal names the setting that turns four-eyes off', () => {
  const decision = decide(policy({ approve: everyone }), approveBy('U0ALICE', 'U0ALICE'));
  assert.ok(!decision.allowed);
  assert.equal(decision.error.code, 'TB_ERR_POLICY_SELF_APPROVAL');
  assert.match(decision.error.message, /four-eyes/);
  assert.match(decision.error.fix, /`policy\.fourEyes`/);
});

test('audienceFor: the environment’s own audience, else the top-level one', () => {
  const p = policy({
    request: users('U0ALICE'),
    approve: users('U0BOB'),
    environments: { production: { approve: groups('S0OPS') } },
  });
  assert.deepEqual(audienceFor(p, 'approve', 'production'), groups('S0OPS'));
  assert.deepEqual(audienceFor(p, 'request', 'production'), users('U0ALICE'));
  assert.deepEqual(audienceFor(p, 'approve', 'staging'), users('U0BOB'));
  assert.deepEqual(audienceFor(policy(), 'request', 'staging'), nobody);
});

test('groupsToResolve: only the groups the decision depends on', () => {
  const p = policy({
    request: { everyone: false, users: ['U0ALICE'], groups: ['S0DEV'] },
    approve: { everyone: false, users: [], groups: ['S0OPS', 'S0SRE'] },
    environments: { production: { approve: groups('S0PROD') } },
  });
  assert.deepEqual(groupsToResolve(p, ask('U0BOB')), ['S0DEV']);
  assert.deepEqual(groupsToResolve(p, ask('U0ALICE')), [], 'a listed user needs no group lookup');
  assert.deepEqual(groupsToResolve(p, approveBy('U0BOB', 'U0ALICE')), ['S0OPS', 'S0SRE']);
  assert.deepEqual(
    groupsToResolve(p, rejectBy('U0BOB', 'U0ALICE')),
    ['S0OPS', 'S0SRE'],
    'reject uses approve',
  );
  assert.deepEqual(groupsToResolve(p, approveBy('U0BOB', 'U0ALICE', 'production')), ['S0PROD']);
  assert.deepEqual(
    groupsToResolve(policy({ request: { everyone: true, users: [], groups: ['S0DEV'] } }), ask('U0BOB')),
    [],
    'everyone needs no group lookup',
  );
});
