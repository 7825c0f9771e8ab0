import { TunnelbotError } from '../errors.js';
import { parseCloudflaredConfig, removeIngressRule } from '../gitops/cloudflared/index.js';
import {
  describeLocation,
  editConfig,
  findTunnelConfigs,
  readConfig,
  type RepoTunnelConfig,
} from '../gitops/cloudflared-in-repo.js';
import { joinPath } from '../gitops/discovery/manifests.js';
import { removeResource } from '../gitops/kustomization.js';
import { TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import type { ChangeSet, FileChange } from './changeset.js';
import { validateAppName } from './names.js';
import { isTunnelbotDirectory } from './ownership.js';
import {
  parentKustomizationPath,
  perAppDirectory,
  SHARED_DIRECTORY,
  sharedConfigFile,
} from './plan-expose.js';
import { findEnvironment, type Environment, type Settings } from './settings.js';
import type { RepoSnapshot } from './snapshot.js';
import { byCodeUnits } from './text-order.js';

export interface UnexposeRequest {
  readonly app: string;
  readonly environment?: string;
  /** Needed in shared mode only when the app's rule cannot be told apart by its service. */
  readonly hostname?: string;
}

export interface UnexposePlan {
  readonly app: string;
  readonly environment: Environment;
  readonly hostnames: readonly string[];
  /** The tunnel to delete once the change is merged; absent when a shared tunnel keeps serving other apps. */
  readonly deleteTunnelId: string | undefined;
  readonly changeSet: ChangeSet;
}

function serviceHost(service: string | undefined): string | undefined {
  const match = service ? /^[a-z0-9+.-]+:\/\/([^/:]+)/i.exec(service) : null;
  return match?.[1];
}

/**
 * The exact inverse of planExpose: deleting what it added and taking back its one-line edits, so exposing then
 * unexposing leaves every file byte-identical.
 */
export function planUnexpose(
  request: UnexposeRequest,
  snapshot: RepoSnapshot,
  settings: Settings,
): UnexposePlan {
  const app = validateAppName(request.app);
  const environment = findEnvironment(settings, request.environment);
  return environment.tunnelMode === 'per-app'
    ? planPerAppUnexpose(app, environment, snapshot)
    : planSharedUnexpose(app, environment, snapshot, request.hostname);
}

function notExposed(app: string, environment: Environment, where: string): TunnelbotError {
  return new TunnelbotError(
    'TB_ERR_PLAN_NOT_EXPOSED',
    `${app} has no tunnelbot tunnel in environment "${environment.name}" (looked in ${where}).`,
  );
}

function removeDirectory(snapshot: RepoSnapshot, directory: string, environment: Environment): FileChange[] {
  const files: FileChange[] = [...snapshot.files.keys()]
    .filter((path) => path.startsWith(`${directory}/`))
    .map((path) => ({ path, change: 'deleted' as const }));
  const parent = parentKustomizationPath(environment);
  const parentText = snapshot.files.get(parent);
  const entry = directory.slice(environment.path.length).replace(/^\//, '');
  if (parentText !== undefined) {
    files.push({ path: parent, content: removeResource(parentText, entry, parent), change: 'modified' });
  }
  return files.sort((a, b) => byCodeUnits(a.path, b.path));
}

function configIn(snapshot: RepoSnapshot, directory: string): RepoTunnelConfig | undefined {
  const path = joinPath(directory, TUNNEL_FILES.config);
  return findTunnelConfigs({ files: new Map([[path, snapshot.files.get(path) ?? '']]) })[0];
}

function planPerAppUnexpose(app: string, environment: Environment, snapshot: RepoSnapshot): UnexposePlan {
  const directory = perAppDirectory(environment, app);
  if (!isTunnelbotDirectory(snapshot, directory)) throw notExposed(app, environment, `${directory}/`);
  const config = configIn(snapshot, directory);
  const files = removeDirectory(snapshot, directory, environment);
  return {
    app,
    environment,
    hostnames: config?.hostnames ?? [],
    deleteTunnelId: config?.tunnel,
    changeSet: {
      files,
      summary: [
        `Unexpose ${app} (environment ${environment.name}): ${config?.hostnames.map((host) => `https://${host}`).join(', ') || 'no hostname'} stops serving.`,
        `This change deletes the tunnel directory ${directory}/ and its entry in ${parentKustomizationPath(environment)}; after the merge the tunnel ${config?.tunnel ?? ''} and its DNS records are deleted.`,
        `Files: ${files.map((file) => `${file.path} (${file.change})`).join(', ')}.`,
      ].join('\n'),
      warnings: [],
    },
  };
}

function planSharedUnexpose(
  app: string,
  environment: Environment,
  snapshot: RepoSnapshot,
  hostname: string | undefined,
): UnexposePlan {
  const file = sharedConfigFile(environment);
  const shared = findTunnelConfigs({ files: new Map([[file, snapshot.files.get(file) ?? '']]) })[0];
  if (!shared) throw notExposed(app, environment, file);
  const rules = parseCloudflaredConfig(shared.text, describeLocation(shared.location)).ingress;
  const candidates = rules.filter((rule) =>
    hostname !== undefined ? rule.hostname === hostname : serviceHost(rule.service)?.split('.')[0] === app,
  );
  const hostnames = [
    ...new Set(candidates.map((rule) => rule.hostname).filter((host): host is string => !!host)),
  ];
  if (hostnames.length === 0) throw notExposed(app, environment, describeLocation(shared.location));
  if (hostnames.length > 1) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_NOT_EXPOSED',
      `${app} matches several rules of ${describeLocation(shared.location)}: ${hostnames.join(', ')}.`,
      { fix: 'Say which hostname to remove (`--host` on the CLI, `host=` in Slack).' },
    );
  }
  const target = hostnames[0]!;
  const text = snapshot.files.get(file)!;
  const edited = editConfig(text, shared.location, (config) => removeIngressRule(config, target));
  const remaining = parseCloudflaredConfig(readConfig(edited, shared.location)).ingress.filter(
    (rule) => rule.hostname,
  );
  const directory = joinPath(environment.path, SHARED_DIRECTORY);
  const createdByUs = environment.sharedConfig === undefined && isTunnelbotDirectory(snapshot, directory);

  if (remaining.length === 0 && createdByUs) {
    const files = removeDirectory(snapshot, directory, environment);
    return {
      app,
      environment,
      hostnames,
      deleteTunnelId: shared.tunnel,
      changeSet: {
        files,
        summary: [
          `Unexpose ${app} (environment ${environment.name}): https://${target} stops serving.`,
          `It was the last app of the shared tunnel, so this change deletes ${directory}/ and its entry in ${parentKustomizationPath(environment)}; after the merge the tunnel and its DNS record are deleted.`,
          `Files: ${files.map((change) => `${change.path} (${change.change})`).join(', ')}.`,
        ].join('\n'),
        warnings: [],
      },
    };
  }
  return {
    app,
    environment,
    hostnames,
    deleteTunnelId: undefined,
    changeSet: {
      files: [{ path: file, content: edited, change: 'modified' }],
      summary: [
        `Unexpose ${app} (environment ${environment.name}): https://${target} stops serving.`,
        `This change removes its ingress rule from the shared tunnel config ${describeLocation(shared.location)}; after the merge its DNS record is deleted.`,
        `Files: ${file} (modified).`,
      ].join('\n'),
      warnings:
        shared.location.kind === 'configmap'
          ? [
              `${file} is an inline ConfigMap: restart the cloudflared pods after the merge so they drop the rule.`,
            ]
          : [],
    },
  };
}
