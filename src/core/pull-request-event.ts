import type { PrMetadata } from './pr-metadata.js';

/**
 * A state change of a tunnelbot pull request, from a GitHub webhook or from polling. Delivery is at least once
 * (GitHub retries by hand, the poller may see what a webhook already reported), so handlers must be idempotent.
 */
export interface PullRequestEvent {
  kind: 'merged' | 'closed' | 'review';
  /** Where the event was seen: GitHub's webhook, the poller, or tunnelbot's own approve/reject. */
  source: 'webhook' | 'poll' | 'tunnelbot';
  prNumber: number;
  metadata: PrMetadata;
  headSha: string;
  /** The commit the merge produced on the base branch (merge, squash or rebase result). */
  mergeSha?: string;
  /** For `review`: GitHub's review state (approved, changes_requested, commented, dismissed) and reviewer login. */
  review?: { state: string; reviewer: string };
  /** GitHub login that caused the event, when known. */
  actor?: string;
}

export type PullRequestEventHandler = (event: PullRequestEvent) => Promise<void>;
