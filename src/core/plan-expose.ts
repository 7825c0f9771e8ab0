import { TunnelbotError } from '../errors.js';
import { upsertIngressRule } from '../gitops/cloudflared/index.js';
import {
  describeLocation,
  editConfig,
  findTunnelConfigs,
  type RepoTunnelConfig,
} from '../gitops/cloudflared-in-repo.js';
import { fluxWarnings } from '../gitops/discovery/flux.js';
import { joinPath, parseRepository } from '../gitops/discovery/manifests.js';
import { resolveService } from '../gitops/discovery/services.js';
import { encryptSecretFor } from '../gitops/encrypt-secret.js';
import { addResource } from '../gitops/kustomization.js';
import { renderTunnelDirectory, TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import { accessOriginRequest, resolveProtection, type AccessRequest, type Protection } from './access.js';
import type { ChangeSet, FileChange } from './changeset.js';
import {
  resolveHostname,
  serviceUrl,
  tunnelName,
  validateAppName,
  validateNamespace,
  validatePort,
  validateTunnelCredentials,
  type TunnelCredentials,
} from './names.js';
import { findEnvironment, type Environment, type Settings } from './settings.js';
import { lookupIn, type RepoSnapshot } from './snapshot.js';
import { byCodeUnits } from './text-order.js';

/** What `/expose APP PORT [host=] [ns=] [env=]` asked for, as typed. */
export interface ExposeRequest {
  readonly app: string;
  readonly port: string | number;
  readonly environment?: string;
  readonly hostname?: string;
  readonly namespace?: string;
  /** `public` asks for an app without Cloudflare Access, allowed only where the access mode is optional. */
  readonly access?: AccessRequest;
}

/**
 * An expose request checked against the settings and the repository, before anything exists anywhere. The
 * workflow creates a Cloudflare tunnel only when `tunnel.action` is `create`, and only after this succeeded, so
 * bad input never leaves a tunnel behind.
 */
export interface ExposeTarget {
  readonly app: string;
  readonly port: number;
  readonly environment: Environment;
  readonly hostname: string;
  readonly namespace: string;
  readonly serviceUrl: string;
  /** Whether Cloudflare Access guards the hostname, and who gets in. */
  readonly protection: Protection;
  readonly tunnelName: string;
  /** The directory written (per-app) or the shared config edited. */
  readonly directory: string;
  readonly tunnel:
    | { readonly action: 'create' }
    | { readonly action: 'reuse'; readonly id: string | undefined; readonly config: RepoTunnelConfig };
  readonly warnings: readonly string[];
}

export interface ExposePlan {
  readonly target: ExposeTarget;
  readonly changeSet: ChangeSet;
  /** Where the credentials' age recipients came from, when a new tunnel's Secret was written. */
  readonly encryptedFor: string | undefined;
}

/** The directory of an environment's shared tunnel when tunnelbot created it. */
export const SHARED_DIRECTORY = 'cloudflared';

export function perAppDirectory(environment: Environment, app: string): string {
  return joinPath(environment.path, app);
}

export function parentKustomizationPath(environment: Environment): string {
  return joinPath(environment.path, 'kustomization.yaml');
}

export function sharedConfigFile(environment: Environment): string {
  return environment.sharedConfig ?? joinPath(environment.path, SHARED_DIRECTORY, TUNNEL_FILES.config);
}

export function prepareExpose(
  request: ExposeRequest,
  snapshot: RepoSnapshot,
  settings: Settings,
): ExposeTarget {
  const app = validateAppName(request.app);
  const port = validatePort(request.port);
  const environment = findEnvironment(settings, request.environment);
  const requestedNamespace =
    request.namespace === undefined ? undefined : validateNamespace(request.namespace);
  const hostname = resolveHostname(app, environment, request.hostname);
  const protection = resolveProtection(environment, request.access);

  const parent = parentKustomizationPath(environment);
  if (!snapshot.files.has(parent)) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_NO_PARENT_KUSTOMIZATION',
      `${parent} does not exist, so environment "${environment.name}" has nowhere to add the tunnel.`,
      {
        fix: `Create ${parent} (with \`resources: []\`) and have a Flux Kustomization apply ${environment.path}, or point \`environments[].path\` of "${environment.name}" in the settings at the right directory.`,
      },
    );
  }

  const repository = parseRepository(snapshot);
  const configs = findTunnelConfigs(snapshot, repository);
  const taken = configs.find((config) => config.hostnames.includes(hostname));
  if (taken) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_HOSTNAME_TAKEN',
      `${hostname} is already routed by ${describeLocation(taken.location)}.`,
    );
  }

  const service = resolveService(repository.documents, app, port, requestedNamespace, environment.namespace);
  const warnings = [...service.warnings];

  let directory: string;
  let tunnel: ExposeTarget['tunnel'];
  if (environment.tunnelMode === 'per-app') {
    directory = perAppDirectory(environment, app);
    if ([...snapshot.files.keys()].some((path) => path.startsWith(`${directory}/`))) {
      throw new TunnelbotError(
        'TB_ERR_PLAN_ALREADY_EXPOSED',
        `${app} already has a tunnel directory in environment "${environment.name}" (${directory}/).`,
      );
    }
    tunnel = { action: 'create' };
  } else {
    const file = sharedConfigFile(environment);
    const shared = configs.find((config) => config.location.path === file);
    if (environment.sharedConfig !== undefined && !shared) {
      throw new TunnelbotError(
        'TB_ERR_PLAN_SHARED_CONFIG',
        `Environment "${environment.name}" names ${file} as its shared cloudflared config, but no cloudflared config with ingress rules is there.`,
      );
    }
    directory = shared ? file : joinPath(environment.path, SHARED_DIRECTORY);
    const occupied = shared
      ? []
      : [...snapshot.files.keys()].filter((path) => path.startsWith(`${directory}/`));
    if (occupied.length > 0) {
      // Creating the shared tunnel writes this directory; files already there are someone's, never overwritten.
      throw new TunnelbotError(
        'TB_ERR_PLAN_SHARED_CONFIG',
        `${directory}/ already holds ${occupied.join(', ')}, but no cloudflared config with ingress rules at ${file}, so tunnelbot cannot create the shared tunnel there.`,
        {
          fix: `Fix ${file} so it is a cloudflared config with an \`ingress\` list, or point \`environments[].sharedConfig\` of "${environment.name}" at the config the environment uses.`,
        },
      );
    }
    tunnel = shared ? { action: 'reuse', id: shared.tunnel, config: shared } : { action: 'create' };
    if (shared && shared.location.kind === 'configmap') {
      warnings.push(
        `${file} is an inline ConfigMap: cloudflared reads its config only at start, so restart the cloudflared pods after the merge (a configMapGenerator would roll them by itself).`,
      );
    }
  }
  warnings.push(...fluxWarnings(repository.documents, directory));
  if (repository.unreadable.length > 0) {
    warnings.push(`Skipped files that are not valid YAML: ${repository.unreadable.join(', ')}.`);
  }

  return {
    app,
    port,
    environment,
    hostname,
    namespace: service.namespace,
    serviceUrl: serviceUrl(app, service.namespace, port),
    protection,
    tunnelName:
      environment.tunnelMode === 'per-app'
        ? tunnelName(settings.namePrefix, environment.name, app)
        : tunnel.action === 'reuse'
          ? (tunnel.id ?? '(shared)')
          : `${settings.namePrefix}-${environment.name}`,
    directory,
    tunnel,
    warnings,
  };
}

/**
 * The files of the pull request for a prepared target. `credentials` are those of the tunnel the workflow just
 * created; they are needed (and only then) when `target.tunnel.action` is `create`. `now` becomes the SOPS
 * `lastmodified` of the credentials Secret.
 */
/** The rule cloudflared serves the hostname by: a protected target's rule refuses requests without its token. */
function ingressRuleFor(
  target: ExposeTarget,
  accessAud: string | undefined,
): { hostname: string; service: string; originRequest?: Record<string, unknown> } {
  const rule = { hostname: target.hostname, service: target.serviceUrl };
  if (target.protection.kind !== 'access') return rule;
  if (accessAud === undefined) {
    throw new TunnelbotError(
      'TB_ERR_ACCESS_AUD_MISSING',
      `Environment "${target.environment.name}" protects ${target.hostname} with Cloudflare Access, and the plan has no Access application tag to put in its cloudflared rule.`,
    );
  }
  return { ...rule, originRequest: accessOriginRequest(target.protection.teamName, accessAud) };
}

export async function planExpose(
  target: ExposeTarget,
  snapshot: RepoSnapshot,
  settings: Settings,
  options: {
    readonly credentials?: TunnelCredentials;
    /** The `aud` tag of the hostname's Access application; needed when the target is protected. */
    readonly accessAud?: string;
    readonly now: Date;
  },
): Promise<ExposePlan> {
  const { credentials, now } = options;
  const files: FileChange[] = [];
  const rule = ingressRuleFor(target, options.accessAud);
  let what: string;
  let encryptedFor: string | undefined;

  if (target.tunnel.action === 'reuse') {
    const { location } = target.tunnel.config;
    const text = snapshot.files.get(location.path)!;
    files.push({
      path: location.path,
      content: editConfig(text, location, (config) => upsertIngressRule(config, rule)),
      change: 'modified',
    });
    what = `adds the ingress rule for ${target.hostname} to the shared tunnel config ${describeLocation(location)}`;
  } else {
    if (!credentials) {
      throw new TunnelbotError(
        'TB_ERR_INTERNAL',
        'planExpose needs the credentials of the tunnel it creates.',
      );
    }
    validateTunnelCredentials(credentials);
    const shared = target.environment.tunnelMode === 'shared';
    const name = shared ? 'cloudflared' : `cloudflared-${target.app}`;
    const rendered = renderTunnelDirectory(
      {
        name,
        namespace: shared ? target.environment.namespace : target.namespace,
        environment: target.environment.name,
        ...(shared ? {} : { app: target.app }),
        tunnelId: credentials.TunnelID,
        image: settings.cloudflaredImage,
        rules: [rule],
      },
      credentials,
    );
    for (const [file, content] of rendered.files) {
      files.push({ path: joinPath(target.directory, file), content, change: 'added' });
    }
    const secretPath = joinPath(target.directory, TUNNEL_FILES.secret);
    const secret = await encryptSecretFor(
      secretPath,
      rendered.plaintextSecret,
      credentials.TunnelSecret,
      lookupIn(snapshot),
      settings.ageRecipients,
      now,
    );
    files.push({ path: secretPath, content: secret.content, change: 'added' });
    encryptedFor = secret.source;
    const parent = parentKustomizationPath(target.environment);
    const entry = target.directory.slice(target.environment.path.length).replace(/^\//, '');
    files.push({
      path: parent,
      content: addResource(snapshot.files.get(parent)!, entry, parent),
      change: 'modified',
    });
    files.sort((a, b) => byCodeUnits(a.path, b.path));
    what = `adds ${shared ? 'the shared' : 'a per-app'} cloudflared tunnel in ${target.directory}/ (credentials encrypted for ${secret.source}) and lists it in ${parent}`;
  }

  const summary = [
    `Expose ${target.app} at https://${target.hostname} (environment ${target.environment.name}).`,
    `Traffic goes to ${target.serviceUrl} through Cloudflare Tunnel ${target.tunnelName}.`,
    `This change ${what}.`,
    `Files: ${files.map((file) => `${file.path} (${file.change})`).join(', ')}.`,
  ].join('\n');
  return { target, changeSet: { files, summary, warnings: target.warnings }, encryptedFor };
}
