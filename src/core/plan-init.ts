import { randomBytes } from 'node:crypto';
import { isMap, isSeq, parseAllDocuments, parseDocument, stringify } from 'yaml';
import { TunnelbotError } from '../errors.js';
import { findFluxKustomizations, type FluxKustomization } from '../gitops/discovery/flux.js';
import {
  dirname,
  isWithin,
  joinPath,
  parseRepository,
  stringField,
  type ManifestDocument,
} from '../gitops/discovery/manifests.js';
import { encryptSecretFor } from '../gitops/encrypt-secret.js';
import { addResource, listResources } from '../gitops/kustomization.js';
import {
  NOTIFICATION_FILES,
  NOTIFICATION_NAMES,
  renderFluxNotifications,
} from '../gitops/manifests/flux-notifications.js';
import { TUNNEL_FILES } from '../gitops/manifests/tunnel-directory.js';
import { escapeRegex, insertCreationRule } from '../gitops/sops/config-edit.js';
import {
  findSopsConfig,
  isValidAgeRecipient,
  parseSopsConfig,
  selectCreationRule,
  SOPS_CONFIG_FILE,
} from '../gitops/sops/index.js';
import {
  appendMapEntry,
  appendTopLevelEntry,
  fillEmptySeq,
  insertSeqItem,
  pairOf,
} from '../gitops/yaml-splice.js';
import type { ChangeSet, FileChange } from './changeset.js';
import {
  isDomainName,
  isEnvironmentName,
  parseSettings,
  SETTINGS_FILE,
  type Environment,
} from './settings.js';
import type { FileLookup, RepoSnapshot } from './snapshot.js';
import { byCodeUnits } from './text-order.js';

/**
 * `tunnelbot init`: readies an existing Flux repository for tunnelbot in one change set. Everything it needs is
 * found in the repository (the Flux Kustomization that applies the environment, its decryption, the `.sops.yaml`
 * rule sops would pick); where several answers fit it asks instead of guessing. Each part is written only when it
 * is missing, so a second run on the result plans no change at all.
 */

export interface InitRequest {
  /** The age public key kustomize-controller's private key (the `sops-age` Secret) belongs to. */
  readonly ageRecipient: string;
  readonly domain: string;
  readonly environment?: string;
  /** The spec.path of the Flux Kustomization that should apply the tunnels, when several fit. */
  readonly path?: string;
  /**
   * Cloudflare Access for the environment: `required` with the Zero Trust team and the reusable policies that say
   * who gets in, or `off` when the operator explicitly chose apps without Access.
   */
  readonly access: { readonly teamName: string; readonly policies: readonly string[] } | 'off';
  /** Written into a new settings file; the pull-request form knows it. */
  readonly repository?: { readonly owner: string; readonly name: string; readonly branch?: string };
}

export interface InitOptions {
  /** The HMAC token of the Flux webhook; used only when the plan writes its Secret (see `webhookSecretPath`). */
  readonly webhookToken: string;
  readonly now: Date;
}

export interface AgeKeySecret {
  readonly namespace: string;
  readonly name: string;
}

export interface InitPlan {
  readonly environment: string;
  /** The spec.path of the Flux Kustomization(s) that apply the environment. */
  readonly fluxPath: string;
  readonly tunnelsPath: string;
  /** The Secrets holding the age private key that the decrypting Kustomizations read (the operator creates them). */
  readonly ageKeySecrets: readonly AgeKeySecret[];
  /** Set when this plan writes the Flux webhook Secret, so its token is the one given in the options. */
  readonly webhookSecretPath: string | undefined;
  readonly changeSet: ChangeSet;
}

export const TUNNELS_DIRECTORY = 'tunnels';
export const NOTIFICATIONS_DIRECTORY = 'tunnelbot-notifications';
/** The Secret name Flux's SOPS guide uses; an existing `decryption.secretRef` keeps its own. */
export const AGE_KEY_SECRET = 'sops-age';
const FLUX_ENCRYPTED_REGEX = '^(data|stringData)$';

/** A fresh Flux webhook token: 32 random bytes, URL-safe base64 (43 characters). */
export function generateWebhookToken(): string {
  return randomBytes(32).toString('base64url');
}

function invalid(message: string, fix?: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_INIT_INVALID_ARGUMENT', message, fix === undefined ? {} : { fix });
}

function conflict(message: string, fix?: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_INIT_CONFLICT', message, fix === undefined ? {} : { fix });
}

function normalisePath(path: string): string {
  return path
    .trim()
    .replace(/^\.?\/+/, '')
    .replace(/^\.$/, '')
    .replace(/\/+$/, '');
}

function describe(kustomization: FluxKustomization): string {
  return `${kustomization.namespace}/${kustomization.name} in ${kustomization.file}`;
}

/** The files of the plan, read through the edits made so far. */
class Edits {
  private readonly written = new Map<string, string>();
  constructor(private readonly snapshot: RepoSnapshot) {}

  readonly lookup: FileLookup = (path) => this.written.get(path) ?? this.snapshot.files.get(path);

  write(path: string, content: string): void {
    if (this.snapshot.files.get(path) === content) this.written.delete(path);
    else this.written.set(path, content);
  }

  changes(): FileChange[] {
    return [...this.written]
      .map(([path, content]): FileChange => ({
        path,
        content,
        change: this.snapshot.files.has(path) ? 'modified' : 'added',
      }))
      .sort((a, b) => byCodeUnits(a.path, b.path));
  }
}

/** Flux Kustomizations whose spec.path has a kustomization.yaml: the directories a tunnels directory can join. */
function chooseFluxPath(
  documents: readonly ManifestDocument[],
  snapshot: RepoSnapshot,
  requested: string | undefined,
): { path: string; kustomizations: FluxKustomization[] } {
  const all = findFluxKustomizations(documents);
  const list = (items: readonly FluxKustomization[]) =>
    [...new Set(items.map((item) => item.path))]
      .sort()
      .map((path) => {
        const applying = items.filter((item) => item.path === path).map(describe);
        return `${path || '.'} (${applying.join('; ')})`;
      })
      .join(', ');
  if (requested !== undefined) {
    const path = normalisePath(requested);
    const applying = all.filter((kustomization) => kustomization.path === path);
    if (applying.length === 0) {
      throw new TunnelbotError(
        'TB_ERR_INIT_NO_FLUX_PATH',
        `No Flux Kustomization has spec.path ${path || '.'}` +
          (all.length > 0 ? `; the Flux Kustomizations apply: ${list(all)}.` : '; the repository has none.'),
      );
    }
    if (!snapshot.files.has(joinPath(path, 'kustomization.yaml'))) {
      throw new TunnelbotError(
        'TB_ERR_INIT_NO_FLUX_PATH',
        `${path || '.'} has no kustomization.yaml to list the tunnels directory in.`,
        {
          fix: `Create ${joinPath(path, 'kustomization.yaml')} listing what the directory holds, or pass another --path.`,
        },
      );
    }
    return { path, kustomizations: applying };
  }
  const fitting = all.filter((kustomization) =>
    snapshot.files.has(joinPath(kustomization.path, 'kustomization.yaml')),
  );
  const paths = [...new Set(fitting.map((kustomization) => kustomization.path))].sort();
  if (paths.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_INIT_NO_FLUX_PATH',
      all.length === 0
        ? 'No Flux Kustomization (kustomize.toolkit.fluxcd.io) was found in the repository.'
        : `No Flux Kustomization applies a directory with a kustomization.yaml; they apply: ${list(all)}.`,
    );
  }
  if (paths.length > 1) {
    throw new TunnelbotError(
      'TB_ERR_INIT_AMBIGUOUS_PATH',
      `Several Flux Kustomizations apply a directory the tunnels could go in: ${list(fitting)}.`,
      { fix: `Say which with --path, e.g. \`--path ${paths[0]}\`.` },
    );
  }
  const path = paths[0]!;
  return { path, kustomizations: fitting.filter((kustomization) => kustomization.path === path) };
}

interface SettingsFile {
  readonly text: string | undefined;
  /** The environments the file lists (not the defaults of a file without `environments`). */
  readonly environments: readonly Environment[];
}

function readSettingsFile(snapshot: RepoSnapshot): SettingsFile {
  const text = snapshot.files.get(SETTINGS_FILE);
  if (text === undefined) return { text, environments: [] };
  const settings = parseSettings(text, SETTINGS_FILE);
  const raw = parseDocument(text).toJS() as Record<string, unknown> | null;
  return { text, environments: raw && 'environments' in raw ? settings.environments : [] };
}

function chooseEnvironment(requested: string | undefined, settings: SettingsFile, fluxPath: string): string {
  if (requested !== undefined) {
    if (!isEnvironmentName(requested)) {
      throw invalid(
        `"${requested}" is not a valid environment name: use lowercase letters, digits and "-" (a DNS-1123 label).`,
      );
    }
    return requested;
  }
  const within = settings.environments.filter((environment) => isWithin(environment.path, fluxPath));
  if (within.length === 1) return within[0]!.name;
  const last = fluxPath.split('/').pop() ?? '';
  if (within.length === 0 && isEnvironmentName(last)) return last;
  throw invalid(
    `Cannot tell the environment's name from ${fluxPath || 'the repository root'}` +
      (within.length > 1 ? ` (${SETTINGS_FILE} lists ${within.map((e) => e.name).join(', ')} there)` : '') +
      '.',
    'Pass it with --env, e.g. `--env staging`.',
  );
}

function tunnelsPathFor(
  environment: string,
  settings: SettingsFile,
  fluxPath: string,
  domain: string,
): string {
  const existing = settings.environments.find((candidate) => candidate.name === environment);
  if (!existing) return joinPath(fluxPath, TUNNELS_DIRECTORY);
  if (existing.path !== fluxPath && dirname(existing.path) !== fluxPath) {
    throw conflict(
      `${SETTINGS_FILE} puts environment "${environment}" at ${existing.path}, which is neither ${fluxPath || '.'} (the Flux Kustomization's path) nor a directory right inside it.`,
      `Pass the --path of the Flux Kustomization that applies ${existing.path}, or change the environment's path in ${SETTINGS_FILE}.`,
    );
  }
  if (existing.domain !== domain) {
    throw conflict(
      `${SETTINGS_FILE} gives environment "${environment}" ${existing.domain ? `the domain ${existing.domain}` : 'no domain'}, not ${domain}.`,
      existing.domain
        ? `Run init with --domain ${existing.domain}, or change the domain in ${SETTINGS_FILE} to ${domain}.`
        : `Add \`domain: ${domain}\` to environment "${environment}" in ${SETTINGS_FILE}, then run init again.`,
    );
  }
  return existing.path;
}

function kustomizationNamespace(text: string): string | undefined {
  const value: unknown = parseDocument(text).get('namespace');
  return typeof value === 'string' ? value : undefined;
}

/** Adds `entry` to a kustomization's resources unless it lists it already (as `entry`, `./entry` or `entry/`). */
function ensureListed(edits: Edits, kustomizationPath: string, entry: string): boolean {
  const text = edits.lookup(kustomizationPath)!;
  const listed = listResources(text, kustomizationPath).map(normalisePath);
  if (listed.includes(entry)) return false;
  edits.write(kustomizationPath, addResource(text, entry, kustomizationPath));
  return true;
}

/** Adds `spec.decryption` to each Kustomization that lacks it; returns the ones changed. */
function ensureDecryption(edits: Edits, kustomizations: readonly FluxKustomization[]): FluxKustomization[] {
  const missing: FluxKustomization[] = [];
  for (const kustomization of kustomizations) {
    if (kustomization.decryptsSops) continue;
    if (kustomization.hasDecryption) {
      throw conflict(
        `Flux Kustomization ${describe(kustomization)} has spec.decryption without \`provider: sops\`.`,
        'Set `decryption: {provider: sops, secretRef: {name: sops-age}}` on it (sops is the only provider Flux knows).',
      );
    }
    missing.push(kustomization);
  }
  // Later documents first, so the offsets of earlier ones in the same file stay valid.
  for (const kustomization of [...missing].sort((a, b) => b.documentIndex - a.documentIndex)) {
    const text = edits.lookup(kustomization.file)!;
    const document = parseAllDocuments(text)[kustomization.documentIndex];
    const spec = document && !Array.isArray(document) ? document.get('spec', true) : undefined;
    if (!isMap(spec) || spec.items.length === 0) {
      throw conflict(
        `Flux Kustomization ${describe(kustomization)} has no spec mapping to add decryption to.`,
      );
    }
    edits.write(
      kustomization.file,
      appendMapEntry(
        text,
        spec,
        'decryption',
        { provider: 'sops', secretRef: { name: AGE_KEY_SECRET } },
        kustomization.file,
        `spec of Kustomization ${kustomization.namespace}/${kustomization.name}`,
      ),
    );
  }
  return missing;
}

const PROBE_VALUE = 'tunnelbot-init-probe-value';

/** Whether the rule sops would pick for `path` encrypts for `recipient` and passes the planner's own check. */
async function ruleServes(path: string, lookup: FileLookup, recipient: string, now: Date): Promise<boolean> {
  const found = findSopsConfig(path, lookup);
  if (!found) return false;
  try {
    const selected = selectCreationRule(parseSopsConfig(found.text, found.configPath), found.relativePath);
    if (!selected.recipients.includes(recipient)) return false;
    const probe = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: probe\nstringData:\n  value: ${PROBE_VALUE}\n`;
    await encryptSecretFor(path, probe, PROBE_VALUE, lookup, [], now);
    return true;
  } catch (error) {
    const code = error instanceof TunnelbotError ? error.code : undefined;
    const unusable = [
      'TB_ERR_SOPS_NO_MATCHING_RULE',
      'TB_ERR_SOPS_NO_RECIPIENT',
      'TB_ERR_SOPS_BAD_RECIPIENT',
      'TB_ERR_PLAN_SOPS_RULE_UNSAFE',
    ];
    if (code !== undefined && unusable.includes(code)) return false;
    throw error;
  }
}

/** `^(a|b)/.*\.sops\.yaml$` over the directories (relative to the config), sharing their common parent. */
function pathRegexFor(directories: readonly string[]): string {
  const kept = directories.filter(
    (directory, index) =>
      !directories.some(
        (other, otherIndex) => otherIndex !== index && other !== directory && isWithin(directory, other),
      ),
  );
  const unique = [...new Set(kept)].sort();
  const parents = new Set(unique.map(dirname));
  const suffix = '/.*\\.sops\\.yaml$';
  if (unique.length === 1) return `^${escapeRegex(unique[0]!)}${suffix}`;
  if (parents.size === 1) {
    const [parent] = parents;
    const names = unique.map((directory) => escapeRegex(directory.slice(parent ? parent.length + 1 : 0)));
    return `^${parent ? `${escapeRegex(parent!)}/` : ''}(${names.join('|')})${suffix}`;
  }
  return `^(${unique.map(escapeRegex).join('|')})${suffix}`;
}

/** A directory whose SOPS files need the rule, and one file of it as sops would see it. */
interface SopsTarget {
  readonly directory: string;
  readonly file: string;
}

/**
 * Makes sure sops encrypts the SOPS files of `directories` for `recipient` with Flux's crypt rule: a directory whose
 * chosen rule already does is left alone; for the others one rule is added to the `.sops.yaml` that governs them,
 * right before the first rule that matches them now (a catch-all, say), so it is the one sops picks.
 */
async function ensureSopsRule(
  edits: Edits,
  targets: readonly SopsTarget[],
  recipient: string,
  now: Date,
): Promise<string[]> {
  const byConfig = new Map<string, SopsTarget[]>();
  for (const target of targets) {
    if (await ruleServes(target.file, edits.lookup, recipient, now)) continue;
    const configPath = findSopsConfig(target.file, edits.lookup)?.configPath ?? SOPS_CONFIG_FILE;
    byConfig.set(configPath, [...(byConfig.get(configPath) ?? []), target]);
  }
  for (const [configPath, uncovered] of byConfig) {
    const configDirectory = configPath === SOPS_CONFIG_FILE ? '' : dirname(configPath);
    const relativeTo = (path: string) =>
      configDirectory === '' ? path : path.slice(configDirectory.length + 1);
    const relative = uncovered.map((target) => relativeTo(target.directory));
    const probes = uncovered.map((target) => relativeTo(target.file));
    const text = edits.lookup(configPath);
    const rules = text === undefined ? [] : parseSopsConfig(text, configPath).creationRules;
    const shadowing = rules.findIndex(
      (rule) => rule.pathMatcher === undefined || probes.some((probe) => rule.pathMatcher!.test(probe)),
    );
    edits.write(
      configPath,
      insertCreationRule(
        text,
        configPath,
        { pathRegex: pathRegexFor(relative), encryptedRegex: FLUX_ENCRYPTED_REGEX, age: recipient },
        shadowing === -1 ? rules.length : shadowing,
        'tunnelbot: tunnel credentials and the Flux webhook token (written by `tunnelbot init`)',
      ),
    );
  }
  for (const target of targets) {
    if (!(await ruleServes(target.file, edits.lookup, recipient, now))) {
      throw new TunnelbotError(
        'TB_ERR_INTERNAL',
        `The creation rule added for ${target.directory} is not the one sops picks for ${target.file}.`,
      );
    }
  }
  return [...byConfig.keys()];
}

function findExistingProvider(
  documents: readonly ManifestDocument[],
  namespace: string,
  ours: string,
): string | undefined {
  return documents.find(
    (document) =>
      stringField(document.value, 'kind') === 'Provider' &&
      (stringField(document.value, 'apiVersion') ?? '').startsWith('notification.toolkit.fluxcd.io/') &&
      stringField(document.value, 'metadata', 'name') === NOTIFICATION_NAMES.provider &&
      (stringField(document.value, 'metadata', 'namespace') ?? namespace) === namespace &&
      !isWithin(document.path, ours),
  )?.path;
}

function environmentEntry(
  request: InitRequest,
  environment: string,
  path: string,
  domain: string,
): Record<string, unknown> {
  return {
    name: environment,
    path,
    domain,
    tunnelMode: 'per-app',
    // Written even when off, so the choice is visible in the file and not mistaken for a forgotten setting.
    access:
      request.access === 'off'
        ? { mode: 'off' }
        : { mode: 'required', teamName: request.access.teamName, policies: [...request.access.policies] },
  };
}

function renderSettings(
  request: InitRequest,
  environment: string,
  tunnelsPath: string,
  domain: string,
): string {
  const header = [
    '# tunnelbot settings (written by `tunnelbot init`). `tunnelbot plan` reads this file at the repository root;',
    '# `tunnelbot serve` reads the file TUNNELBOT_SETTINGS names, which can be a copy of this one. Secrets never go here.',
    '# access.mode required: every exposed app gets a Cloudflare Access application, and its cloudflared rule refuses',
    '# requests without a valid Access token, so an app is never public by accident (see deploy/tunnelbot.example.yaml).',
  ];
  const value: Record<string, unknown> = {
    ...(request.repository && {
      repository: {
        owner: request.repository.owner,
        name: request.repository.name,
        ...(request.repository.branch !== undefined && { branch: request.repository.branch }),
      },
    }),
    environments: [environmentEntry(request, environment, tunnelsPath, domain)],
  };
  return `${header.join('\n')}\n${stringify(value, { lineWidth: 0 })}`;
}

function ensureSettings(
  edits: Edits,
  settings: SettingsFile,
  request: InitRequest,
  environment: string,
  tunnelsPath: string,
  domain: string,
): void {
  if (settings.environments.some((candidate) => candidate.name === environment)) return;
  const entry = environmentEntry(request, environment, tunnelsPath, domain);
  let text: string;
  if (settings.text === undefined || settings.text.trim() === '') {
    text = renderSettings(request, environment, tunnelsPath, domain);
  } else {
    const document = parseDocument(settings.text);
    const root = document.contents;
    const pair = isMap(root) ? pairOf(root, 'environments') : undefined;
    if (!pair) text = appendTopLevelEntry(settings.text, 'environments', [entry]);
    else if (isSeq(pair.value) && pair.value.items.length > 0)
      text = insertSeqItem(
        settings.text,
        pair.value,
        pair.value.items.length,
        entry,
        SETTINGS_FILE,
        'environments',
      );
    else text = fillEmptySeq(settings.text, pair, entry, SETTINGS_FILE, 'environments');
  }
  parseSettings(text, SETTINGS_FILE);
  edits.write(SETTINGS_FILE, text);
}

export async function planInit(
  request: InitRequest,
  snapshot: RepoSnapshot,
  options: InitOptions,
): Promise<InitPlan> {
  const recipient = request.ageRecipient.trim();
  if (!/^age1[0-9a-z]+$/.test(recipient) || !isValidAgeRecipient(recipient)) {
    throw invalid(
      `"${request.ageRecipient}" is not an age public key.`,
      'Pass the public key `age-keygen` printed (age1...), never the private AGE-SECRET-KEY-1... line.',
    );
  }
  const domain = request.domain.trim().toLowerCase().replace(/\.$/, '');
  if (!isDomainName(domain)) throw invalid(`"${request.domain}" is not a domain name such as example.com.`);

  const repository = parseRepository(snapshot);
  const { path: fluxPath, kustomizations } = chooseFluxPath(repository.documents, snapshot, request.path);
  const settings = readSettingsFile(snapshot);
  const environment = chooseEnvironment(request.environment, settings, fluxPath);
  const tunnelsPath = tunnelsPathFor(environment, settings, fluxPath, domain);
  const parentKustomization = joinPath(fluxPath, 'kustomization.yaml');
  const namespace = kustomizations[0]!.namespace;
  const notificationsPath = joinPath(fluxPath, NOTIFICATIONS_DIRECTORY);

  // The notification objects must stay in the Flux namespace, so nothing above them may move them.
  const overriding = [
    ...kustomizations.flatMap((kustomization) =>
      kustomization.targetNamespace !== undefined && kustomization.targetNamespace !== namespace
        ? [
            `Flux Kustomization ${describe(kustomization)} sets targetNamespace ${kustomization.targetNamespace}`,
          ]
        : [],
    ),
    ...[kustomizationNamespace(snapshot.files.get(parentKustomization)!)].flatMap((value) =>
      value !== undefined && value !== namespace ? [`${parentKustomization} sets namespace ${value}`] : [],
    ),
  ];
  const existingProvider = findExistingProvider(repository.documents, namespace, notificationsPath);
  if (overriding.length > 0 && existingProvider === undefined) {
    throw conflict(
      `${overriding.join('; ')}, which would move the Flux notification objects out of ${namespace}.`,
      'Pass --path with a directory applied without a namespace override, or wire the notifications by hand (docs/flux.md).',
    );
  }

  const edits = new Edits(snapshot);
  const done: string[] = [];
  const warnings: string[] = [];

  const decrypting = ensureDecryption(edits, kustomizations);
  done.push(
    ...kustomizations.map((kustomization) =>
      decrypting.includes(kustomization)
        ? `Flux Kustomization ${describe(kustomization)} now decrypts SOPS with the Secret ${kustomization.namespace}/${AGE_KEY_SECRET}.`
        : `Flux Kustomization ${describe(kustomization)} already decrypts SOPS.`,
    ),
  );
  const ageKeySecrets: AgeKeySecret[] = [];
  for (const kustomization of kustomizations) {
    const name = decrypting.includes(kustomization) ? AGE_KEY_SECRET : kustomization.decryptionSecret;
    if (name === undefined) {
      warnings.push(
        `Flux Kustomization ${describe(kustomization)} decrypts SOPS without secretRef: kustomize-controller must run with --sops-age-secret naming the Secret of the age key.`,
      );
    } else if (
      !ageKeySecrets.some((secret) => secret.namespace === kustomization.namespace && secret.name === name)
    ) {
      ageKeySecrets.push({ namespace: kustomization.namespace, name });
    }
  }

  if (tunnelsPath !== fluxPath) {
    const tunnelsKustomization = joinPath(tunnelsPath, 'kustomization.yaml');
    if (edits.lookup(tunnelsKustomization) === undefined) {
      edits.write(
        tunnelsKustomization,
        `# Cloudflare Tunnels of the ${environment} apps; tunnelbot adds one directory per exposed app.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n`,
      );
    }
    ensureListed(edits, parentKustomization, tunnelsPath.slice(fluxPath === '' ? 0 : fluxPath.length + 1));
  }
  done.push(`Tunnels go to ${tunnelsPath}/, which ${parentKustomization} lists.`);

  // The planner writes <tunnels>/<app>/secret.sops.yaml (per app) or <tunnels>/cloudflared/secret.sops.yaml (shared).
  const sopsTargets: SopsTarget[] = [
    { directory: tunnelsPath, file: joinPath(tunnelsPath, 'app', TUNNEL_FILES.secret) },
    ...(existingProvider === undefined
      ? [{ directory: notificationsPath, file: joinPath(notificationsPath, NOTIFICATION_FILES.secret) }]
      : []),
  ];
  const sopsEdited = await ensureSopsRule(edits, sopsTargets, recipient, options.now);
  done.push(
    sopsEdited.length > 0
      ? `${sopsEdited.join(', ')}: a creation rule encrypts data and stringData of the SOPS files there for ${recipient}.`
      : `The .sops.yaml rule sops picks there already encrypts data and stringData for ${recipient}.`,
  );

  let webhookSecretPath: string | undefined;
  if (existingProvider !== undefined) {
    warnings.push(
      `A Flux Provider ${namespace}/${NOTIFICATION_NAMES.provider} already exists in ${existingProvider}; the Flux notifications are left as they are.`,
    );
  } else {
    const rendered = renderFluxNotifications(namespace, options.webhookToken);
    for (const [file, content] of rendered.files) {
      const path = joinPath(notificationsPath, file);
      if (edits.lookup(path) === undefined) edits.write(path, content);
    }
    const secretPath = joinPath(notificationsPath, NOTIFICATION_FILES.secret);
    if (edits.lookup(secretPath) === undefined) {
      const secret = await encryptSecretFor(
        secretPath,
        rendered.plaintextSecret,
        options.webhookToken,
        edits.lookup,
        [recipient],
        options.now,
      );
      edits.write(secretPath, secret.content);
      webhookSecretPath = secretPath;
    }
    ensureListed(edits, parentKustomization, NOTIFICATIONS_DIRECTORY);
    done.push(
      `Flux notifications: Provider ${namespace}/${NOTIFICATION_NAMES.provider} (generic-hmac) and Alert ${namespace}/${NOTIFICATION_NAMES.alert} send every Kustomization event to tunnelbot, signed with the token of the SOPS-encrypted ${secretPath}.`,
    );
  }

  ensureSettings(edits, settings, request, environment, tunnelsPath, domain);
  done.push(
    `${SETTINGS_FILE} configures environment ${environment} (domain ${domain}, tunnels in ${tunnelsPath}).`,
  );

  const files = edits.changes();
  const summary = [
    `Ready the repository for tunnelbot: environment ${environment}, domain ${domain}, applied by Flux from ${fluxPath || '.'}.`,
    ...done.map((line) => `- ${line}`),
    files.length === 0
      ? 'Nothing to change: the repository is ready.'
      : `Files: ${files.map((file) => `${file.path} (${file.change})`).join(', ')}.`,
  ].join('\n');
  return {
    environment,
    fluxPath,
    tunnelsPath: tunnelsPath,
    ageKeySecrets,
    webhookSecretPath,
    changeSet: { files, summary, warnings },
  };
}
