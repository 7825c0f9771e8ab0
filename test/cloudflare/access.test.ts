import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { TunnelbotError } from '../../src/errors.js';
import { ALL_PERMISSIONS } from '../../src/sandbox/cloudflare/index.js';
import { startCloudflare, type CloudflareHarness } from '../helpers/cloudflare.js';

describe('CloudflareAdapter: Access applications', () => {
  let h: CloudflareHarness;
  before(async () => {
    h = await startCloudflare({ accessTeamName: 'acme' }, { maxRetries: 0 });
  });
  after(() => h.stop());
  afterEach(() => {
    h.fake.clearFaults();
    h.fake.setPermissions(ALL_PERMISSIONS);
    h.fake.access.apps.clear();
  });

  it('reads the team domain, and null where Zero Trust was never set up', async () => {
    assert.equal(await h.adapter.getAccessAuthDomain(), 'acme.cloudflareaccess.com');
    h.fake.access.teamName = null;
    try {
      assert.equal(await h.adapter.getAccessAuthDomain(), null);
    } finally {
      h.fake.access.teamName = 'acme';
    }
  });

  it('a create whose answer was lost finds its application by name instead of making a second one', async () => {
    h.fake.injectFault('access.apps.create', { kind: 'drop', when: 'after' });
    const app = await h.adapter.createAccessApplication({
      hostname: 'App.Example.com',
      name: 'app.example.com (ours)',
      policyIds: [],
      include: [{ email: { email: 'ops@example.com' } }],
    });
    assert.equal(h.fake.requestCount('access.apps.create'), 1, 'never retried');
    assert.deepEqual(
      h.fake.accessApps().map((a) => [a.id, a.domain, a.ownPolicies.length]),
      [[app.id, 'app.example.com', 1]],
    );
  });

  it('an application whose policy cannot be added is deleted again', async () => {
    h.fake.injectFault('access.apps.policies.create', { kind: 'error', status: 500, code: 10001 });
    await assert.rejects(
      h.adapter.createAccessApplication({
        hostname: 'app.example.com',
        name: 'app',
        policyIds: [],
        include: [{ email_domain: { domain: 'example.com' } }],
      }),
      (error: unknown) => error instanceof TunnelbotError && error.kind === 'upstream',
    );
    assert.deepEqual(h.fake.accessApps(), []);
  });

  it('names the Access permission a token lacks, and deleting twice is fine', async () => {
    h.fake.setPermissions(ALL_PERMISSIONS.filter((p) => p !== 'access:edit'));
    await assert.rejects(
      h.adapter.createAccessApplication({ hostname: 'a.example.com', name: 'a', policyIds: [], include: [] }),
      (error: unknown) =>
        error instanceof TunnelbotError &&
        error.code === 'TB_ERR_CLOUDFLARE_PERMISSION' &&
        /Access: Apps and Policies › Edit/.test(error.message),
    );
    h.fake.setPermissions(ALL_PERMISSIONS);
    const app = h.fake.seedAccessApp({ name: 'x', domain: 'x.example.com' });
    await h.adapter.deleteAccessApplication(app.id);
    await h.adapter.deleteAccessApplication(app.id);
    assert.equal(await h.adapter.getAccessApplication(app.id), null);
  });
});
