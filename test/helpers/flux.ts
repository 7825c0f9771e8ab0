import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { vectorPath } from './vectors.js';

/** The vectors directory of real notification-controller bodies (`test/vectors/flux-events`). */
export function fluxVector(name: string): string {
  return readFileSync(vectorPath('flux-events', name), 'utf8');
}

export function fluxVectorNames(): string[] {
  return readdirSync(vectorPath('flux-events'))
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** `X-Signature` as notification-controller's generic-hmac forwarder computes it. */
export function fluxSignature(token: string, body: string | Buffer, algorithm = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, token).update(body).digest('hex')}`;
}

/** A Kustomization event body as kustomize-controller sends it through notification-controller. */
export function kustomizationEvent(
  reason: string,
  metadata: Record<string, string>,
  overrides: { severity?: 'info' | 'error'; message?: string; name?: string } = {},
): string {
  return JSON.stringify({
    involvedObject: {
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: overrides.name ?? 'apps',
      uid: '351d7dcc-a14b-4a58-b32b-c2e47a0d751d',
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      resourceVersion: '19516',
    },
    severity: overrides.severity ?? 'info',
    timestamp: '2026-08-10T09:14:31Z',
    message: overrides.message ?? 'Reconciliation finished in 1.2s, next run in 10m0s',
    reason,
    metadata,
    reportingController: 'kustomize-controller',
    reportingInstance: 'kustomize-controller-6bc5d5b96-j9lw6',
  });
}
