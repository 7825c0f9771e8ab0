import { PUBLIC_WARNING } from '../core/access.js';
import type { PrMetadata } from '../core/pr-metadata.js';
import type { TunnelbotError } from '../errors.js';

/**
 * What a person sees of a request at one point of its life, independent of Slack: a transport renders it as Block
 * Kit, the CLI as lines of text. Every view is rebuilt from what git holds (the PR and its metadata block) plus the
 * step just taken, so any replica can render the next state of a message it did not post.
 *
 * A state's word appears only once that state is reached: no "merged" before the merge, no "live" before Flux
 * applied the change and the hostname has its record.
 */

export type RequestState =
  'requested' | 'open' | 'merged' | 'live' | 'removed' | 'failed' | 'rejected' | 'superseded';

export interface RequestSubject {
  readonly action: 'expose' | 'unexpose';
  readonly app: string;
  readonly environment: string;
  readonly hostname?: string;
  readonly namespace?: string;
  readonly port?: number;
  /** The requester asked for an app without Cloudflare Access (`access=public`). */
  readonly public?: boolean;
  readonly requester: { readonly id: string; readonly name?: string };
}

export interface PrRef {
  readonly number: number;
  readonly url: string;
  readonly headSha: string;
}

export type RequestAction =
  | { readonly kind: 'approve'; readonly prNumber: number; readonly headSha: string }
  | { readonly kind: 'reject'; readonly prNumber: number }
  | { readonly kind: 'view-pr'; readonly url: string };

export interface Problem {
  readonly message: string;
  readonly fix: string;
  readonly code: string;
}

export interface RequestView {
  readonly subject: RequestSubject;
  readonly state: RequestState;
  /** One line naming the request: "Expose linkding at linkding.example.com (staging)". */
  readonly title: string;
  /** One line saying where the request stands, in the words of its state. */
  readonly status: string;
  readonly facts: readonly { readonly label: string; readonly value: string }[];
  /** What will change, a few lines (only while the request waits for approval). */
  readonly changes: readonly string[];
  readonly warnings: readonly string[];
  readonly problem?: Problem;
  readonly actions: readonly RequestAction[];
}

/** A person in a message: a mention, which Slack renders as the name and the CLI prints as the id. */
export function mention(person: { readonly id: string }): string {
  return `<@${person.id}>`;
}

export function subjectOf(metadata: PrMetadata): RequestSubject {
  return {
    action: metadata.action,
    app: metadata.app,
    environment: metadata.environment,
    hostname: metadata.hostname,
    ...(metadata.namespace !== undefined && { namespace: metadata.namespace }),
    ...(metadata.port !== undefined && { port: metadata.port }),
    ...(metadata.public === true && { public: true }),
    requester: {
      id: metadata.requester.slackUserId,
      ...(metadata.requester.name !== undefined && { name: metadata.requester.name }),
    },
  };
}

function title(subject: RequestSubject): string {
  const verb = subject.action === 'expose' ? 'Expose' : 'Unexpose';
  const where = subject.hostname ? ` at ${subject.hostname}` : '';
  return `${verb} ${subject.app}${where} (${subject.environment})`;
}

function facts(subject: RequestSubject, pr?: PrRef, extra: RequestView['facts'] = []): RequestView['facts'] {
  const rows: { label: string; value: string }[] = [
    { label: 'Requested by', value: mention(subject.requester) },
    { label: 'Environment', value: subject.environment },
  ];
  if (subject.action === 'expose' && subject.port !== undefined) {
    const namespace = subject.namespace ? `${subject.namespace}/` : '';
    rows.push({ label: 'Service', value: `${namespace}${subject.app}:${subject.port}` });
  }
  if (subject.hostname) rows.push({ label: 'Hostname', value: subject.hostname });
  if (subject.public) rows.push({ label: 'Access', value: PUBLIC_WARNING });
  if (pr) rows.push({ label: 'Pull request', value: `<${pr.url}|#${pr.number}>` });
  return [...rows, ...extra];
}

function view(
  subject: RequestSubject,
  state: RequestState,
  status: string,
  options: Partial<Pick<RequestView, 'facts' | 'changes' | 'warnings' | 'problem' | 'actions'>> = {},
): RequestView {
  return {
    subject,
    state,
    title: title(subject),
    status,
    facts: options.facts ?? facts(subject),
    changes: options.changes ?? [],
    // Said in every state of a public app's request, so nobody approves or forgets one without reading it.
    warnings: [...(subject.public ? [PUBLIC_WARNING] : []), ...(options.warnings ?? [])],
    ...(options.problem && { problem: options.problem }),
    actions: options.actions ?? [],
  };
}

export function problemOf(error: TunnelbotError): Problem {
  return { message: error.message, fix: error.fix, code: error.code };
}

/** Posted as soon as the request is known to be valid, before anything is created. */
export function requestedView(subject: RequestSubject): RequestView {
  return view(subject, 'requested', `Requested by ${mention(subject.requester)}; opening a pull request…`);
}

/** Waiting for a second person: Approve is pinned to the head commit shown here. */
export function openView(
  subject: RequestSubject,
  pr: PrRef,
  changes: readonly string[],
  warnings: readonly string[],
): RequestView {
  return view(subject, 'open', 'Waiting for approval by a teammate.', {
    facts: facts(subject, pr),
    changes,
    warnings,
    actions: [
      { kind: 'approve', prNumber: pr.number, headSha: pr.headSha },
      { kind: 'reject', prNumber: pr.number },
      { kind: 'view-pr', url: pr.url },
    ],
  });
}

export interface MergedDetails {
  readonly approver: { readonly id: string };
  readonly mergeSha: string;
  /** What happens next, in plain words (waiting for Flux, for cloudflared, …). */
  readonly next: string;
}

export function mergedView(subject: RequestSubject, pr: PrRef, merged: MergedDetails): RequestView {
  return view(
    subject,
    'merged',
    `Approved by ${mention(merged.approver)} and merged as \`${merged.mergeSha.slice(0, 7)}\`. ${merged.next}`,
    {
      facts: facts(subject, pr, [{ label: 'Approved by', value: mention(merged.approver) }]),
      actions: [{ kind: 'view-pr', url: pr.url }],
    },
  );
}

export function liveView(
  subject: RequestSubject,
  pr: PrRef,
  approver?: { readonly id: string },
): RequestView {
  return view(subject, 'live', `Live at https://${subject.hostname}`, {
    facts: facts(subject, pr, approver ? [{ label: 'Approved by', value: mention(approver) }] : []),
    actions: [{ kind: 'view-pr', url: pr.url }],
  });
}

export function removedView(subject: RequestSubject, pr: PrRef, removed: readonly string[]): RequestView {
  return view(subject, 'removed', `Removed: ${removed.join(', ')}.`, {
    facts: facts(subject, pr),
    actions: [{ kind: 'view-pr', url: pr.url }],
  });
}

/** A request that could not be carried out, or a merged change Flux could not apply. */
export function failedView(subject: RequestSubject, problem: Problem, pr?: PrRef): RequestView {
  return view(subject, 'failed', `Failed: ${problem.message}`, {
    facts: facts(subject, pr),
    problem,
    actions: pr ? [{ kind: 'view-pr', url: pr.url }] : [],
  });
}

export function rejectedView(
  subject: RequestSubject,
  pr: PrRef,
  by: { readonly id: string },
  cleanedUp: string | undefined,
): RequestView {
  const withdrawn = by.id === subject.requester.id;
  const status = withdrawn
    ? `Withdrawn by ${mention(by)}; the pull request is closed.`
    : `Rejected by ${mention(by)}; the pull request is closed.`;
  return view(subject, 'rejected', cleanedUp ? `${status} ${cleanedUp}` : status, {
    facts: facts(subject, pr),
    actions: [{ kind: 'view-pr', url: pr.url }],
  });
}

/** Another message already carries the same request (a retried command, a second replica). */
export function supersededView(subject: RequestSubject, pr: PrRef): RequestView {
  return view(subject, 'superseded', `Already requested: see pull request #${pr.number}.`, {
    facts: facts(subject, pr),
    actions: [{ kind: 'view-pr', url: pr.url }],
  });
}
