import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { desiredState } from '../../src/core/desired-state.js';
import { planExpose, prepareExpose } from '../../src/core/plan-expose.js';
import { defaultSettings, parseSettings } from '../../src/core/settings.js';
import type { FileChange } from '../../src/core/changeset.js';
import type { RepoSnapshot } from '../../src/core/snapshot.js';
import { readFixtureRepo } from '../helpers/fixtures.js';

function applied(snapshot: RepoSnapshot, files: readonly FileChange[]): RepoSnapshot {
  const next = new Map(snapshot.files);
  for (const file of files) {
    if (file.change === 'deleted') next.delete(file.path);
    else next.set(file.path, file.content);
  }
  return { files: next };
}

test('desired DNS follows the managed tunnel configs of the default branch, and only those', async () => {
  const snapshot = readFixtureRepo('flux-example');
  const settings = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  assert.deepEqual(desiredState(snapshot, settings).hostnames, []);

  const tunnelId = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
  const target = prepareExpose({ app: 'linkding', port: 9090 }, snapshot, settings);
  const plan = await planExpose(target, snapshot, settings, {
    now: new Date('2026-11-27T10:00:00Z'),
    credentials: {
      AccountTag: '0123456789abcdef0123456789abcdef',
      TunnelSecret: randomBytes(32).toString('base64'),
      TunnelID: tunnelId,
      Endpoint: '',
    },
  });
  const exposed = applied(snapshot, plan.changeSet.files);
  const state = desiredState(exposed, settings);
  assert.deepEqual(state.hostnames, [
    {
      hostname: 'linkding.example.com',
      tunnelId,
      environment: 'staging',
      app: 'linkding',
      access: undefined,
    },
  ]);
  assert.deepEqual([...state.tunnelIds], [tunnelId]);

  // A hand-written cloudflared config outside tunnelbot's environments is not ours to route.
  const foreign = new Map(exposed.files);
  foreign.set(
    'infra/cloudflared/config.yaml',
    'tunnel: 11111111-2222-3333-4444-555555555555\ningress:\n  - hostname: other.example.com\n    service: http://x:1\n  - service: http_status:404\n',
  );
  assert.deepEqual(desiredState({ files: foreign }, settings).hostnames, state.hostnames);
  // Nor is the same directory without tunnelbot's managed-by label on its Deployment (the comment alone is no claim).
  const unmarked = new Map(exposed.files);
  const deployment = 'apps/staging/tunnels/linkding/deployment.yaml';
  unmarked.set(deployment, unmarked.get(deployment)!.replaceAll('managed-by: tunnelbot', 'managed-by: helm'));
  assert.deepEqual(desiredState({ files: unmarked }, settings).hostnames, []);
  // A directory whose comment a formatter dropped is still ours.
  const stripped = new Map(exposed.files);
  const kustomization = 'apps/staging/tunnels/linkding/kustomization.yaml';
  stripped.set(kustomization, stripped.get(kustomization)!.replace(/^#.*\n/gm, ''));
  assert.deepEqual(desiredState({ files: stripped }, settings).hostnames, state.hostnames);
});

test("a shared environment's config counts; a tunnel named instead of identified is reported", () => {
  const snapshot = readFixtureRepo('seed');
  const settings = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  const state = desiredState(snapshot, settings);
  assert.deepEqual(
    state.hostnames.map((entry) => [entry.hostname, entry.environment, entry.app]),
    [
      ['linkding.hervedelaunay.com', 'staging', undefined],
      ['hello.example.com', 'staging', undefined],
    ],
  );
  const named = new Map(snapshot.files);
  const path = 'apps/staging/cloudflared/configmap.yaml';
  named.set(
    path,
    named.get(path)!.replace('tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef', 'tunnel: linkding'),
  );
  const withName = desiredState({ files: named }, settings);
  assert.deepEqual(withName.hostnames, []);
  assert.match(withName.warnings[0]!, /names its tunnel "linkding" instead of its UUID/);
  assert.deepEqual(desiredState(snapshot, defaultSettings()).hostnames, []);
});

test('a hostname counts as protected only when every rule for it requires an Access token', async () => {
  const snapshot = readFixtureRepo('flux-example');
  const raw = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  const settings = parseSettings(
    JSON.stringify({
      ...raw,
      environments: [
        { ...raw.environments[0], access: { mode: 'required', teamName: 'acme', policies: ['Staff'] } },
      ],
    }),
    'test.yaml',
  );
  const tunnelId = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
  const aud = 'd'.repeat(64);
  const target = prepareExpose({ app: 'linkding', port: 9090 }, snapshot, settings);
  const plan = await planExpose(target, snapshot, settings, {
    now: new Date('2026-11-27T10:00:00Z'),
    accessAud: aud,
    credentials: {
      AccountTag: '0123456789abcdef0123456789abcdef',
      TunnelSecret: randomBytes(32).toString('base64'),
      TunnelID: tunnelId,
      Endpoint: '',
    },
  });
  const exposed = applied(snapshot, plan.changeSet.files);
  const [routed] = desiredState(exposed, settings).hostnames;
  assert.deepEqual(routed?.access, { teamName: 'acme', audTags: [aud] });

  // A second rule for the hostname without the check opens a way around it: not protected.
  const path = 'apps/staging/tunnels/linkding/config.yaml';
  const config = exposed.files.get(path)!;
  // cloudflared matches top-down, so this earlier rule serves /api without a token.
  const opened = config.replace(
    'ingress:\n',
    'ingress:\n  - hostname: linkding.example.com\n    path: ^/api\n    service: http://linkding.linkding.svc.cluster.local:9090\n',
  );
  assert.notEqual(opened, config);
  const bypassed = { files: new Map([...exposed.files, [path, opened]]) };
  assert.equal(desiredState(bypassed, settings).hostnames[0]?.access, undefined);
});
