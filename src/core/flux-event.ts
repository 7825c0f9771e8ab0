import { z } from 'zod';
import { TunnelbotError } from '../errors.js';
import { describeFirstIssues } from './zod-issues.js';

/**
 * Flux notification-controller events (`eventv1.Event`, sent by a `generic`/`generic-hmac` Provider) and what they
 * mean for tunnelbot. Decisions key on `reason` and the revision metadata only: the prose in `message` changed
 * between Flux releases and is never parsed (reference/flux.md §2).
 */

const fluxEventSchema = z.looseObject({
  involvedObject: z.looseObject({
    kind: z.string().min(1),
    name: z.string().min(1),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    apiVersion: z.string().optional(),
    resourceVersion: z.string().optional(),
  }),
  // `trace` never leaves the controllers, but accepting it costs nothing and classifies as `other`.
  severity: z.enum(['info', 'error', 'trace']),
  timestamp: z.iso.datetime({ offset: true }),
  message: z.string(),
  reason: z.string().min(1),
  metadata: z.record(z.string(), z.string()).optional(),
  reportingController: z.string().min(1),
  reportingInstance: z.string().optional(),
});

export type FluxEvent = z.infer<typeof fluxEventSchema>;

export type FluxEventClass = 'reconciled' | 'progressing' | 'failed' | 'artifact' | 'other';

/** Reads a webhook body; throws `TB_ERR_FLUX_EVENT_INVALID` naming the first broken field. */
export function parseFluxEvent(body: string): FluxEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new TunnelbotError(
      'TB_ERR_FLUX_EVENT_INVALID',
      `The Flux event body is not JSON: ${(error as Error).message}.`,
    );
  }
  const result = fluxEventSchema.safeParse(value);
  if (!result.success) {
    const problems = describeFirstIssues(result.error.issues, '(body)');
    throw new TunnelbotError(
      'TB_ERR_FLUX_EVENT_INVALID',
      `The Flux event body is not a notification-controller event: ${problems.join('; ')}.`,
      { details: { fields: result.error.issues.map((issue) => issue.path.join('.')) } },
    );
  }
  return result.data;
}

const KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';

function isFluxKustomization(event: FluxEvent): boolean {
  const { kind, apiVersion } = event.involvedObject;
  return (
    kind === 'Kustomization' && (apiVersion === undefined || apiVersion.startsWith(`${KUSTOMIZE_GROUP}/`))
  );
}

export function classifyFluxEvent(event: FluxEvent): FluxEventClass {
  if (event.severity === 'error') return 'failed';
  if (event.reason === 'ReconciliationSucceeded' && isFluxKustomization(event)) return 'reconciled';
  if (event.reason === 'Progressing') return 'progressing';
  if (event.reason === 'NewArtifact' && event.involvedObject.kind === 'GitRepository') return 'artifact';
  return 'other';
}

/**
 * The git commit a revision string names, lowercased; undefined for an OCI digest or anything else. Forms
 * (RFC-0005 and before): `main@sha1:<hex>`, `feature/x@sha1:<hex>`, `refs/heads/main@sha1:<hex>`,
 * `v1.2.3@sha1:<hex>`, `sha1:<hex>`, legacy `master/<hex>`. `latest@sha256:<hex>` is an artifact digest.
 */
export function commitOfRevision(revision: string): string | undefined {
  const digest = revision.slice(revision.lastIndexOf('@') + 1);
  const modern = /^sha1:([0-9a-fA-F]{40})$/.exec(digest);
  if (modern) return modern[1]!.toLowerCase();
  if (revision.includes('@')) return undefined;
  const legacy = /^[^@\s]+\/([0-9a-fA-F]{40})$/.exec(revision);
  return legacy ? legacy[1]!.toLowerCase() : undefined;
}

/**
 * A metadata value by its key as NC sends it since v0.23 (prefix stripped) or, as stale docs and older controllers
 * do, prefixed with a Flux API group (`kustomize.toolkit.fluxcd.io/revision`).
 */
function metadataValue(metadata: Readonly<Record<string, string>>, key: string): string | undefined {
  if (metadata[key] !== undefined) return metadata[key];
  const prefixed = Object.keys(metadata)
    .filter((name) => /^[a-z0-9.-]+\.fluxcd\.io\//.test(name) && name.endsWith(`/${key}`))
    .sort();
  return prefixed.length > 0 ? metadata[prefixed[0]!] : undefined;
}

export interface FluxRevision {
  /** The revision as Flux reported it (from `revision`, else `originRevision`). */
  readonly revision: string;
  /** The git commit it names, when it names one. */
  readonly commitSha: string | undefined;
}

/**
 * The revision an event is about. When `revision` is an artifact digest (ArtifactGenerator, OCI), the git
 * commit comes from `originRevision`.
 */
export function fluxEventRevision(event: FluxEvent): FluxRevision | undefined {
  const metadata = event.metadata ?? {};
  const revision = metadataValue(metadata, 'revision');
  const origin = metadataValue(metadata, 'originRevision');
  const revisionCommit = revision === undefined ? undefined : commitOfRevision(revision);
  if (revisionCommit) return { revision: revision!, commitSha: revisionCommit };
  const originCommit = origin === undefined ? undefined : commitOfRevision(origin);
  if (originCommit) return { revision: origin!, commitSha: originCommit };
  const reported = revision ?? origin;
  return reported === undefined ? undefined : { revision: reported, commitSha: undefined };
}

/** `Kind/namespace/name` of the object an event is about, as Flux prints object ids. */
export function fluxObjectId(event: FluxEvent): string {
  const { kind, namespace, name } = event.involvedObject;
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}
