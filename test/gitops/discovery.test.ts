import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  coveringKustomizations,
  findFluxKustomizations,
  fluxWarnings,
} from '../../src/gitops/discovery/flux.js';
import { parseRepository } from '../../src/gitops/discovery/manifests.js';
import { resolveService } from '../../src/gitops/discovery/services.js';
import { TunnelbotError } from '../../src/errors.js';
import { readFixtureRepo } from '../helpers/fixtures.js';

const repository = parseRepository(readFixtureRepo('flux-example'));

test('a Service without namespace takes the namespace of the kustomization above it', () => {
  const resolution = resolveService(repository.documents, 'linkding', 9090, undefined, 'default');
  assert.equal(resolution.found, true);
  assert.equal(resolution.namespace, 'linkding');
  assert.deepEqual(resolution.warnings, []);
});

test('the same Service and port in two namespaces needs ns=, which then picks one', () => {
  assert.throws(
    () => resolveService(repository.documents, 'podinfo', 9898, undefined, 'default'),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.code === 'TB_ERR_PLAN_AMBIGUOUS_SERVICE' &&
      error.message.includes('podinfo, podinfo-canary'),
  );
  const picked = resolveService(repository.documents, 'podinfo', 9898, 'podinfo-canary', 'default');
  assert.equal(picked.namespace, 'podinfo-canary');
});

test('no such Service: a warning and the requested or default namespace', () => {
  const missing = resolveService(repository.documents, 'grafana', 3000, undefined, 'monitoring');
  assert.equal(missing.found, false);
  assert.equal(missing.namespace, 'monitoring');
  assert.match(missing.warnings[0]!, /No Service "grafana" with port 3000/);
});

test('a Service without the port asked for is an error naming its namespace and ports', () => {
  assert.throws(
    () => resolveService(repository.documents, 'linkding', 8080, undefined, 'default'),
    (error: unknown) =>
      error instanceof TunnelbotError &&
      error.code === 'TB_ERR_PLAN_SERVICE_PORT' &&
      error.message === 'linkding in namespace linkding has port 9090, not 8080.' &&
      error.fix.includes('`tunnelbot expose linkding 9090`'),
  );
});

test('Flux coverage: sops-decrypting Kustomization, one without decryption, and none at all', () => {
  assert.deepEqual(fluxWarnings(repository.documents, 'apps/staging/tunnels/linkding'), []);
  const clusters = fluxWarnings(repository.documents, 'clusters/staging/tunnels');
  assert.match(clusters[0]!, /flux-system\/flux-system .* without `decryption.provider: sops`/);
  const outside = fluxWarnings(
    repository.documents.filter((document) => !document.path.startsWith('clusters/staging/flux-system')),
    'infrastructure/tunnels',
  );
  assert.match(outside[0]!, /No Flux Kustomization's spec.path contains infrastructure\/tunnels/);
  assert.match(
    fluxWarnings([], 'apps')[0]!,
    /No Flux Kustomization \(kustomize.toolkit.fluxcd.io\) was found/,
  );
});

test('the Kustomizations that apply a directory: the most specific spec.path containing it, every one sharing it', () => {
  const kustomization = (name: string, path: string) => ({
    path: `clusters/${name}.yaml`,
    index: 0,
    documentsInFile: 1,
    value: {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: 'flux-system' },
      spec: { path },
    },
  });
  const all = findFluxKustomizations([
    kustomization('root', './'),
    kustomization('apps', './apps/staging'),
    kustomization('apps-mirror', 'apps/staging/'),
    kustomization('tunnels-prod', './apps/production/tunnels'),
  ]);
  assert.deepEqual(
    coveringKustomizations(all, 'apps/staging/tunnels').map((k) => k.name),
    ['apps', 'apps-mirror'],
  );
  assert.deepEqual(
    coveringKustomizations(all, 'infrastructure').map((k) => k.name),
    ['root'],
  );
  const fixture = findFluxKustomizations(repository.documents);
  assert.deepEqual(
    coveringKustomizations(fixture, 'apps/staging/tunnels').map((k) => `${k.namespace}/${k.name}`),
    ['flux-system/apps'],
    'flux-system (./clusters/staging) does not apply the tunnels',
  );
});

test('parseRepository remembers files by their text: shared results are frozen, broken files stay unreadable', () => {
  const service =
    'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\nspec: {ports: [{port: 80}]}\n';
  const first = parseRepository({
    files: new Map([
      ['a/service.yaml', service],
      ['a/broken.yaml', 'a: [1'],
    ]),
  });
  const second = parseRepository({
    files: new Map([
      ['b/service.yaml', service],
      ['b/broken.yaml', 'a: [1'],
    ]),
  });
  assert.deepEqual(first.unreadable, ['a/broken.yaml']);
  assert.deepEqual(second.unreadable, ['b/broken.yaml']);
  assert.equal(second.documents[0]!.path, 'b/service.yaml', 'where a document came from is per snapshot');
  assert.equal(second.documents[0]!.value, first.documents[0]!.value, 'the same text is parsed once');
  const value = first.documents[0]!.value as { metadata: { name: string } };
  assert.throws(() => {
    value.metadata.name = 'changed';
  }, TypeError);
  assert.equal(value.metadata.name, 'web');
});

// Found by fuzzing the YAML readers: `!!binary` reads as a Uint8Array, which Object.freeze refuses, and the
// TypeError came out of every plan of the repository.
test('a file with a !!binary value is read like any other, not thrown', () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata: {name: blob}\ndata:\n  key: !!binary aGVsbG8=\n';
  const { documents, unreadable } = parseRepository({ files: new Map([['a/blob.yaml', text]]) });
  assert.deepEqual(unreadable, []);
  assert.equal((documents[0]!.value as { kind: string }).kind, 'Secret');
});
