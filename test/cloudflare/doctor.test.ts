import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCloudflare } from '../../src/adapters/cloudflare/doctor.js';
import { ALL_PERMISSIONS } from '../../src/sandbox/cloudflare/index.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';

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

  it('stops at a rejected token', async () => {
    const checks = await checkCloudflare({ ...h.options, apiToken: 'nope' }, ['example.com']);
    assert.equal(checks.length, 1);
    assert.equal(checks[0]?.ok, false);
    assert.match(checks[0]?.fix ?? '', /TB_ERR_CLOUDFLARE_AUTH/);
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
