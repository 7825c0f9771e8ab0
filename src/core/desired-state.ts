import { findTunnelConfigs, describeLocation } from '../gitops/cloudflared-in-repo.js';
import { dirname, joinPath } from '../gitops/discovery/manifests.js';
import { TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import { isManagedByTunnelbot, sharedConfigFile } from './plan-expose.js';
import type { Settings } from './settings.js';
import type { RepoSnapshot } from './snapshot.js';

/**
 * What the default branch says should exist in Cloudflare: the hostnames of every tunnel config tunnelbot manages,
 * each with its tunnel. DNS converges to `hostnames`; tunnels outside `tunnelIds` (and no open PR) are orphans.
 */
export interface DesiredState {
  readonly hostnames: readonly { readonly hostname: string; readonly tunnelId: string }[];
  readonly tunnelIds: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function desiredState(snapshot: RepoSnapshot, settings: Settings): DesiredState {
  const managedFiles = new Set<string>();
  for (const environment of settings.environments) {
    if (environment.tunnelMode === 'shared') managedFiles.add(sharedConfigFile(environment));
  }
  const hostnames: { hostname: string; tunnelId: string }[] = [];
  const tunnelIds = new Set<string>();
  const warnings: string[] = [];
  for (const config of findTunnelConfigs(snapshot)) {
    const { path } = config.location;
    const inManagedDirectory =
      path.endsWith(`/${TUNNEL_FILES.config}`) &&
      isManagedByTunnelbot(snapshot.files.get(joinPath(dirname(path), TUNNEL_FILES.kustomization))) &&
      settings.environments.some((environment) => path.startsWith(`${environment.path}/`));
    if (!inManagedDirectory && !managedFiles.has(path)) continue;
    if (config.tunnel === undefined || !UUID.test(config.tunnel)) {
      warnings.push(
        `${describeLocation(config.location)} names its tunnel "${config.tunnel ?? ''}" instead of its UUID, so its DNS records cannot be managed; write the tunnel id in \`tunnel:\`.`,
      );
      continue;
    }
    const tunnelId = config.tunnel.toLowerCase();
    tunnelIds.add(tunnelId);
    for (const hostname of config.hostnames) hostnames.push({ hostname, tunnelId });
  }
  return { hostnames, tunnelIds, warnings };
}
