import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Cloudflare from 'cloudflare';
import { startCloudflare, type CloudflareHarness } from '../../helpers/cloudflare.js';

/** The fake's Access endpoints through the official SDK, as the adapter calls them. */
describe('fake Cloudflare: Access', () => {
  let h: CloudflareHarness;
  let client: Cloudflare;
  before(async () => {
    h = await startCloudflare({ accessTeamName: 'acme' });
    client = new Cloudflare({
      apiToken: h.fake.apiToken,
      baseURL: h.baseURL,
      maxRetries: 0,
      apiVersion: '2026-01-01',
    });
  });
  after(() => h.stop());

  it('answers the organization with its team domain', async () => {
    const organization = await client.zeroTrust.organizations.list({ account_id: h.fake.accountId });
    assert.equal(organization.auth_domain, 'acme.cloudflareaccess.com');
  });

  it('makes self-hosted applications with a 64-hex aud and filters them by exact domain', async () => {
    const staff = h.fake.seedAccessPolicy('Staff');
    const created = (await client.zeroTrust.access.applications.create({
      account_id: h.fake.accountId,
      type: 'self_hosted',
      name: 'app',
      domain: 'app.example.com',
      policies: [{ id: staff.id, precedence: 1 }],
    })) as { id: string; aud: string; policies: { id: string }[] };
    assert.match(created.aud, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      created.policies.map((p) => p.id),
      [staff.id],
    );
    h.fake.seedAccessApp({ name: 'other', domain: 'myapp.example.com' });
    const exact = [];
    for await (const app of client.zeroTrust.access.applications.list({
      account_id: h.fake.accountId,
      domain: 'app.example.com',
      exact: true,
    }))
      exact.push(app);
    assert.deepEqual(
      exact.map((app) => (app as { id: string }).id),
      [created.id],
    );
    const contains = [];
    for await (const app of client.zeroTrust.access.applications.list({
      account_id: h.fake.accountId,
      domain: 'app.example.com',
    }))
      contains.push(app);
    assert.equal(contains.length, 2, 'without exact the domain is a substring match');
    await client.zeroTrust.access.applications.delete(created.id, { account_id: h.fake.accountId });
    await assert.rejects(
      client.zeroTrust.access.applications.get(created.id, { account_id: h.fake.accountId }),
      (error: unknown) =>
        error instanceof Cloudflare.NotFoundError && error.errors.some((e) => e.code === 12045),
    );
  });

  it('pages policies and ends with an empty page, as the SDK iterator needs', async () => {
    for (let i = 0; i < 30; i++) h.fake.seedAccessPolicy(`p${i}`);
    const names: string[] = [];
    for await (const policy of client.zeroTrust.access.policies.list({
      account_id: h.fake.accountId,
      per_page: 7,
    }))
      names.push(policy.name ?? '');
    assert.equal(names.length, h.fake.access.policies.size);
    assert.equal(new Set(names).size, names.length);
  });

  it('refuses an unknown policy, a missing domain, and a token without Access permission', async () => {
    await assert.rejects(
      client.zeroTrust.access.applications.create({
        account_id: h.fake.accountId,
        type: 'self_hosted',
        domain: 'x.example.com',
        policies: ['00000000-0000-0000-0000-000000000000'],
      }),
      Cloudflare.NotFoundError,
    );
    await assert.rejects(
      client.zeroTrust.access.applications.create({
        account_id: h.fake.accountId,
        type: 'self_hosted',
        domain: '',
      }),
      Cloudflare.BadRequestError,
    );
    h.fake.setPermissions(['account:read']);
    await assert.rejects(
      client.zeroTrust.access.applications.list({ account_id: h.fake.accountId }),
      Cloudflare.PermissionDeniedError,
    );
  });
});
