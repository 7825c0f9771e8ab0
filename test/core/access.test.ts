import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accessApplicationName,
  accessIncludeRules,
  accessOriginRequest,
  checkTeamName,
  describeProtection,
  PUBLIC_WARNING,
  resolvePolicyIds,
  resolveProtection,
  validateAccessAud,
} from '../../src/core/access.js';
import { findEnvironment, validateSettings } from '../../src/core/settings.js';
import { firstIngressError } from '../../src/gitops/cloudflared/validate.js';
import { TunnelbotError } from '../../src/errors.js';

function environment(access?: unknown) {
  const settings = validateSettings(
    {
      environments: [
        { name: 'prod', path: 'apps/prod', domain: 'example.com', ...(access ? { access } : {}) },
      ],
    },
    'test.yaml',
  );
  return findEnvironment(settings, 'prod');
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TunnelbotError);
    return error.code;
  }
  assert.fail('expected a TunnelbotError');
}

test('an environment without access keeps the behaviour from before Access existed: public, no warning', () => {
  assert.deepEqual(resolveProtection(environment(), undefined), { kind: 'public', requested: false });
});

test('required and optional protect by default; access=public only where the mode is optional', () => {
  const required = environment({ mode: 'required', teamName: 'acme', policies: ['Staff'] });
  assert.deepEqual(resolveProtection(required, undefined), {
    kind: 'access',
    teamName: 'acme',
    policies: ['Staff'],
    include: [],
  });
  assert.equal(
    code(() => resolveProtection(required, 'public')),
    'TB_ERR_ACCESS_PUBLIC_FORBIDDEN',
  );
  assert.equal(
    code(() => resolveProtection(environment(), 'public')),
    'TB_ERR_ACCESS_PUBLIC_FORBIDDEN',
  );
  const optional = environment({
    mode: 'optional',
    teamName: 'acme',
    include: [{ email: 'ops@example.com' }],
  });
  assert.equal(resolveProtection(optional, undefined).kind, 'access');
  const open = resolveProtection(optional, 'public');
  assert.deepEqual(open, { kind: 'public', requested: true });
  assert.ok(describeProtection(open).startsWith(PUBLIC_WARNING));
});

test('who may enter is said in words', () => {
  assert.equal(
    describeProtection({ kind: 'access', teamName: 'acme', policies: ['Staff', 'Oncall'], include: [] }),
    'only people allowed by the Access policies "Staff", "Oncall", after signing in at acme.cloudflareaccess.com',
  );
  assert.equal(
    describeProtection({
      kind: 'access',
      teamName: 'acme',
      policies: [],
      include: [{ email: 'ops@example.com' }, { emailDomain: 'example.org' }],
    }),
    'only ops@example.com, anyone with an @example.org address, after signing in at acme.cloudflareaccess.com',
  );
});

test('the protected rule passes cloudflared validation and names the team and the aud', () => {
  const aud = 'a'.repeat(64);
  const originRequest = accessOriginRequest('acme', aud);
  assert.deepEqual(originRequest, { access: { required: true, teamName: 'acme', audTag: [aud] } });
  assert.equal(
    firstIngressError([
      { hostname: 'app.example.com', service: 'http://app:80', originRequest },
      { service: 'http_status:404' },
    ]),
    undefined,
  );
});

test('aud tags are 64 hex characters', () => {
  assert.equal(validateAccessAud('A'.repeat(64)), 'a'.repeat(64));
  assert.equal(
    code(() => validateAccessAud('abc')),
    'TB_ERR_USAGE',
  );
  assert.equal(
    code(() => validateAccessAud('g'.repeat(64))),
    'TB_ERR_USAGE',
  );
});

test('the team name must be the account team; a missing organization is said apart', () => {
  checkTeamName('prod', 'acme', 'ACME.cloudflareaccess.com');
  assert.equal(
    code(() => checkTeamName('prod', 'acme', 'other.cloudflareaccess.com')),
    'TB_ERR_ACCESS_TEAM_MISMATCH',
  );
  assert.equal(
    code(() => checkTeamName('prod', 'acme', null)),
    'TB_ERR_ACCESS_NOT_SET_UP',
  );
});

test('policy names resolve to ids in the order named, every unknown name reported at once', () => {
  const available = [
    { id: 'p1', name: 'Staff' },
    { id: 'p2', name: 'Oncall' },
  ];
  assert.deepEqual(resolvePolicyIds('prod', ['Oncall', 'Staff'], available), ['p2', 'p1']);
  try {
    resolvePolicyIds('prod', ['staff', 'Nobody'], available);
    assert.fail('expected unknown policies');
  } catch (error) {
    assert.ok(error instanceof TunnelbotError);
    assert.equal(error.code, 'TB_ERR_ACCESS_POLICY_UNKNOWN');
    assert.match(error.message, /"staff", "Nobody"/);
  }
});

test('include rules take the API form; application names carry the installation marker', () => {
  assert.deepEqual(
    accessIncludeRules([
      { email: 'ops@example.com' },
      { emailDomain: 'example.org' },
      { group: '0f8a1d3e-2c4b-4e6f-9a1b-3c5d7e9f1a2b' },
    ]),
    [
      { email: { email: 'ops@example.com' } },
      { email_domain: { domain: 'example.org' } },
      { group: { id: '0f8a1d3e-2c4b-4e6f-9a1b-3c5d7e9f1a2b' } },
    ],
  );
  assert.equal(
    accessApplicationName('prod-eu', 'app.example.com'),
    'app.example.com (managed-by: tunnelbot (prod-eu))',
  );
  assert.notEqual(
    accessApplicationName('a', 'app.example.com'),
    accessApplicationName('b', 'app.example.com'),
  );
});
