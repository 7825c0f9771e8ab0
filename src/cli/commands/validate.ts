import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TunnelbotError } from '../../errors.js';
import {
  parseCloudflaredConfig,
  validateIngressRules,
  type ParsedCloudflaredConfig,
} from '../../gitops/cloudflared/index.js';
import { configMapConfigs } from '../../gitops/cloudflared-in-repo.js';
import { parseCommandArgs, type CliCommand, type CliIo } from '../command.js';

const UNUSED_KEYS_HEADER =
  'Warning: unused keys detected in your config file. Here is a list of unused keys:';

/**
 * Reads, parses and validates a config file for `validate` and `rule` as cloudflared does: unused keys are
 * warned about on stderr, the first invalid rule fails the command. A ConfigMap manifest holding the config (the
 * shape `plan` edits in shared mode) is read for the config inside it.
 */
export async function loadValidConfig(file: string, io: CliIo): Promise<ParsedCloudflaredConfig> {
  const text = await readConfigFile(file, io);
  const embedded = configMapConfigs(text, file);
  if (embedded.length > 1) {
    throw new TunnelbotError(
      'TB_ERR_USAGE',
      `${file} holds ${embedded.length} cloudflared configs (${embedded.map((config) => config.name).join(', ')}); name a file with one.`,
      { fix: 'Split the ConfigMaps into one file each, or validate the config.yaml files they come from.' },
    );
  }
  const [inConfigMap] = embedded;
  const config = parseCloudflaredConfig(inConfigMap?.text ?? text, inConfigMap?.name ?? file);
  printUnusedKeys(config.unusedKeys, io);
  const verdict = validateIngressRules(config.ingress, config.originRequest);
  if (!verdict.ok) {
    throw new TunnelbotError('TB_ERR_CLOUDFLARED_INVALID_CONFIG', `Validation failed: ${verdict.error}`, {
      details: { file },
    });
  }
  return config;
}

/** Reads a config file for `validate` and `rule`, naming the path when it cannot be read. */
async function readConfigFile(file: string, io: CliIo): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new TunnelbotError(
      'TB_ERR_FILE_READ',
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`,
      {
        cause: error,
      },
    );
  }
}

function printUnusedKeys(unusedKeys: readonly string[], io: CliIo): void {
  if (unusedKeys.length === 0) return;
  io.stderr(`${UNUSED_KEYS_HEADER}\n${unusedKeys.map((line) => `  ${line}`).join('\n')}\n`);
}

export const validateCommand: CliCommand = {
  usage: `Usage: tunnelbot validate FILE

FILE is a cloudflared config.yaml, or a Kubernetes ConfigMap manifest whose data holds one.
Checks the ingress rules of the config with the rules and messages of
\`cloudflared tunnel ingress validate\`, offline. Prints OK and exits 0, or prints the first
error and exits 1. Keys cloudflared ignores are listed on stderr as warnings.
`,
  async run(argv, io) {
    const { positionals } = parseCommandArgs('validate', argv, {});
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) {
      throw new TunnelbotError('TB_ERR_USAGE', 'expected exactly one argument, the config file', {
        fix: 'Run `tunnelbot validate path/to/config.yaml`.',
      });
    }
    await loadValidConfig(file, io);
    io.stdout('OK\n');
    return 0;
  },
};
