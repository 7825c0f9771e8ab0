/**
 * Which tunnels tunnelbot created but nothing refers to any more. A tunnel is created before its pull request is
 * opened, so a crash in between leaves a tunnel that no branch mentions; the grace period protects requests that
 * are still in flight. Pure: the caller passes the clock.
 */

export interface TunnelCandidate {
  readonly id: string;
  readonly name: string;
  /** ISO timestamp from Cloudflare's `created_at`. */
  readonly createdAt: string;
}

export interface OrphanDecision {
  readonly id: string;
  readonly name: string;
  readonly reason: string;
}

export interface OrphanCollection {
  readonly delete: readonly OrphanDecision[];
  readonly keep: readonly OrphanDecision[];
}

export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

export function collectOrphanTunnels(input: {
  tunnels: readonly TunnelCandidate[];
  /** Tunnel ids referenced by the default branch or by any open tunnelbot pull request. */
  referenced: ReadonlySet<string>;
  /** Only tunnels whose name starts with this prefix were created by tunnelbot. */
  namePrefix: string;
  graceMs: number;
  now: Date;
}): OrphanCollection {
  const referenced = new Set([...input.referenced].map((id) => id.toLowerCase()));
  const toDelete: OrphanDecision[] = [];
  const keep: OrphanDecision[] = [];
  for (const tunnel of input.tunnels) {
    const { id, name } = tunnel;
    if (input.namePrefix.length === 0 || !name.startsWith(input.namePrefix)) {
      keep.push({
        id,
        name,
        reason: `name does not start with "${input.namePrefix}", so tunnelbot did not create it`,
      });
      continue;
    }
    if (referenced.has(id.toLowerCase())) {
      keep.push({ id, name, reason: 'referenced by the default branch or an open pull request' });
      continue;
    }
    const created = Date.parse(tunnel.createdAt);
    if (Number.isNaN(created)) {
      keep.push({
        id,
        name,
        reason: `created_at "${tunnel.createdAt}" is not a timestamp, so its age is unknown`,
      });
      continue;
    }
    const age = input.now.getTime() - created;
    if (age < input.graceMs) {
      keep.push({
        id,
        name,
        reason: `created ${formatDuration(Math.max(age, 0))} ago, within the ${formatDuration(input.graceMs)} grace period`,
      });
      continue;
    }
    toDelete.push({
      id,
      name,
      reason: `referenced by no branch or open pull request, created ${formatDuration(age)} ago (grace ${formatDuration(input.graceMs)})`,
    });
  }
  return { delete: toDelete, keep };
}
