import type { FakeCloudflare } from './cloudflare/index.js';
import type { FakeGitHub } from './github/server.js';
import type { FakeSlack } from './slack/index.js';

/**
 * Who wants to see every stand-in started in this process. The tests' leak scan (test/helpers/leak-scan.ts) watches
 * them, since everything that leaves the service under test passes through one of them; the demo and the sandbox
 * have no watcher.
 */
export type StandIn =
  | { readonly kind: 'github'; readonly fake: FakeGitHub }
  | { readonly kind: 'cloudflare'; readonly fake: FakeCloudflare }
  | { readonly kind: 'slack'; readonly fake: FakeSlack };

export interface StandInSecret {
  /** What it is, for a message that must never show the value: "Cloudflare tunnel secret". */
  readonly kind: string;
  readonly value: string;
}

const watchers = new Set<(standIn: StandIn) => void>();

/** Calls `watcher` with every stand-in started from now on; returns the function that stops watching. */
export function watchStandIns(watcher: (standIn: StandIn) => void): () => void {
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}

export function announceStandIn(standIn: StandIn): void {
  for (const watcher of watchers) watcher(standIn);
}
