import { z } from 'zod';
import { parsePrMetadata, type PrMetadata } from '../../core/pr-metadata.js';
import type { PullRequestEvent } from '../../core/pull-request-event.js';
import { TunnelbotError } from '../../errors.js';
import { describeFirstIssues } from '../../core/zod-issues.js';

/**
 * GitHub webhook deliveries as tunnelbot reads them. Only the fields tunnelbot uses are checked; GitHub sends many
 * more and adds fields over time, so unknown fields are accepted and dropped (not copied: a real delivery is tens of
 * KiB of repository and user objects tunnelbot never reads). A delivery that fails here is malformed (GitHub always sends
 * these fields), which the route answers with 400 instead of failing on a missing property.
 */

const gitSha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a hex commit SHA');
const login = z.object({ login: z.string().optional() });

const pullRequestSchema = z.object({
  number: z.number().int().positive(),
  body: z.string().nullable(),
  merged: z.boolean().nullable().optional(),
  merge_commit_sha: gitSha.nullable().optional(),
  head: z.object({ sha: gitSha }),
});

const pullRequestDeliverySchema = z.object({
  action: z.string(),
  pull_request: pullRequestSchema,
  review: z.object({ state: z.string().optional(), user: login.nullable().optional() }).optional(),
  sender: login.nullable().optional(),
});

/** Every delivery is a JSON object; other events are ignored, so nothing more is asked of them. */
const anyDeliverySchema = z.object({ action: z.string().optional() });

/** The events whose payload carries a pull request tunnelbot may act on. */
const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set(['pull_request', 'pull_request_review']);

export type GitHubDelivery =
  | { kind: 'pull-request'; event: string; payload: z.infer<typeof pullRequestDeliverySchema> }
  | { kind: 'other'; event: string; action?: string };

function invalid(message: string, fields: string[] = []): TunnelbotError {
  return new TunnelbotError('TB_ERR_GITHUB_WEBHOOK_INVALID', message, { details: { fields } });
}

/** The event name as the messages show it: X-GitHub-Event is not signed, so anything else is not echoed. */
function eventLabel(name: string): string {
  return /^[a-z_]{1,64}$/.test(name) ? name : 'webhook';
}

function check<T extends z.ZodType>(schema: T, value: unknown, name: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { issues } = result.error;
  const problems = describeFirstIssues(issues, '(body)');
  throw invalid(
    `not a GitHub ${eventLabel(name)} delivery: ${problems.join('; ')}`,
    issues.map((issue) => issue.path.join('.')),
  );
}

/**
 * Reads the raw body of a signed delivery of event `name` (`X-GitHub-Event`). Throws `TB_ERR_GITHUB_WEBHOOK_INVALID`
 * with a short message naming the first broken fields: the body is not JSON, not an object, or a pull request event
 * lacks what GitHub always sends.
 */
export function parseGitHubDelivery(name: string, raw: Buffer): GitHubDelivery {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('body is not JSON');
  }
  if (PULL_REQUEST_EVENTS.has(name)) {
    return { kind: 'pull-request', event: name, payload: check(pullRequestDeliverySchema, value, name) };
  }
  const { action } = check(anyDeliverySchema, value, name);
  return { kind: 'other', event: name, ...(action !== undefined && { action }) };
}

/** Why a delivery leads to nothing; `invalidBlock` carries the parse error of a tampered tunnelbot block. */
export interface IgnoredDelivery {
  ignored: string;
  invalidBlock?: { pr: number; error: unknown };
}

/** The event a delivery means for tunnelbot, or the reason to ignore it. */
export function toPullRequestEvent(delivery: GitHubDelivery): PullRequestEvent | IgnoredDelivery {
  const action = delivery.kind === 'pull-request' ? delivery.payload.action : delivery.action;
  const notActedOn = { ignored: `${delivery.event}.${action ?? ''} is not an event tunnelbot acts on` };
  if (delivery.kind !== 'pull-request') return notActedOn;
  const { payload } = delivery;
  const pull = payload.pull_request;
  let kind: PullRequestEvent['kind'] | undefined;
  if (delivery.event === 'pull_request' && action === 'closed') kind = pull.merged ? 'merged' : 'closed';
  if (delivery.event === 'pull_request_review' && action === 'submitted') kind = 'review';
  if (!kind) return notActedOn;
  let metadata: PrMetadata | undefined;
  try {
    metadata = parsePrMetadata(pull.body);
  } catch (error) {
    return { ignored: 'invalid tunnelbot block', invalidBlock: { pr: pull.number, error } };
  }
  if (!metadata) return { ignored: 'not a tunnelbot pull request' };
  const event: PullRequestEvent = {
    kind,
    source: 'webhook',
    prNumber: pull.number,
    metadata,
    headSha: pull.head.sha,
  };
  if (kind === 'merged' && pull.merge_commit_sha) event.mergeSha = pull.merge_commit_sha;
  if (kind === 'review') {
    event.review = {
      state: payload.review?.state ?? 'unknown',
      reviewer: payload.review?.user?.login ?? 'unknown',
    };
  }
  if (payload.sender?.login) event.actor = payload.sender.login;
  return event;
}
