import { parseDocument } from 'yaml';
import { TunnelbotError } from '../../errors.js';
import type { FileLookup } from '../../core/snapshot.js';
import { isValidAgeRecipient } from './age.js';
import { compileGoRegex, GoRegexError } from './regex.js';
import { CRYPT_RULE_KINDS, type CryptRule } from './rules.js';
import { describeYamlError, documentData } from '../yaml-error.js';

/**
 * `.sops.yaml` creation rules, chosen the way the sops CLI chooses them: the first rule whose unanchored Go
 * `path_regex` matches the path relative to the config's directory wins; a rule without `path_regex` matches all.
 */

export const SOPS_CONFIG_FILE = '.sops.yaml';

export interface SopsCreationRule {
  /** 0-based position in `creation_rules`, for messages. */
  readonly index: number;
  readonly pathRegex?: string;
  readonly pathMatcher?: RegExp;
  /** age recipients as written (trimmed, empties and duplicates dropped); not yet validated. */
  readonly recipients: readonly string[];
  readonly rule?: CryptRule;
  readonly macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  readonly configPath: string;
  readonly creationRules: readonly SopsCreationRule[];
  /** `stores: yaml: indent:` */
  readonly indent?: number;
}

export interface SelectedCreationRule {
  configPath: string;
  recipients: string[];
  rule?: CryptRule;
  macOnlyEncrypted: boolean;
  indent?: number;
}

function configError(configPath: string, problem: string): TunnelbotError {
  return new TunnelbotError('TB_ERR_SOPS_CONFIG', `${configPath}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileRulePattern(configPath: string, where: string, pattern: string): RegExp {
  try {
    return compileGoRegex(pattern);
  } catch (error) {
    const reason = error instanceof GoRegexError ? error.message : String(error);
    throw configError(
      configPath,
      `${where} ${JSON.stringify(pattern)} is not a usable Go RE2 regex: ${reason}.`,
    );
  }
}

function ageList(value: unknown, configPath: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(',').map((recipient) => recipient.trim());
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      if (typeof item !== 'string') throw configError(configPath, `${where}[${index}] is not a string.`);
      return item.trim();
    });
  }
  throw configError(configPath, `${where} must be a comma-separated string or a list of age recipients.`);
}

function parseRule(raw: unknown, index: number, configPath: string): SopsCreationRule {
  const where = `creation_rules[${index}]`;
  if (!isRecord(raw)) throw configError(configPath, `${where} is not a mapping.`);
  const pathRegexValue = raw['path_regex'];
  if (pathRegexValue !== undefined && typeof pathRegexValue !== 'string') {
    throw configError(configPath, `${where}.path_regex must be a string.`);
  }
  const pathRegex = pathRegexValue === '' ? undefined : pathRegexValue;
  let recipients: string[];
  const keyGroups = raw['key_groups'];
  if (keyGroups !== undefined) {
    if (!Array.isArray(keyGroups)) throw configError(configPath, `${where}.key_groups must be a list.`);
    if (keyGroups.length > 1) {
      throw configError(
        configPath,
        `${where} has ${keyGroups.length} key_groups (Shamir secret sharing), which tunnelbot does not support; use one group.`,
      );
    }
    const [group] = keyGroups as unknown[];
    if (group !== undefined && !isRecord(group))
      throw configError(configPath, `${where}.key_groups[0] is not a mapping.`);
    recipients = ageList(group?.['age'], configPath, `${where}.key_groups[0].age`);
  } else {
    recipients = ageList(raw['age'], configPath, `${where}.age`);
  }
  const rules = CRYPT_RULE_KINDS.flatMap((kind): CryptRule[] => {
    const value = raw[kind];
    if (value === undefined || value === null || value === '') return [];
    if (typeof value !== 'string') throw configError(configPath, `${where}.${kind} must be a string.`);
    return [{ kind, value }];
  });
  if (rules.length > 1) {
    throw configError(
      configPath,
      `${where} sets more than one of ${rules.map((rule) => rule.kind).join(', ')}; sops allows only one.`,
    );
  }
  const [rule] = rules;
  if (rule && rule.kind.endsWith('_regex'))
    compileRulePattern(configPath, `${where}.${rule.kind}`, rule.value);
  const macOnly = raw['mac_only_encrypted'];
  if (macOnly !== undefined && macOnly !== null && typeof macOnly !== 'boolean') {
    throw configError(configPath, `${where}.mac_only_encrypted must be true or false.`);
  }
  return {
    index,
    ...(pathRegex === undefined
      ? {}
      : { pathRegex, pathMatcher: compileRulePattern(configPath, `${where}.path_regex`, pathRegex) }),
    recipients: [...new Set(recipients.filter(Boolean))],
    ...(rule ? { rule } : {}),
    macOnlyEncrypted: macOnly === true,
  };
}

export function parseSopsConfig(text: string, configPath: string): SopsConfig {
  const document = parseDocument(text, { prettyErrors: true });
  const read = documentData(document);
  if ('error' in read) {
    throw new TunnelbotError('TB_ERR_SOPS_CONFIG', `${describeYamlError(read.error, text, configPath)}`);
  }
  const root = read.data;
  if (root === null || root === undefined) return { configPath, creationRules: [] };
  if (!isRecord(root)) throw configError(configPath, 'the top level must be a mapping.');
  const rawRules = root['creation_rules'] ?? [];
  if (!Array.isArray(rawRules)) throw configError(configPath, 'creation_rules must be a list.');
  const creationRules = rawRules.map((raw, index) => parseRule(raw, index, configPath));
  const stores = root['stores'];
  const yamlStore = isRecord(stores) ? stores['yaml'] : undefined;
  const indent = isRecord(yamlStore) ? yamlStore['indent'] : undefined;
  if (
    indent !== undefined &&
    (typeof indent !== 'number' || !Number.isInteger(indent) || indent < 1 || indent > 9)
  ) {
    throw configError(configPath, 'stores.yaml.indent must be an integer from 1 to 9.');
  }
  return { configPath, creationRules, ...(indent === undefined ? {} : { indent }) };
}

/** The first rule whose `path_regex` matches (or that has none), without checking its recipients. */
export function findCreationRule(
  config: SopsConfig,
  pathRelativeToConfigDir: string,
): SopsCreationRule | undefined {
  return config.creationRules.find(
    (candidate) => candidate.pathMatcher === undefined || candidate.pathMatcher.test(pathRelativeToConfigDir),
  );
}

export function selectCreationRule(
  config: SopsConfig,
  pathRelativeToConfigDir: string,
): SelectedCreationRule {
  const { configPath } = config;
  if (config.creationRules.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_NO_RECIPIENT',
      `${configPath} has no creation_rules, so it names no age recipient.`,
    );
  }
  const chosen = findCreationRule(config, pathRelativeToConfigDir);
  if (!chosen) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_NO_MATCHING_RULE',
      `No creation rule in ${configPath} matches ${pathRelativeToConfigDir} (path_regex is matched against the path relative to the directory of ${configPath}).`,
      {
        details: {
          path: pathRelativeToConfigDir,
          pathRegexes: config.creationRules.map((candidate) => candidate.pathRegex ?? null),
        },
      },
    );
  }
  const where = `creation_rules[${chosen.index}] of ${configPath}`;
  if (chosen.recipients.length === 0) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_NO_RECIPIENT',
      `${where} matches ${pathRelativeToConfigDir} but lists no age recipient (tunnelbot only encrypts for age).`,
    );
  }
  for (const recipient of chosen.recipients) {
    if (!isValidAgeRecipient(recipient)) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_BAD_RECIPIENT',
        `${where} lists ${JSON.stringify(recipient)}, which is not an age public key tunnelbot can encrypt to.`,
      );
    }
  }
  return {
    configPath,
    recipients: [...chosen.recipients],
    ...(chosen.rule ? { rule: chosen.rule } : {}),
    macOnlyEncrypted: chosen.macOnlyEncrypted,
    ...(config.indent === undefined ? {} : { indent: config.indent }),
  };
}

/** Directories from the target's own up to the root, repo-relative (`''` is the root). */
function ancestorDirectories(targetPath: string): string[] {
  const parts = targetPath.replace(/^\.\//, '').split('/').filter(Boolean);
  parts.pop();
  return Array.from({ length: parts.length + 1 }, (_, index) =>
    parts.slice(0, parts.length - index).join('/'),
  );
}

/**
 * For the GitOps planner: finds the `.sops.yaml` nearest to a repo-relative target (walking up from its directory)
 * and returns the rule sops would use. Undefined when the repository has no `.sops.yaml` on that path.
 */
export function resolveCreationRule(
  targetPath: string,
  lookup: FileLookup,
): SelectedCreationRule | undefined {
  const found = findSopsConfig(targetPath, lookup);
  return found && selectCreationRule(parseSopsConfig(found.text, found.configPath), found.relativePath);
}

export interface FoundSopsConfig {
  readonly configPath: string;
  readonly text: string;
  /** The target's path relative to the config's directory: what `path_regex` is matched against. */
  readonly relativePath: string;
}

/** The `.sops.yaml` sops uses for a repo-relative target: the nearest one walking up from its directory. */
export function findSopsConfig(targetPath: string, lookup: FileLookup): FoundSopsConfig | undefined {
  const normalised = targetPath.replace(/^\.\//, '');
  for (const directory of ancestorDirectories(normalised)) {
    const configPath = directory === '' ? SOPS_CONFIG_FILE : `${directory}/${SOPS_CONFIG_FILE}`;
    const text = lookup(configPath);
    if (text === undefined) continue;
    const relativePath = directory === '' ? normalised : normalised.slice(directory.length + 1);
    return { configPath, text, relativePath };
  }
  return undefined;
}
