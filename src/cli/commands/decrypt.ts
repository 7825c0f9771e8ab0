import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TunnelbotError } from '../../errors.js';
import { decryptYaml, parseAgeIdentities } from '../../gitops/sops/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { readInputFile } from '../sops-files.js';

const usage = `Usage: tunnelbot decrypt FILE --identity AGE_KEY_FILE [--ignore-mac]

Decrypts a SOPS-encrypted YAML file and prints the plaintext on stdout, like \`sops --decrypt\`. The MAC is
verified; on any failure (wrong key, tampered value or MAC, malformed file) nothing is printed on stdout, the
reason goes to stderr and the exit code is 1.

Options:
  --identity FILE   age identity file (as written by age-keygen): one AGE-SECRET-KEY-1... or
                    AGE-SECRET-KEY-PQ-1... per line, '#' comments and blank lines ignored
  --ignore-mac      skip the integrity check, like sops --ignore-mac (values are still authenticated)
`;

function readIdentityFile(absolutePath: string, shownAs: string): string[] {
  let text: string;
  try {
    text = readFileSync(absolutePath, 'utf8');
  } catch (error) {
    throw new TunnelbotError(
      'TB_ERR_SOPS_IDENTITY',
      `Cannot read the identity file ${shownAs}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      { cause: error },
    );
  }
  return parseAgeIdentities(text, shownAs);
}

export const decryptCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('decrypt', argv, {
      identity: { type: 'string' },
      'ignore-mac': { type: 'boolean' },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0 || values.identity === undefined) {
      throw new TunnelbotError('TB_ERR_USAGE', 'needs exactly one FILE and --identity AGE_KEY_FILE.', {
        fix: 'Run `tunnelbot decrypt --help` for the usage.',
      });
    }
    const identities = readIdentityFile(resolve(io.cwd, values.identity), values.identity);
    const encrypted = readInputFile(resolve(io.cwd, file), file);
    const warnings: string[] = [];
    // Buffered: stdout gets the plaintext only once every value and the MAC have been checked.
    const plaintext = await decryptYaml(encrypted, {
      identities,
      verifyMac: values['ignore-mac'] !== true,
      fileName: file,
      onWarning: (message) => warnings.push(message),
    });
    for (const warning of warnings) io.stderr(`tunnelbot decrypt: warning: ${warning}\n`);
    io.stdout(plaintext);
    return 0;
  },
};
