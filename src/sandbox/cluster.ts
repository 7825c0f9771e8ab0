import { desiredState } from '../core/desired-state.js';
import type { Settings } from '../core/settings.js';
import type { RepoSnapshot } from '../core/snapshot.js';
import type { FakeCloudflare } from './cloudflare/index.js';

/**
 * The cluster the demo and the tests do not have: what Flux applying a commit does to Cloudflare. Each tunnel the
 * commit's tunnel configs route gets a running cloudflared (a persistent connector in the fake), and the
 * cloudflared of a tunnel no longer routed is pruned (its connectors go). Tunnels it did not start are left alone,
 * so a test can still attach connectors of its own.
 */
export class SimulatedCluster {
  private readonly running = new Set<string>();

  constructor(
    private readonly cloudflare: FakeCloudflare,
    private readonly settings: Settings,
  ) {}

  /** Flux applied `snapshot`: returns the tunnels whose cloudflared started and those whose cloudflared stopped. */
  apply(snapshot: RepoSnapshot): { started: string[]; stopped: string[] } {
    const routed = desiredState(snapshot, this.settings).tunnelIds;
    const live = new Set(this.cloudflare.tunnels().map((tunnel) => tunnel.id.toLowerCase()));
    const started: string[] = [];
    const stopped: string[] = [];
    for (const tunnelId of this.running) {
      if (routed.has(tunnelId)) continue;
      if (live.has(tunnelId)) this.cloudflare.stopConnectors(tunnelId);
      this.running.delete(tunnelId);
      stopped.push(tunnelId);
    }
    for (const tunnelId of routed) {
      if (this.running.has(tunnelId) || !live.has(tunnelId)) continue;
      this.cloudflare.startCloudflared(tunnelId);
      this.running.add(tunnelId);
      started.push(tunnelId);
    }
    return { started, stopped };
  }
}
