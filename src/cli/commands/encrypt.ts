import { resolve } from 'node:path';
import { TunnelbotError } from '../../errors.js';
import {
  encryptYaml,
  findCreationRule,
  selectCreationRule,
  type CryptRule,
  type EncryptOptions,
} from '../../gitops/sops/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { findSopsConfig, readInputFile } from '../sops-files.js';

const usage = `Usage: tunnelbot encrypt FILE [--age RECIPIENT]... [--encrypted-regex RE] [--mac-only-encrypted]

Encrypts a YAML file with SOPS for age recipients and prints the result on stdout, like \`sops --encrypt\`.
The file itself is not changed.

Without --age, the recipients, the crypt rule, mac_only_encrypted and the YAML indent come from the nearest
.sops.yaml (searched from FILE's directory upwards), using the first creation rule whose path_regex matches FILE's
path relative to that .sops.yaml, as sops chooses it.

Options:
  --age RECIPIENT        age public key (age1...); repeat or comma-separate for several recipients
  --encrypted-regex RE   encrypt only values under keys matching RE, e.g. '^(data|stringData)$'
  --mac-only-encrypted   hash only encrypted values into the MAC (plain fields stay editable)
`;

function splitRecipients(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

export const encryptCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('encrypt', argv, {
      age: { type: 'string', multiple: true },
      'encrypted-regex': { type: 'string' },
      'mac-only-encrypted': { type: 'boolean' },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) {
      throw new TunnelbotError('TB_ERR_USAGE', 'needs exactly one FILE.', {
        fix: 'Run `tunnelbot encrypt --help` for the usage.',
      });
    }
    const absolute = resolve(io.cwd, file);
    const plaintext = readInputFile(absolute, file);
    const found = findSopsConfig(absolute);
    const flagRecipients = splitRecipients(values.age ?? []);
    const flagRule: CryptRule | undefined =
      values['encrypted-regex'] === undefined
        ? undefined
        : { kind: 'encrypted_regex', value: values['encrypted-regex'] };

    let options: EncryptOptions;
    if (flagRecipients.length > 0) {
      // Explicit recipients win; a matching creation rule still supplies the crypt rule and indent, as in sops.
      const matching = found ? findCreationRule(found.config, found.relativePath) : undefined;
      const rule = flagRule ?? matching?.rule;
      const indent = found?.config.indent;
      options = {
        recipients: flagRecipients,
        ...(rule ? { rule } : {}),
        macOnlyEncrypted: (values['mac-only-encrypted'] ?? false) || (matching?.macOnlyEncrypted ?? false),
        ...(indent === undefined ? {} : { indent }),
      };
    } else {
      if (!found) {
        throw new TunnelbotError(
          'TB_ERR_SOPS_NO_RECIPIENT',
          `No --age recipient was given and no .sops.yaml was found in the directory of ${file} or above.`,
        );
      }
      const selected = selectCreationRule(found.config, found.relativePath);
      const rule = flagRule ?? selected.rule;
      options = {
        recipients: selected.recipients,
        ...(rule ? { rule } : {}),
        macOnlyEncrypted: (values['mac-only-encrypted'] ?? false) || selected.macOnlyEncrypted,
        ...(selected.indent === undefined ? {} : { indent: selected.indent }),
      };
    }
    const encrypted = await encryptYaml(plaintext, { ...options, now: new Date(), fileName: file });
    io.stdout(encrypted);
    return 0;
  },
};
