import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  classifyFluxEvent,
  commitOfRevision,
  fluxEventRevision,
  fluxObjectId,
  parseFluxEvent,
} from '../../src/core/flux-event.js';
import { TunnelbotError } from '../../src/errors.js';
import { fluxVector, fluxVectorNames, kustomizationEvent } from '../helpers/flux.js';

const SHA = '07a684d59d1bc9a58e0c0d07ed480812b2b9a29e';
const DIGEST = 'a'.repeat(64);

describe('real notification-controller bodies', () => {
  const expected: Record<string, { class: string; object: string; commit: string | undefined }> = {
    'real-bram-meerten-ks-artifactfailed-2024.json': {
      class: 'failed',
      object: 'Kustomization/flux-system/my-app-kustomization',
      commit: SHA,
    },
    'real-bram-meerten-ks-progressing-2024.json': {
      class: 'progressing',
      object: 'Kustomization/flux-system/my-app-kustomization',
      commit: SHA,
    },
    'real-nc-docs-generic-webhook-example.json': {
      class: 'failed',
      object: 'Kustomization/apps/webapp',
      commit: '731f7eaddfb6af01cb2173e18f0f75b0ba780ef1',
    },
    'real-nc-forwarder-test-body.json': {
      class: 'other',
      object: 'GitRepository/gitops-system/webapp',
      commit: undefined,
    },
    'real-notification-sink-gitrepository-newartifact-2022-legacy-rev.json': {
      class: 'artifact',
      object: 'GitRepository/default/podinfo',
      commit: '71ea786475aba31c801435d840819f14a2cc0ef2',
    },
    'real-notification-sink-ks-progressing-2022-legacy-rev.json': {
      class: 'progressing',
      object: 'Kustomization/default/podinfo-kust',
      commit: '71ea786475aba31c801435d840819f14a2cc0ef2',
    },
  };

  test('every captured event body in the vectors is covered here', () => {
    const bodies = fluxVectorNames().filter((name) => name !== 'real-nc-forwarder-test-hmac-vector.json');
    assert.deepEqual(bodies, Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    test(`${name} parses and classifies as ${want.class}`, () => {
      const event = parseFluxEvent(fluxVector(name));
      assert.equal(classifyFluxEvent(event), want.class);
      assert.equal(fluxObjectId(event), want.object);
      assert.equal(fluxEventRevision(event)?.commitSha, want.commit);
    });
  }

  test('unknown fields are kept, not refused', () => {
    const body = JSON.parse(fluxVector('real-bram-meerten-ks-progressing-2024.json'));
    body.involvedObject.fieldPath = 'spec';
    body.newTopLevelField = { nested: true };
    const event = parseFluxEvent(JSON.stringify(body));
    assert.equal((event as Record<string, unknown>)['newTopLevelField'] !== undefined, true);
    assert.equal(classifyFluxEvent(event), 'progressing');
  });
});

describe('classification keys on reason and severity, never on prose', () => {
  const revision = { revision: `main@sha1:${SHA}` };
  const cases: [string, string, 'info' | 'error', string][] = [
    ['ReconciliationSucceeded', 'Reconciliation finished in 23.1s, next run in 10m0s', 'info', 'reconciled'],
    [
      'ReconciliationSucceeded',
      'Reconciliation finished revision main@sha1:x, next run in 1h',
      'info',
      'reconciled',
    ],
    ['ReconciliationSucceeded', 'anything at all', 'info', 'reconciled'],
    ['Progressing', 'Health check passed in 21.503417834s', 'info', 'progressing'],
    ['Progressing', 'Deployment/tunnels/cloudflared-linkding created', 'info', 'progressing'],
    ['BuildFailed', "decryption failed for 'Secret.v1.[noGrp]/x'", 'error', 'failed'],
    ['ReconciliationFailed', 'Secret/ns/x is SOPS encrypted', 'error', 'failed'],
    ['HealthCheckFailed', 'health check failed after 5m0.03s', 'error', 'failed'],
    ['ArtifactFailed', 'kustomization path not found', 'error', 'failed'],
    ['PruneFailed', 'error text', 'error', 'failed'],
    ['DependencyNotReady', 'Dependencies do not meet ready condition', 'info', 'other'],
    ['HealthCheckCanceled', 'Health checks canceled', 'info', 'other'],
    // A success-sounding message with an error severity is a failure; prose never decides.
    ['ReconciliationSucceeded', 'Reconciliation finished', 'error', 'failed'],
  ];
  for (const [reason, message, severity, want] of cases) {
    test(`${severity} ${reason} "${message.slice(0, 30)}" -> ${want}`, () => {
      const event = parseFluxEvent(kustomizationEvent(reason, revision, { severity, message }));
      assert.equal(classifyFluxEvent(event), want);
    });
  }

  test('ReconciliationSucceeded from something other than a Flux Kustomization is not "reconciled"', () => {
    const body = JSON.parse(kustomizationEvent('ReconciliationSucceeded', revision));
    body.involvedObject.kind = 'HelmRelease';
    body.involvedObject.apiVersion = 'helm.toolkit.fluxcd.io/v2';
    assert.equal(classifyFluxEvent(parseFluxEvent(JSON.stringify(body))), 'other');
    body.involvedObject.kind = 'Kustomization';
    body.involvedObject.apiVersion = 'kustomize.config.k8s.io/v1beta1';
    assert.equal(classifyFluxEvent(parseFluxEvent(JSON.stringify(body))), 'other');
    delete body.involvedObject.apiVersion;
    assert.equal(classifyFluxEvent(parseFluxEvent(JSON.stringify(body))), 'reconciled');
  });
});

describe('revision forms', () => {
  const table: [string, string | undefined][] = [
    [`main@sha1:${SHA}`, SHA],
    [`feature/x@sha1:${SHA}`, SHA],
    [`refs/heads/main@sha1:${SHA}`, SHA],
    [`v1.2.3@sha1:${SHA}`, SHA],
    [`sha1:${SHA}`, SHA],
    [`main@sha1:${SHA.toUpperCase()}`, SHA],
    [`master/${SHA}`, SHA],
    [`feature/x/${SHA}`, SHA],
    [`latest@sha256:${DIGEST}`, undefined],
    [`sha256:${DIGEST}`, undefined],
    [`latest/${DIGEST}`, undefined],
    [`main@sha1:${SHA.slice(0, 39)}`, undefined],
    [`main@sha1:${SHA}0`, undefined],
    [`main@${SHA}`, undefined],
    [SHA, undefined],
    ['', undefined],
    ['@monorepo', undefined],
  ];
  for (const [revision, commit] of table) {
    test(`"${revision}" -> ${commit ?? 'no commit'}`, () => {
      assert.equal(commitOfRevision(revision), commit);
    });
  }

  const eventWith = (metadata: Record<string, string>) =>
    parseFluxEvent(kustomizationEvent('ReconciliationSucceeded', metadata));

  test('an OCI digest revision falls back to originRevision', () => {
    assert.deepEqual(
      fluxEventRevision(
        eventWith({ revision: `latest@sha256:${DIGEST}`, originRevision: `main@sha1:${SHA}` }),
      ),
      { revision: `main@sha1:${SHA}`, commitSha: SHA },
    );
  });

  test('a digest with no originRevision is reported without a commit', () => {
    assert.deepEqual(fluxEventRevision(eventWith({ revision: `latest@sha256:${DIGEST}` })), {
      revision: `latest@sha256:${DIGEST}`,
      commitSha: undefined,
    });
    assert.equal(fluxEventRevision(eventWith({ summary: 'x' })), undefined);
  });

  test('a commit revision wins over originRevision', () => {
    const other = 'b'.repeat(40);
    assert.equal(
      fluxEventRevision(eventWith({ revision: `main@sha1:${SHA}`, originRevision: `main@sha1:${other}` }))
        ?.commitSha,
      SHA,
    );
  });

  test('group-prefixed keys are read like unprefixed ones', () => {
    assert.equal(
      fluxEventRevision(eventWith({ 'kustomize.toolkit.fluxcd.io/revision': `main@sha1:${SHA}` }))?.commitSha,
      SHA,
    );
    assert.equal(
      fluxEventRevision(
        eventWith({
          'kustomize.toolkit.fluxcd.io/revision': `latest@sha256:${DIGEST}`,
          'kustomize.toolkit.fluxcd.io/originRevision': `main@sha1:${SHA}`,
        }),
      )?.commitSha,
      SHA,
    );
    assert.equal(
      fluxEventRevision(eventWith({ 'example.com/revision': `main@sha1:${SHA}` })),
      undefined,
      'only Flux API groups count',
    );
  });
});

describe('invalid bodies', () => {
  const valid = JSON.parse(fluxVector('real-bram-meerten-ks-progressing-2024.json'));
  const broken: [string, unknown, RegExp][] = [
    ['an array', [], /\(body\)/],
    ['no involvedObject', { ...valid, involvedObject: undefined }, /involvedObject/],
    ['no kind', { ...valid, involvedObject: { name: 'x' } }, /involvedObject\.kind/],
    ['a bad severity', { ...valid, severity: 'warning' }, /severity/],
    ['a non-RFC3339 timestamp', { ...valid, timestamp: '12/07/2024' }, /timestamp/],
    ['a number as metadata value', { ...valid, metadata: { revision: 7 } }, /metadata\.revision/],
    ['no reason', { ...valid, reason: undefined }, /reason/],
    ['no reportingController', { ...valid, reportingController: undefined }, /reportingController/],
  ];
  for (const [what, body, field] of broken) {
    test(`${what} is refused with TB_ERR_FLUX_EVENT_INVALID naming the field`, () => {
      assert.throws(
        () => parseFluxEvent(JSON.stringify(body)),
        (error: unknown) =>
          error instanceof TunnelbotError &&
          error.code === 'TB_ERR_FLUX_EVENT_INVALID' &&
          field.test(error.message),
      );
    });
  }

  test('a body that is not JSON is refused', () => {
    assert.throws(
      () => parseFluxEvent('{"involvedObject":'),
      (error: unknown) =>
        error instanceof TunnelbotError &&
        error.code === 'TB_ERR_FLUX_EVENT_INVALID' &&
        /not JSON/.test(error.message),
    );
  });
});
