import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments, type Document } from 'yaml';
import type { ChangeSet } from '../../src/core/changeset.js';
import { planExpose, prepareExpose, type ExposeRequest } from '../../src/core/plan-expose.js';
import { planUnexpose } from '../../src/core/plan-unexpose.js';
import { parseSettings, type Settings } from '../../src/core/settings.js';
import type { RepoSnapshot } from '../../src/core/snapshot.js';
import { ERROR_CATALOG, isTunnelbotError } from '../../src/errors.js';
import { validateCloudflaredConfig } from '../../src/gitops/cloudflared/index.js';
import { FUZZ_SEED, hostileString, sample } from '../helpers/fuzz.js';
import { figure } from '../helpers/figures.js';

/**
 * Random Flux repositories for the planners: random kustomization layouts, missing files, garbage YAML, duplicate
 * resources, random Services and ports, existing cloudflared configs, good and broken `.sops.yaml`. Each repository
 * gets an expose and an unexpose: a plan's files all parse and its cloudflared config passes the project's
 * validator, and an expose undone by its unexpose gives the repository back byte for byte; anything else is a
 * TunnelbotError with a catalog code, never another throw.
 */

const RECIPIENT = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29';
const CREDENTIALS = {
  AccountTag: 'fedcba9876543210fedcba9876543210',
  TunnelSecret: Buffer.alloc(32, 7).toString('base64'),
  TunnelID: '0b8f3f5e-3b7a-4d0e-9a51-2c1f5a6b7c8d',
  Endpoint: '',
};
const ACCESS_AUD = 'a'.repeat(64);

const APPS = ['linkding', 'whoami', 'podinfo', 'grafana'] as const;
const garbage = fc.oneof(
  fc.constantFrom(
    '',
    ':',
    '- a\n b: c',
    'a: [1, 2',
    '{{ template }}',
    'key: value\nkey: again\n',
    '\t- tab',
    '!!binary x',
    '*alias',
    '&a [*a]',
    '--- \n--- \n',
    'null',
    '[]',
  ),
  hostileString,
);

const settingsText = fc.constantFrom(
  // per-app, the default layout
  'environments:\n  - {name: staging, path: apps/staging/tunnels, domain: example.com, tunnelMode: per-app}\n',
  // shared, with a ConfigMap holding the config
  'environments:\n  - {name: staging, path: apps/staging, domain: example.com, tunnelMode: shared, namespace: default, sharedConfig: apps/staging/cloudflared/configmap.yaml}\n',
  // shared, the directory tunnelbot creates
  'environments:\n  - {name: staging, path: apps/staging, domain: example.com, tunnelMode: shared}\n',
  // shared, with an environment name and a namespace that bare YAML reads as a boolean and a number
  'environments:\n  - {name: "on", path: apps/staging, domain: example.com, tunnelMode: shared, namespace: "123"}\n',
  // Access required in front of every app
  'environments:\n  - name: staging\n    path: apps/staging/tunnels\n    domain: example.com\n    access: {mode: required, teamName: acme, policies: [staff]}\n',
  // Access optional
  'environments:\n  - name: staging\n    path: apps/staging/tunnels\n    domain: example.com\n    access: {mode: optional, teamName: acme, policies: [staff]}\n',
);

const port = fc.oneof(fc.constantFrom(80, 443, 3000, 9090), fc.integer({ min: 1, max: 65535 }));

const service = fc
  .record({
    name: fc.oneof(fc.constantFrom(...APPS), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)),
    namespace: fc.option(fc.constantFrom('default', 'apps', 'linkding', 'other')),
    ports: fc.array(
      fc.record({
        port: fc.oneof(port, fc.constantFrom<unknown>('http', null, -1)),
        name: fc.option(fc.constantFrom('http', 'web')),
      }),
      { maxLength: 3 },
    ),
    kind: fc.oneof(
      { weight: 8, arbitrary: fc.constant('Service') },
      { weight: 1, arbitrary: fc.constantFrom('service', 'Deployment', '') },
    ),
  })
  .map(({ name, namespace, ports, kind }) =>
    [
      'apiVersion: v1',
      `kind: ${kind}`,
      'metadata:',
      `  name: ${name}`,
      ...(namespace ? [`  namespace: ${namespace}`] : []),
      'spec:',
      '  ports:',
      ...(ports.length === 0
        ? ['    []']
        : ports.flatMap((p) => [
            `    - port: ${JSON.stringify(p.port)}`,
            ...(p.name ? [`      name: ${p.name}`] : []),
          ])),
    ].join('\n'),
  );

const ingressRule = fc.oneof(
  fc
    .tuple(fc.constantFrom(...APPS, 'old', 'wiki'), fc.constantFrom('example.com', 'other.org'), port)
    .map(
      ([app, zone, p]) =>
        `- hostname: ${app}.${zone}\n  service: http://${app}.default.svc.cluster.local:${p}`,
    ),
  fc.constantFrom(
    '- service: hello_world\n  hostname: hello.example.com',
    '- hostname: "*.example.com"\n  service: http_status:403',
  ),
);

/** A cloudflared config: mostly valid (rules then the catch-all), sometimes without the catch-all, flow style, garbage. */
const cloudflaredConfig = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(ingressRule, { maxLength: 4 })
      .map((rules) =>
        [
          'tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef',
          'credentials-file: /etc/cloudflared/creds/credentials.json',
          'ingress:',
          ...rules,
          '- service: http_status:404',
        ]
          .join('\n')
          .concat('\n'),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'ingress:\n- hostname: a.example.com\n  service: http://a:80\n',
      'ingress: [{service: "http_status:404"}]\n',
      'tunnel: x\n',
      'ingress: nope\n',
    ),
  },
  { weight: 1, arbitrary: garbage },
);

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');

const configMap = cloudflaredConfig.map((config) =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: cloudflared',
    'data:',
    '  config.yaml: |',
    indent(config, '    '),
  ].join('\n'),
);

const kustomization = (entries: fc.Arbitrary<string[]>) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: entries.map(
        (list) =>
          `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:${list.length === 0 ? ' []' : list.map((e) => `\n  - ${e}`).join('')}\n`,
      ),
    },
    { weight: 1, arbitrary: entries.map((list) => `resources: [${list.join(', ')}]\n`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('resources: ./app\n', 'resources:\n  a: b\n', 'kind: Kustomization\n'),
    },
    { weight: 1, arbitrary: garbage },
  );

const sopsConfig = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constant(
      `creation_rules:\n  - path_regex: ^apps/.*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${RECIPIENT}\n`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      `creation_rules:\n  - path_regex: ^apps/.*\\.sops\\.yaml$\n    age: ${RECIPIENT}\n`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(`creation_rules:\n  - path_regex: ^nowhere/\n    age: ${RECIPIENT}\n`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'creation_rules:\n  - path_regex: "(("\n    age: age1x\n',
      'creation_rules: 5\n',
    ),
  },
  { weight: 1, arbitrary: garbage },
);

const fileOrMissing = (content: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 8, arbitrary: content.map((text) => text as string | undefined) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const repository = fc.record({
  settings: settingsText,
  sops: fileOrMissing(sopsConfig),
  parent: fileOrMissing(
    kustomization(
      fc.array(fc.constantFrom(...APPS, 'cloudflared', 'old', '../base/x', 'old'), { maxLength: 4 }),
    ),
  ),
  staging: fileOrMissing(kustomization(fc.constant(['tunnels', '../base/linkding']))),
  services: fc.array(
    fc.tuple(
      fc.constantFrom(
        'apps/base/a/service.yaml',
        'apps/base/b/all.yaml',
        'apps/staging/svc.yaml',
        'infra/x.yaml',
      ),
      fc.array(fc.oneof({ weight: 6, arbitrary: service }, { weight: 1, arbitrary: garbage }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    { maxLength: 4 },
  ),
  shared: fileOrMissing(fc.oneof(configMap, cloudflaredConfig)),
  perAppExisting: fc.option(fc.tuple(fc.constantFrom(...APPS), cloudflaredConfig)),
  flux: fileOrMissing(
    fc.constantFrom(
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps/staging\n  sourceRef: {kind: GitRepository, name: flux-system}\n  decryption: {provider: sops, secretRef: {name: sops-age}}\n',
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps}\nspec: {path: ./elsewhere}\n',
    ),
  ),
});

const rarely = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });

const request = fc
  .record({
    app: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(...APPS) },
      // Valid names that a bare YAML value would turn into a number or a boolean.
      { weight: 1, arbitrary: fc.constantFrom('2', 'on', 'no', '1e3', '0x1f', '1-2') },
      { weight: 1, arbitrary: hostileString },
    ),
    port: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(80, 9090, 3000) },
      { weight: 2, arbitrary: port },
      { weight: 1, arbitrary: fc.constantFrom<string | number>('x', 0, '70000') },
    ),
    hostname: rarely(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            'linkding.example.com',
            'new.example.com',
            'x.other.org',
            'bad_host.example.com',
          ),
        },
        { weight: 1, arbitrary: hostileString },
      ),
    ),
    namespace: rarely(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('default', 'apps', 'linkding') },
        { weight: 1, arbitrary: hostileString },
      ),
    ),
    access: rarely(fc.constant('public' as const)),
    aud: fc.boolean(),
  })
  .map(({ hostname, namespace, access, ...rest }) => ({
    ...rest,
    ...(hostname !== undefined && { hostname }),
    ...(namespace !== undefined && { namespace }),
    ...(access !== undefined && { access }),
  }));

type Repo = typeof repository extends fc.Arbitrary<infer T> ? T : never;

function snapshotOf(repo: Repo): { snapshot: RepoSnapshot; settings: Settings } {
  const files = new Map<string, string>();
  const put = (path: string, content: string | undefined) =>
    content !== undefined && files.set(path, content);
  const settings = parseSettings(repo.settings, '.tunnelbot.yaml');
  put('.sops.yaml', repo.sops);
  put('apps/staging/tunnels/kustomization.yaml', repo.parent);
  put('apps/staging/kustomization.yaml', repo.staging ?? repo.parent);
  for (const [path, documents] of repo.services) put(path, documents.join('\n---\n'));
  put('apps/staging/cloudflared/configmap.yaml', repo.shared);
  put('apps/staging/cloudflared/config.yaml', repo.shared);
  if (repo.perAppExisting) {
    const [app, config] = repo.perAppExisting;
    put(`apps/staging/tunnels/${app}/config.yaml`, config);
    put(`apps/staging/tunnels/${app}/kustomization.yaml`, 'resources:\n  - deployment.yaml\n');
  }
  put('clusters/staging/apps.yaml', repo.flux);
  return { snapshot: { files }, settings };
}

/**
 * Kubernetes reads manifests as YAML 1.1 (sigs.k8s.io/yaml), where a bare `2`, `on` or `no` is no string: every
 * name, namespace, label value and kustomization resource a plan writes must be a string under both versions.
 */
function assertStringFields(path: string, content: string): void {
  for (const version of ['1.1', '1.2'] as const) {
    for (const document of parseAllDocuments(content, { version }) as Document.Parsed[]) {
      const value = document.toJS() as {
        metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> };
        namespace?: unknown;
        resources?: unknown[];
      } | null;
      if (value === null || typeof value !== 'object') continue;
      const fields: Record<string, unknown> = {
        ...(value.metadata && { 'metadata.name': value.metadata.name }),
        ...(value.metadata?.namespace !== undefined && { 'metadata.namespace': value.metadata.namespace }),
        ...Object.fromEntries(
          Object.entries(value.metadata?.labels ?? {}).map(([key, label]) => [`label ${key}`, label]),
        ),
        ...(value.namespace !== undefined && { namespace: value.namespace }),
        ...Object.fromEntries((value.resources ?? []).map((entry, index) => [`resources[${index}]`, entry])),
      };
      for (const [field, actual] of Object.entries(fields)) {
        assert.equal(
          typeof actual,
          'string',
          `${path}: ${field} is a string in YAML ${version}, got ${String(actual)}`,
        );
      }
    }
  }
}

/** Every file a plan writes parses as YAML; a cloudflared config among them (or inside a ConfigMap) validates. */
function assertWellFormed(changeSet: ChangeSet): number {
  let configs = 0;
  for (const file of changeSet.files) {
    if (file.change === 'deleted') continue;
    const documents = parseAllDocuments(file.content);
    const list = Array.isArray(documents) ? documents : [documents];
    for (const document of list) assert.deepEqual(document.errors, [], `${file.path} parses`);
    assertStringFields(file.path, file.content);
    for (const document of list) {
      const value = document.toJS() as {
        kind?: string;
        data?: Record<string, unknown>;
        ingress?: unknown;
      } | null;
      const embedded = value?.kind === 'ConfigMap' ? value.data?.['config.yaml'] : undefined;
      const config =
        typeof embedded === 'string' ? embedded : value?.ingress !== undefined ? file.content : undefined;
      if (config === undefined) continue;
      configs += 1;
      const result = validateCloudflaredConfig(config, file.path);
      assert.ok(result.ok, `${file.path} is a valid cloudflared config: ${result.ok ? '' : result.error}`);
    }
  }
  return configs;
}

function apply(snapshot: RepoSnapshot, changeSet: ChangeSet): RepoSnapshot {
  const files = new Map(snapshot.files);
  for (const file of changeSet.files) {
    if (file.change === 'deleted') files.delete(file.path);
    else files.set(file.path, file.content);
  }
  return { files };
}

function refusal(error: unknown, replay: string): string {
  assert.ok(
    isTunnelbotError(error),
    `${replay}: a TunnelbotError, got ${error instanceof Error ? error.stack : String(error)}`,
  );
  assert.ok(error.code in ERROR_CATALOG, replay);
  assert.notEqual(error.code, 'TB_ERR_INTERNAL', replay);
  assert.ok(error.message.length > 0 && !/\n\s+at /.test(error.message), replay);
  return error.code;
}

test('fuzz: 250 random repositories: the planners plan well-formed files that unexpose undoes, or refuse with a code', async (t) => {
  const seed = FUZZ_SEED + 30;
  const cases = sample(fc.tuple(repository, request), 250, seed);
  const codes = new Map<string, number>();
  let planned = 0;
  let undone = 0;
  let configs = 0;
  for (const [index, [repo, ask]] of cases.entries()) {
    const replay = `seed ${seed}, case ${index}: ${JSON.stringify({ repo, ask }).slice(0, 600)}`;
    const { snapshot, settings } = snapshotOf(repo);
    const { aud, ...exposeRequest } = ask as typeof ask & ExposeRequest;
    let plan;
    try {
      const target = prepareExpose(exposeRequest, snapshot, settings);
      plan = await planExpose(target, snapshot, settings, {
        credentials: CREDENTIALS,
        ...(aud && { accessAud: ACCESS_AUD }),
        now: new Date('2026-12-03T12:00:00Z'),
      });
    } catch (error) {
      const code = refusal(error, replay);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    if (plan) {
      planned += 1;
      try {
        configs += assertWellFormed(plan.changeSet);
      } catch (failure) {
        assert.fail(`${replay}: ${(failure as Error).message}`);
      }
      // The inverse: unexposing what was just exposed gives the repository back.
      const after = apply(snapshot, plan.changeSet);
      const inverse = planUnexpose({ app: plan.target.app, hostname: plan.target.hostname }, after, settings);
      const restored = apply(after, inverse.changeSet).files;
      const differs = [...new Set([...restored.keys(), ...snapshot.files.keys()])].filter(
        (path) => restored.get(path) !== snapshot.files.get(path),
      );
      assert.deepEqual(
        differs,
        [],
        `${replay}: unexpose undoes the expose (${plan.target.tunnel.action}: ${plan.changeSet.files.map((f) => `${f.change} ${f.path}`).join(', ')})`,
      );
      undone += 1;
    }
    // Unexpose on the repository as generated: a plan, or a refusal with a code.
    try {
      assertWellFormed(
        planUnexpose(
          { app: ask.app, ...(ask.hostname !== undefined && { hostname: ask.hostname }) },
          snapshot,
          settings,
        ).changeSet,
      );
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      const code = refusal(error, `${replay} (unexpose)`);
      codes.set(`unexpose ${code}`, (codes.get(`unexpose ${code}`) ?? 0) + 1);
    }
  }
  figure(t, 'planner fuzz: random Flux repositories', {
    repositories: cases.length,
    planned,
    configsValidated: configs,
    undoneByteForByte: undone,
    distinctRefusals: codes.size,
  });
  t.diagnostic(
    `seed ${seed}: ${cases.length} repositories: ${planned} exposes planned (${configs} cloudflared configs validated, ${undone} undone byte for byte), ` +
      `refusals by code: ${[...codes]
        .sort()
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
  );
  // 22 to 45 of the 250 repositories plan an expose, by seed: the floor says the generator still makes plannable ones.
  assert.ok(planned >= 15, `${planned} planned`);
  assert.ok(codes.size >= 8, `${codes.size} distinct refusals`);
});

const SHARED =
  'environments:\n  - {name: staging, path: apps/staging, domain: example.com, tunnelMode: shared}\n';
const SERVICE =
  'apiVersion: v1\nkind: Service\nmetadata: {name: linkding, namespace: default}\nspec:\n  ports:\n    - port: 9090\n';
const SOPS = `creation_rules:\n  - path_regex: ^apps/.*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${RECIPIENT}\n`;

// Found by the fuzzer: a YAML alias without its anchor anywhere in the repository threw yaml's ReferenceError out
// of every plan, instead of the file being skipped as unreadable like any other broken file that is not ours.
test('regression: a file with an unresolved YAML alias is skipped with a warning, not thrown', async () => {
  const settings = parseSettings(SHARED, '.tunnelbot.yaml');
  const files = new Map([
    ['.sops.yaml', SOPS],
    ['apps/staging/kustomization.yaml', 'resources: []\n'],
    ['apps/base/linkding/service.yaml', SERVICE],
    ['apps/other/notes.yaml', '*bold*\n'],
  ]);
  const target = prepareExpose({ app: 'linkding', port: 9090 }, { files }, settings);
  assert.match(target.warnings.join('\n'), /Skipped files that are not valid YAML: apps\/other\/notes\.yaml/);
  assert.throws(
    () => planUnexpose({ app: 'linkding' }, { files }, settings),
    (error) => isTunnelbotError(error) && error.code === 'TB_ERR_PLAN_NOT_EXPOSED',
  );
});

// Found by the fuzzer: with no readable config at the shared path, the shared tunnel was written over the files
// already in its directory (reported as "added"), and the unexpose then deleted them.
test('regression: the shared tunnel is not created over files already in its directory', () => {
  const settings = parseSettings(SHARED, '.tunnelbot.yaml');
  const files = new Map([
    ['.sops.yaml', SOPS],
    ['apps/staging/kustomization.yaml', 'resources: []\n'],
    ['apps/base/linkding/service.yaml', SERVICE],
    ['apps/staging/cloudflared/config.yaml', 'not: a cloudflared config\n'],
    ['apps/staging/cloudflared/notes.yaml', 'keep: me\n'],
  ]);
  assert.throws(
    () => prepareExpose({ app: 'linkding', port: 9090 }, { files }, settings),
    (error) =>
      isTunnelbotError(error) &&
      error.code === 'TB_ERR_PLAN_SHARED_CONFIG' &&
      error.message.includes('apps/staging/cloudflared/config.yaml, apps/staging/cloudflared/notes.yaml'),
  );
});
