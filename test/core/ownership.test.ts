import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import type { FileChange } from '../../src/core/changeset.js';
import { desiredState } from '../../src/core/desired-state.js';
import { ownerComment, planDns, tunnelTarget, type DnsRecord } from '../../src/core/dns-plan.js';
import { collectOrphanTunnels } from '../../src/core/orphan-tunnels.js';
import { isTunnelbotDirectory } from '../../src/core/ownership.js';
import { planExpose, prepareExpose } from '../../src/core/plan-expose.js';
import { planUnexpose } from '../../src/core/plan-unexpose.js';
import { parseSettings, type Settings } from '../../src/core/settings.js';
import { isYamlPath, type RepoSnapshot } from '../../src/core/snapshot.js';
import { readFixtureRepo } from '../helpers/fixtures.js';

const TUNNELS = {
  linkding: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
  podinfo: '0b8c1f2e-5a3d-4c6b-9e7f-112233445566',
  shared: '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a',
};

function applied(snapshot: RepoSnapshot, files: readonly FileChange[]): RepoSnapshot {
  const next = new Map(snapshot.files);
  for (const file of files) {
    if (file.change === 'deleted') next.delete(file.path);
    else next.set(file.path, file.content);
  }
  return { files: next };
}

async function exposeIn(
  snapshot: RepoSnapshot,
  settings: Settings,
  request: { app: string; port: number; environment: string; namespace?: string; hostname?: string },
  tunnelId: string,
): Promise<{ snapshot: RepoSnapshot; written: string[] }> {
  const target = prepareExpose(request, snapshot, settings);
  const plan = await planExpose(target, snapshot, settings, {
    now: new Date('2026-11-27T10:00:00Z'),
    credentials: {
      AccountTag: '0123456789abcdef0123456789abcdef',
      TunnelSecret: randomBytes(32).toString('base64'),
      TunnelID: tunnelId,
      Endpoint: '',
    },
  });
  return {
    snapshot: applied(snapshot, plan.changeSet.files),
    written: plan.changeSet.files.map((file) => file.path),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, child]) => [key, sortKeys(child)]),
    );
  }
  return value;
}

type Rewrite = (text: string) => string;

function eachDocument(text: string, render: (value: unknown) => string): string {
  return parseAllDocuments(text)
    .map((document) => render(document.toJS()))
    .join('---\n');
}

/** What the tools people run over a GitOps repository do to files: every one of them drops the comments. */
const REWRITES: Record<string, Rewrite> = {
  // A parse/serialise round trip (yq, scripts built on a YAML library).
  'yaml round trip': (text) => eachDocument(text, (value) => stringify(value)),
  // `kustomize edit` / `kubectl kustomize` output: keys sorted, sequences not indented, no comments.
  'kustomize-style rewrite': (text) =>
    eachDocument(text, (value) => stringify(sortKeys(value), { indentSeq: false })),
  // A formatter with other preferences: four-space indent, every string double-quoted, keys reordered.
  formatter: (text) =>
    eachDocument(text, (value) =>
      stringify(sortKeys(value), { indent: 4, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }),
    ),
};

function rewriteFiles(snapshot: RepoSnapshot, paths: readonly string[], rewrite: Rewrite): RepoSnapshot {
  const files = new Map(snapshot.files);
  for (const path of paths) {
    const text = files.get(path);
    if (text !== undefined && isYamlPath(path)) files.set(path, rewrite(text));
  }
  return { files };
}

test('what tunnelbot manages survives formatters, key reordering and lost comments', async () => {
  const fixture = readFixtureRepo('flux-example');
  const settings = parseSettings(
    `environments:
  - {name: staging, path: apps/staging/tunnels, domain: example.com}
  - {name: shared, path: apps/shared, domain: example.com, tunnelMode: shared}
`,
    'settings',
  );
  const base: RepoSnapshot = {
    files: new Map([
      ...fixture.files,
      [
        'apps/shared/kustomization.yaml',
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n',
      ],
    ]),
  };
  const first = await exposeIn(
    base,
    settings,
    { app: 'linkding', port: 9090, environment: 'staging' },
    TUNNELS.linkding,
  );
  const second = await exposeIn(
    first.snapshot,
    settings,
    { app: 'podinfo', port: 9898, environment: 'staging', namespace: 'podinfo' },
    TUNNELS.podinfo,
  );
  const third = await exposeIn(
    second.snapshot,
    settings,
    {
      app: 'linkding',
      port: 9090,
      environment: 'shared',
      namespace: 'linkding',
      hostname: 'links.example.com',
    },
    TUNNELS.shared,
  );
  const exposed = third.snapshot;
  const written = [...new Set([...first.written, ...second.written, ...third.written])];
  assert.ok(written.some((path) => path.endsWith('/kustomization.yaml')));

  const marker = ownerComment('default');
  const record = (id: string, name: string, tunnelId: string): DnsRecord => ({
    id,
    zoneId: 'zone',
    type: 'CNAME',
    name,
    content: tunnelTarget(tunnelId),
    proxied: true,
    ttl: 1,
    comment: marker,
  });
  const actual = [
    record('r1', 'linkding.example.com', TUNNELS.linkding),
    record('r2', 'podinfo.example.com', TUNNELS.shared),
  ];
  const tunnels = Object.entries(TUNNELS).map(([app, id]) => ({
    id,
    name: `tunnelbot-${app}`,
    createdAt: '2026-01-01T00:00:00Z',
  }));
  const decisions = (snapshot: RepoSnapshot) => {
    const desired = desiredState(snapshot, settings);
    return {
      desired,
      dns: planDns({
        desired: desired.hostnames,
        actual,
        ownerComment: marker,
        connected: desired.tunnelIds,
      }),
      orphans: collectOrphanTunnels({
        tunnels,
        referenced: desired.tunnelIds,
        namePrefix: 'tunnelbot-',
        graceMs: 0,
        now: new Date('2026-12-01T00:00:00Z'),
      }),
      unexpose: planUnexpose({ app: 'podinfo', environment: 'staging' }, snapshot, settings).deleteTunnelId,
    };
  };
  const expected = decisions(exposed);
  assert.deepEqual(
    expected.desired.hostnames.map((entry) => [entry.hostname, entry.tunnelId, entry.app]),
    [
      ['links.example.com', TUNNELS.shared, undefined],
      ['linkding.example.com', TUNNELS.linkding, 'linkding'],
      ['podinfo.example.com', TUNNELS.podinfo, 'podinfo'],
    ],
  );
  assert.deepEqual(
    [expected.dns.create.map((spec) => spec.name), expected.dns.update.map((u) => u.spec.content)],
    [['links.example.com'], [tunnelTarget(TUNNELS.podinfo)]],
  );
  assert.deepEqual(expected.orphans.delete, []);
  assert.equal(expected.unexpose, TUNNELS.podinfo);

  for (const [name, rewrite] of Object.entries(REWRITES)) {
    const rewritten = rewriteFiles(exposed, written, rewrite);
    const changed = written.filter((path) => rewritten.files.get(path) !== exposed.files.get(path));
    assert.ok(changed.length >= written.length - 1, `${name} rewrote the files`);
    assert.ok(
      [...rewritten.files.values()].every((text) => !text.includes('# Managed by tunnelbot.')),
      `${name} dropped every comment`,
    );
    assert.deepEqual(decisions(rewritten), expected, `${name}: same desired state, DNS plan and orphans`);
  }
});

test('a directory is tunnelbot’s by the managed-by label of its Deployment, not by a comment', async () => {
  const snapshot = readFixtureRepo('flux-example');
  const settings = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  const { snapshot: exposed } = await exposeIn(
    snapshot,
    settings,
    { app: 'linkding', port: 9090, environment: 'staging' },
    TUNNELS.linkding,
  );
  const directory = 'apps/staging/tunnels/linkding';
  assert.equal(isTunnelbotDirectory(exposed, directory), true);

  const commentOnly = new Map(exposed.files);
  const deployment = `${directory}/deployment.yaml`;
  commentOnly.set(
    deployment,
    commentOnly
      .get(deployment)!
      .replaceAll('app.kubernetes.io/managed-by: tunnelbot', 'app.kubernetes.io/managed-by: kustomize'),
  );
  assert.match(commentOnly.get(`${directory}/kustomization.yaml`)!, /^# Managed by tunnelbot\./);
  assert.equal(
    isTunnelbotDirectory({ files: commentOnly }, directory),
    false,
    'the comment alone claims nothing',
  );
  assert.deepEqual(desiredState({ files: commentOnly }, settings).hostnames, []);
  assert.equal(
    isTunnelbotDirectory(exposed, 'apps/staging/tunnels'),
    false,
    'only the directory itself counts',
  );
});
