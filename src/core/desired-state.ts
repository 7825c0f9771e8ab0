import { enforcedAccess, type EnforcedAccess } from './access.js';
import { parseCloudflaredConfig } from '../gitops/cloudflared/index.js';
import { findTunnelConfigs, describeLocation } from '../gitops/cloudflared-in-repo.js';
import { dirname } from '../gitops/discovery/manifests.js';
import { TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import { isTunnelbotDirectory } from './ownership.js';
import { sharedConfigFile } from './plan-expose.js';
import { isTunnelId } from './names.js';
import type { Settings } from './settings.js';
import type { RepoSnapshot } from './snapshot.js';

/**
 * What the default branch says should exist in Cloudflare: the hostnames of every tunnel config tunnelbot manages
 * (core/ownership.ts: read from structure, never from a comment), each with its tunnel. DNS converges to `hostnames`; tunnels outside `tunnelIds` (and no open PR) are orphans.
 */
export interface RoutedHostname {
  readonly hostname: string;
  readonly tunnelId: string;
  readonly environment: string;
  /** The app of a per-app tunnel; undefined for a rule in an environment's shared tunnel. */
  readonly app: string | undefined;
  /** The Cloudflare Access check cloudflared enforces for the hostname; undefined: requests need no token. */
  readonly access: EnforcedAccess | undefined;
}

export interface DesiredState {
  readonly hostnames: readonly RoutedHostname[];
  readonly tunnelIds: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

export function desiredState(snapshot: RepoSnapshot, settings: Settings): DesiredState {
  const sharedFiles = new Map<string, string>();
  for (const environment of settings.environments) {
    if (environment.tunnelMode === 'shared') sharedFiles.set(sharedConfigFile(environment), environment.name);
  }
  const hostnames: RoutedHostname[] = [];
  const tunnelIds = new Set<string>();
  const warnings: string[] = [];
  for (const config of findTunnelConfigs(snapshot)) {
    const { path } = config.location;
    const directory = dirname(path);
    const owner = settings.environments.find((environment) => dirname(directory) === environment.path);
    const inManagedDirectory =
      owner !== undefined &&
      path.endsWith(`/${TUNNEL_FILES.config}`) &&
      isTunnelbotDirectory(snapshot, directory);
    const sharedEnvironment = sharedFiles.get(path);
    if (!inManagedDirectory && sharedEnvironment === undefined) continue;
    const environment = sharedEnvironment ?? owner!.name;
    const app =
      sharedEnvironment === undefined && owner?.tunnelMode === 'per-app'
        ? directory.slice(owner.path.length + 1)
        : undefined;
    if (config.tunnel === undefined || !isTunnelId(config.tunnel)) {
      warnings.push(
        `${describeLocation(config.location)} names its tunnel "${config.tunnel ?? ''}" instead of its UUID, so its DNS records cannot be managed; write the tunnel id in \`tunnel:\`.`,
      );
      continue;
    }
    const tunnelId = config.tunnel.toLowerCase();
    tunnelIds.add(tunnelId);
    const parsed = parseCloudflaredConfig(config.text, describeLocation(config.location));
    for (const hostname of config.hostnames) {
      hostnames.push({ hostname, tunnelId, environment, app, access: enforcedAccess(parsed, hostname) });
    }
  }
  return { hostnames, tunnelIds, warnings };
}
