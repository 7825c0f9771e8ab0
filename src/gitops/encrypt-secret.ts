import { parseDocument } from 'yaml';
import { TunnelbotError } from '../errors.js';
import type { FileLookup } from '../core/snapshot.js';
import { encryptYaml, resolveCreationRule, type CryptRule } from './sops/index.js';

/** The crypt rule used when the repository has no `.sops.yaml`: Flux's documented one. */
const FLUX_CRYPT_RULE: CryptRule = { kind: 'encrypted_regex', value: '^(data|stringData)$' };

export interface EncryptedSecret {
  readonly content: string;
  /** Where the recipients came from, for the summary. */
  readonly source: string;
}

/**
 * Encrypts a Secret manifest for the repository path it will be written to: the `.sops.yaml` creation rule that
 * sops itself would pick, else the fallback recipients. The result is checked before anyone sees it: the secret
 * value must be encrypted and apiVersion/kind/metadata must stay readable for kustomize.
 */
export async function encryptSecretFor(
  targetPath: string,
  plaintext: string,
  secretValue: string,
  lookup: FileLookup,
  fallbackRecipients: readonly string[],
  now: Date,
): Promise<EncryptedSecret> {
  const selected = resolveCreationRule(targetPath, lookup);
  let content: string;
  let source: string;
  if (selected) {
    content = await encryptYaml(plaintext, {
      recipients: selected.recipients,
      ...(selected.rule ? { rule: selected.rule } : {}),
      macOnlyEncrypted: selected.macOnlyEncrypted,
      ...(selected.indent !== undefined ? { indent: selected.indent } : {}),
      fileName: targetPath,
      now,
    });
    source = `${selected.configPath} (${selected.recipients.length} age recipient${selected.recipients.length === 1 ? '' : 's'})`;
  } else {
    if (fallbackRecipients.length === 0) {
      throw new TunnelbotError(
        'TB_ERR_SOPS_NO_RECIPIENT',
        `No .sops.yaml covers ${targetPath} and no fallback age recipient is configured.`,
        {
          fix: 'Add a .sops.yaml creation rule with `age:` to the repository, or set `ageRecipients` in the settings.',
        },
      );
    }
    content = await encryptYaml(plaintext, {
      recipients: fallbackRecipients,
      rule: FLUX_CRYPT_RULE,
      fileName: targetPath,
      now,
    });
    source = `settings ageRecipients (${fallbackRecipients.length})`;
  }
  assertSafelyEncrypted(targetPath, content, secretValue, selected?.configPath ?? 'the settings');
  return { content, source };
}

function assertSafelyEncrypted(
  targetPath: string,
  content: string,
  secretValue: string,
  ruleSource: string,
): void {
  if (content.includes(secretValue)) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_SOPS_RULE_UNSAFE',
      `The creation rule in ${ruleSource} for ${targetPath} leaves the tunnel credentials unencrypted; nothing was written.`,
      {
        fix: 'Use `encrypted_regex: ^(data|stringData)$` in the creation rule that matches the tunnel directory.',
      },
    );
  }
  const value = parseDocument(content).toJS() as Record<string, unknown>;
  const metadata = value['metadata'] as Record<string, unknown> | undefined;
  const readable = [value['apiVersion'], value['kind'], metadata?.['name']].every(
    (field) => typeof field === 'string' && !field.startsWith('ENC['),
  );
  if (!readable) {
    throw new TunnelbotError(
      'TB_ERR_PLAN_SOPS_RULE_UNSAFE',
      `The creation rule in ${ruleSource} for ${targetPath} encrypts apiVersion/kind/metadata, which kustomize and Flux cannot build.`,
    );
  }
}
