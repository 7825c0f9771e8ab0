import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments, parseDocument } from 'yaml';
import { planExpose, prepareExpose } from '../../src/core/plan-expose.js';
import { planInit, type InitRequest } from '../../src/core/plan-init.js';
import { parseSettings } from '../../src/core/settings.js';
import type { RepoSnapshot } from '../../src/core/snapshot.js';
import { TunnelbotError } from '../../src/errors.js';
import { decryptYaml, parseSopsConfig, resolveCreationRule } from '../../src/gitops/sops/index.js';
import { readFixtureRepo } from '../helpers/fixtures.js';
import { VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';

const TOKEN = 'flux-webhook-token-for-tests-0123456789';
const NOW = new Date('2026-03-01T12:00:00Z');
const identities = vectorIdentities('age.txt');
const CREDENTIALS = {
  AccountTag: '0123456789abcdef0123456789abcdef',
  TunnelSecret: Buffer.alloc(32, 7).toString('base64'),
  TunnelID: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
  Endpoint: '',
};

function request(overrides: Partial<InitRequest> = {}): InitRequest {
  return {
    ageRecipient: VECTOR_RECIPIENT,
    domain: 'example.com',
    access: { teamName: 'acme', policies: ['Staff'] },
    ...overrides,
  } as InitRequest;
}

async function init(snapshot: RepoSnapshot, overrides: Partial<InitRequest> = {}) {
  return planInit(request(overrides), snapshot, { webhookToken: TOKEN, now: NOW });
}

function applied(snapshot: RepoSnapshot, plan: Awaited<ReturnType<typeof init>>): RepoSnapshot {
  const files = new Map(snapshot.files);
  for (const file of plan.changeSet.files) {
    if (file.change === 'deleted') files.delete(file.path);
    else files.set(file.path, file.content);
  }
  return { files };
}

function without(snapshot: RepoSnapshot, drop: (path: string) => boolean, edit: Record<string, string> = {}) {
  const files = new Map([...snapshot.files].filter(([path]) => !drop(path)));
  for (const [path, content] of Object.entries(edit)) files.set(path, content);
  return { files };
}

/** Every line of `before` is still in `after`, in the same order: the edit only added lines. */
function onlyAdded(before: string, after: string): void {
  const remaining = after.split('\n');
  for (const line of before.split('\n')) {
    const at = remaining.indexOf(line);
    assert.notEqual(at, -1, `line ${JSON.stringify(line)} was lost`);
    remaining.splice(0, at + 1);
  }
}

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TunnelbotError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

async function exposeWorks(snapshot: RepoSnapshot, app: string, port: number, environment?: string) {
  const settings = parseSettings(snapshot.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  const target = prepareExpose(
    { app, port, ...(environment !== undefined && { environment }) },
    snapshot,
    settings,
  );
  assert.deepEqual(target.warnings, [], 'no Flux or SOPS warning is left for the operator to fix');
  // An environment init wrote requires Access, so its rule carries the application's tag.
  const plan = await planExpose(target, snapshot, settings, {
    credentials: CREDENTIALS,
    accessAud: 'c'.repeat(64),
    now: NOW,
  });
  const secret = plan.changeSet.files.find((file) => file.path.endsWith('secret.sops.yaml'))!;
  assert.ok('content' in secret);
  const plaintext = await decryptYaml(secret.content, { identities });
  assert.match(plaintext, new RegExp(CREDENTIALS.TunnelSecret.slice(0, 20)));
  return plan;
}

test('flux-example, already half ready: only the Flux notifications are added, the rest is found', async () => {
  const snapshot = readFixtureRepo('flux-example');
  const plan = await init(snapshot);
  assert.equal(plan.environment, 'staging', 'the one environment of .tunnelbot.yaml inside apps/staging');
  assert.equal(plan.fluxPath, 'apps/staging');
  assert.equal(plan.tunnelsPath, 'apps/staging/tunnels');
  assert.deepEqual(plan.ageKeySecrets, [{ namespace: 'flux-system', name: 'sops-age' }]);
  assert.deepEqual(
    plan.changeSet.files.map((file) => `${file.path} ${file.change}`),
    [
      'apps/staging/kustomization.yaml modified',
      'apps/staging/tunnelbot-notifications/alert.yaml added',
      'apps/staging/tunnelbot-notifications/kustomization.yaml added',
      'apps/staging/tunnelbot-notifications/provider.yaml added',
      'apps/staging/tunnelbot-notifications/webhook-token.sops.yaml added',
    ],
  );
  const after = applied(snapshot, plan);
  assert.equal(
    after.files.get('apps/staging/kustomization.yaml'),
    `${snapshot.files.get('apps/staging/kustomization.yaml')}  - tunnelbot-notifications\n`,
  );
  const provider = parseDocument(
    after.files.get('apps/staging/tunnelbot-notifications/provider.yaml')!,
  ).toJS();
  assert.equal(provider.spec.type, 'generic-hmac');
  assert.equal(provider.spec.address, 'http://tunnelbot.tunnelbot.svc.cluster.local:8080/webhooks/flux');
  assert.equal(provider.spec.secretRef.name, 'tunnelbot-flux-webhook');
  const secretText = after.files.get(plan.webhookSecretPath!)!;
  assert.ok(!secretText.includes(TOKEN), 'the token is only in encrypted form');
  const secret = parseDocument(await decryptYaml(secretText, { identities })).toJS();
  assert.deepEqual(secret.stringData, { token: TOKEN });
  assert.equal(secret.metadata.namespace, 'flux-system');

  const again = await init(after);
  assert.deepEqual(again.changeSet.files, [], 'a second run changes nothing');
  assert.equal(again.webhookSecretPath, undefined, 'and writes no token');
  await exposeWorks(after, 'linkding', 9090);
});

test('a repository with only Flux: decryption, .sops.yaml, tunnels directory and settings are all written', async () => {
  const fixture = readFixtureRepo('flux-example');
  const apps = fixture.files.get('clusters/staging/apps.yaml')!;
  const noDecryption = apps.slice(0, apps.indexOf('  decryption:'));
  const snapshot = without(
    fixture,
    (path) => path === '.sops.yaml' || path === '.tunnelbot.yaml' || path.includes('/tunnels/'),
    {
      'clusters/staging/apps.yaml': noDecryption,
      'apps/staging/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/linkding\n',
    },
  );
  const plan = await init(snapshot);
  assert.equal(plan.environment, 'staging', 'named after the Flux path');
  const after = applied(snapshot, plan);
  assert.equal(
    after.files.get('clusters/staging/apps.yaml'),
    `${noDecryption}  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n`,
  );
  assert.equal(
    after.files.get('apps/staging/kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base/linkding\n  - tunnels\n  - tunnelbot-notifications\n',
  );
  const sops = parseSopsConfig(after.files.get('.sops.yaml')!, '.sops.yaml');
  assert.equal(sops.creationRules.length, 1);
  assert.equal(
    sops.creationRules[0]!.pathRegex,
    '^apps/staging/(tunnelbot-notifications|tunnels)/.*\\.sops\\.yaml$',
  );
  assert.deepEqual(sops.creationRules[0]!.rule, { kind: 'encrypted_regex', value: '^(data|stringData)$' });
  assert.deepEqual(sops.creationRules[0]!.recipients, [VECTOR_RECIPIENT]);
  const settings = parseSettings(after.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  assert.deepEqual(settings.environments, [
    {
      name: 'staging',
      path: 'apps/staging/tunnels',
      domain: 'example.com',
      tunnelMode: 'per-app',
      namespace: 'default',
      access: { mode: 'required', teamName: 'acme', policies: ['Staff'], include: [] },
    },
  ]);
  assert.match(plan.changeSet.summary, /now decrypts SOPS with the Secret flux-system\/sops-age/);

  assert.deepEqual((await init(after)).changeSet.files, []);
  await exposeWorks(after, 'linkding', 9090);
});

test('several Flux Kustomizations fit: init asks for --path instead of guessing', async () => {
  const snapshot = readFixtureRepo('flux-clusters');
  await rejects(
    init(snapshot),
    'TB_ERR_INIT_AMBIGUOUS_PATH',
    /apps\/production \(flux-system\/apps in clusters\/production\/infrastructure\.yaml\), apps\/staging .*infrastructure\/controllers \(flux-system\/infra-controllers in clusters\/production\/infrastructure\.yaml; flux-system\/infra-controllers in clusters\/staging\/infrastructure\.yaml\)/,
  );
  await rejects(
    init(snapshot, { path: 'apps/qa' }),
    'TB_ERR_INIT_NO_FLUX_PATH',
    /No Flux Kustomization has spec\.path apps\/qa/,
  );
  await rejects(
    init(snapshot, { path: 'clusters/staging' }),
    'TB_ERR_INIT_NO_FLUX_PATH',
    /has no kustomization\.yaml/,
  );
});

test('clusters/<name> layout: the rule goes before the catch-all, the other rules and lines stay', async () => {
  const snapshot = readFixtureRepo('flux-clusters');
  const sopsBefore = snapshot.files.get('.sops.yaml')!;
  // Before init, the catch-all (no encrypted_regex, another key) is what sops would use for a tunnel.
  assert.equal(
    resolveCreationRule('apps/staging/tunnels/app/secret.sops.yaml', (path) => snapshot.files.get(path))
      ?.rule,
    undefined,
  );

  const staging = await init(snapshot, { path: './apps/staging/' });
  assert.equal(staging.environment, 'staging');
  const afterStaging = applied(snapshot, staging);
  const sopsText = afterStaging.files.get('.sops.yaml')!;
  onlyAdded(sopsBefore, sopsText);
  const rules = parseSopsConfig(sopsText, '.sops.yaml').creationRules;
  assert.deepEqual(
    rules.map((rule) => rule.pathRegex ?? '(catch-all)'),
    [
      '^clusters/.*/secrets/.*\\.yaml$',
      '^apps/staging/(tunnelbot-notifications|tunnels)/.*\\.sops\\.yaml$',
      '(catch-all)',
    ],
  );
  assert.match(
    sopsText,
    new RegExp(
      [
        '\n\n  # tunnelbot: [^\n]*',
        '  - path_regex: [^\n]*',
        '    encrypted_regex: [^\n]*',
        '    age: [^\n]*\n',
        '  # Everything else',
      ].join('\n'),
    ),
    'the new rule sits above the comment of the catch-all, separated like the others',
  );

  // Only the document of the apps Kustomization changed in the two-document file.
  const file = 'clusters/staging/infrastructure.yaml';
  onlyAdded(snapshot.files.get(file)!, afterStaging.files.get(file)!);
  const [controllers, apps] = parseAllDocuments(afterStaging.files.get(file)!).map((document) =>
    document.toJS(),
  );
  assert.equal(controllers.spec.decryption, undefined);
  assert.deepEqual(apps.spec.decryption, { provider: 'sops', secretRef: { name: 'sops-age' } });
  assert.equal(
    afterStaging.files.get('clusters/production/infrastructure.yaml'),
    snapshot.files.get('clusters/production/infrastructure.yaml'),
  );
  assert.deepEqual((await init(afterStaging, { path: 'apps/staging' })).changeSet.files, []);

  // A second environment: a second rule (also before the catch-all) and a second settings entry.
  const production = await init(afterStaging, { path: 'apps/production', domain: 'prod.example.com' });
  const afterBoth = applied(afterStaging, production);
  onlyAdded(afterStaging.files.get('.tunnelbot.yaml')!, afterBoth.files.get('.tunnelbot.yaml')!);
  const settings = parseSettings(afterBoth.files.get('.tunnelbot.yaml')!, '.tunnelbot.yaml');
  assert.deepEqual(
    settings.environments.map((environment) => [environment.name, environment.path, environment.domain]),
    [
      ['staging', 'apps/staging/tunnels', 'example.com'],
      ['production', 'apps/production/tunnels', 'prod.example.com'],
    ],
  );
  assert.equal(
    parseSopsConfig(afterBoth.files.get('.sops.yaml')!, '.sops.yaml').creationRules.at(-1)!.pathRegex,
    undefined,
  );
  assert.deepEqual(
    (await init(afterBoth, { path: 'apps/production', domain: 'prod.example.com' })).changeSet.files,
    [],
  );

  await exposeWorks(afterBoth, 'podinfo', 9898, 'staging');
  const plan = await exposeWorks(afterBoth, 'podinfo', 9898, 'production');
  assert.match(plan.target.hostname, /^podinfo\.prod\.example\.com$/);
});

test('an existing rule for the tunnels with another key gets a rule with the given key in front of it', async () => {
  const fixture = readFixtureRepo('flux-example');
  const other = 'age1ce0q4x6n25d7ec8t5eeanpkw82kupprs9uzscguz3h8khahwd32s3p25yn';
  const sops = fixture.files.get('.sops.yaml')!.replace(VECTOR_RECIPIENT, other);
  const snapshot = without(fixture, () => false, { '.sops.yaml': sops });
  const after = applied(snapshot, await init(snapshot));
  const rules = parseSopsConfig(after.files.get('.sops.yaml')!, '.sops.yaml').creationRules;
  assert.deepEqual(
    rules.map((rule) => [rule.pathRegex, rule.recipients]),
    [
      ['^apps/staging/(tunnelbot-notifications|tunnels)/.*\\.sops\\.yaml$', [VECTOR_RECIPIENT]],
      ['^apps/.*\\.sops\\.yaml$', [other]],
    ],
  );
  await exposeWorks(after, 'linkding', 9090);
});

test('bad input and conflicts are refused with what to change, before anything is planned', async () => {
  const snapshot = readFixtureRepo('flux-example');
  await rejects(
    init(snapshot, { ageRecipient: 'AGE-SECRET-KEY-1QQQ' }),
    'TB_ERR_INIT_INVALID_ARGUMENT',
    /is not an age public key/,
  );
  await rejects(init(snapshot, { domain: 'localhost' }), 'TB_ERR_INIT_INVALID_ARGUMENT', /not a domain name/);
  await rejects(
    init(snapshot, { environment: 'Staging' }),
    'TB_ERR_INIT_INVALID_ARGUMENT',
    /not a valid environment name/,
  );
  await rejects(
    init(snapshot, { domain: 'example.org' }),
    'TB_ERR_INIT_CONFLICT',
    /gives environment "staging" the domain example\.com, not example\.org/,
  );
  const namespaced = without(snapshot, () => false, {
    'apps/staging/kustomization.yaml': `namespace: apps\n${snapshot.files.get('apps/staging/kustomization.yaml')}`,
  });
  await rejects(
    init(namespaced),
    'TB_ERR_INIT_CONFLICT',
    /apps\/staging\/kustomization\.yaml sets namespace apps/,
  );
  const flow = without(snapshot, () => false, {
    '.sops.yaml': `creation_rules: [{path_regex: ^other/, age: ${VECTOR_RECIPIENT}}]\n`,
  });
  await rejects(init(flow), 'TB_ERR_YAML_EDIT', /creation_rules is written in flow style/);
});
