import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOCTOR_CLOUDFLARE_RETRIES, checkCloudflare } from '../../src/adapters/cloudflare/doctor.js';
import { ALL_PERMISSIONS } from '../../src/sandbox/cloudflare/index.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';
import { closedPort } from '../helpers/network.js';

describe('checkCloudflare (doctor)', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare();
  });
  after(() => h.stop());
  afterEach(() => h.fake.setPermissions(ALL_PERMISSIONS));

  it('passes every check with a complete token', async () => {
    const checks = await checkCloudflare(h.options, ['example.com', 'apps.example.com']);
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok]),
      [
        ['Cloudflare API token', true],
        ['Cloudflare account', true],
        ['Cloudflare tunnels', true],
        ['DNS zone of example.com', true],
        ['DNS zone of apps.example.com', true],
      ],
    );
    assert.match(checks[4]?.detail ?? '', /zone apps\.example\.com/);
  });

  it('stops at a rejected token, after trying it as a user and as an account token', async () => {
    h.fake.resetRequests();
    const checks = await checkCloudflare({ ...h.options, apiToken: 'nope' }, ['example.com']);
    assert.equal(checks.length, 1);
    assert.equal(checks[0]?.ok, false);
    assert.match(checks[0]?.detail ?? '', /as a user token and as a token of account [0-9a-f]{32}/);
    assert.match(checks[0]?.fix ?? '', /TB_ERR_CLOUDFLARE_AUTH/);
    assert.deepEqual(
      h.fake.requests.map((r) => r.route),
      ['token.verify', 'account.token.verify'],
    );
  });

  it('a user token is verified at /user/tokens/verify only', async () => {
    h.fake.resetRequests();
    const checks = await checkCloudflare(h.options, []);
    assert.equal(checks[0]?.detail, 'the user token is active');
    assert.equal(h.fake.requestCount('account.token.verify'), 0);
  });

  it('an account-owned token (401 at the user endpoint) verifies at the account endpoint and the run goes on', async () => {
    const account = await startCloudflare({ tokenOwner: 'account' });
    try {
      const userVerify = await fetch(`${account.baseURL}/user/tokens/verify`, {
        headers: { authorization: `Bearer ${account.fake.apiToken}` },
      });
      assert.equal(userVerify.status, 401);
      assert.deepEqual(await userVerify.json(), {
        success: false,
        errors: [{ code: 1000, message: 'Invalid API Token' }],
        messages: [],
        result: null,
      });
      const checks = await checkCloudflare(account.options, ['example.com']);
      assert.deepEqual(
        checks.map((c) => [c.name, c.ok]),
        [
          ['Cloudflare API token', true],
          ['Cloudflare account', true],
          ['Cloudflare tunnels', true],
          ['DNS zone of example.com', true],
        ],
      );
      assert.equal(checks[0]?.detail, `the token, owned by account ${account.fake.accountId}, is active`);
      assert.equal(
        account.fake.requests.find((r) => r.route === 'account.token.verify')?.path,
        `/client/v4/accounts/${account.fake.accountId}/tokens/verify`,
      );
    } finally {
      await account.stop();
    }
  });

  it('names the missing permissions and the domain in no zone', async () => {
    h.fake.setPermissions(['account:read', 'zone:read']);
    const checks = await checkCloudflare(h.options, ['example.com', 'elsewhere.net']);
    const byName = new Map(checks.map((c) => [c.name, c]));
    assert.equal(byName.get('Cloudflare account')?.ok, true);
    assert.equal(byName.get('Cloudflare tunnels')?.ok, false);
    assert.match(byName.get('Cloudflare tunnels')?.detail ?? '', /Account › Cloudflare Tunnel › Edit/);
    assert.equal(byName.get('DNS zone of example.com')?.ok, false);
    assert.match(byName.get('DNS zone of example.com')?.fix ?? '', /Zone › DNS › Edit/);
    assert.equal(byName.get('DNS zone of elsewhere.net')?.ok, false);
    assert.match(
      byName.get('DNS zone of elsewhere.net')?.detail ?? '',
      /No zone .* contains the hostname elsewhere\.net/,
    );
  });

  it('tells "could not connect" from "answered 500", retrying once with its own short timeout', async () => {
    const { maxRetries: _retries, timeoutMs: _timeout, ...production } = h.options;
    const refused = await checkCloudflare(
      { ...production, baseURL: `http://127.0.0.1:${await closedPort()}/client/v4` },
      ['example.com'],
    );
    assert.equal(refused.length, 1, 'nothing else is tried without a connection');
    assert.match(refused[0]?.detail ?? '', /could not connect to the Cloudflare API \(connection refused/);
    assert.match(refused[0]?.fix ?? '', /TB_ERR_CLOUDFLARE_UNREACHABLE/);

    h.fake.resetRequests();
    h.fake.injectFault(
      'token.verify',
      { kind: 'error', status: 500, code: 10001, message: 'Internal error' },
      5,
    );
    try {
      const answered = await checkCloudflare(production, []);
      assert.match(answered[0]?.detail ?? '', /Cloudflare answered 500 \(10001: Internal error\)/);
      assert.match(answered[0]?.fix ?? '', /TB_ERR_CLOUDFLARE_UPSTREAM/);
      assert.equal(h.fake.requestCount('token.verify'), 1 + DOCTOR_CLOUDFLARE_RETRIES);
    } finally {
      h.fake.clearFaults();
    }
  });

  it('reports a wrong account id', async () => {
    const checks = await checkCloudflare({ ...h.options, accountId: '0'.repeat(32) }, []);
    assert.equal(checks.find((c) => c.name === 'Cloudflare account')?.ok, false);
  });
});

describe('checkCloudflare (doctor): Cloudflare Access', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare({ accessTeamName: 'acme' });
    h.fake.seedAccessPolicy('Staff');
  });
  after(() => h.stop());
  afterEach(() => h.fake.setPermissions(ALL_PERMISSIONS));

  it('checks the team name and the policies of each environment using Access', async () => {
    const checks = await checkCloudflare(
      h.options,
      [],
      [
        { environment: 'staging', teamName: 'acme', policies: ['Staff'] },
        { environment: 'production', teamName: 'acme', policies: ['Staff', 'Oncall'] },
        { environment: 'lab', teamName: 'acme-lab', policies: [] },
      ],
    );
    const byName = new Map(checks.map((c) => [c.name, c]));
    assert.equal(byName.get('Cloudflare Access')?.ok, true);
    assert.equal(byName.get('Cloudflare Access for staging')?.ok, true);
    assert.equal(byName.get('Cloudflare Access for production')?.ok, false);
    assert.match(byName.get('Cloudflare Access for production')?.fix ?? '', /TB_ERR_ACCESS_POLICY_UNKNOWN/);
    assert.match(byName.get('Cloudflare Access for production')?.detail ?? '', /"Oncall"/);
    assert.equal(byName.get('Cloudflare Access for lab')?.ok, false);
    assert.match(byName.get('Cloudflare Access for lab')?.fix ?? '', /access\.teamName: acme/);
  });

  it('names the missing Access permission', async () => {
    h.fake.setPermissions(ALL_PERMISSIONS.filter((p) => p !== 'access:read' && p !== 'access:edit'));
    const checks = await checkCloudflare(
      h.options,
      [],
      [{ environment: 'staging', teamName: 'acme', policies: [] }],
    );
    const access = checks.find((c) => c.name === 'Cloudflare Access');
    assert.equal(access?.ok, false);
    assert.match(access?.detail ?? '', /Access: Apps and Policies/);
    assert.equal(checks.length, 4, 'no per-environment check without the permission');
  });

  it('adds no check where no environment uses Access', async () => {
    const checks = await checkCloudflare(h.options, []);
    assert.equal(
      checks.some((c) => c.name.startsWith('Cloudflare Access')),
      false,
    );
  });
});
