import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { TunnelbotError } from '../errors.js';
import { parseSopsConfig, SOPS_CONFIG_FILE, type SopsConfig } from '../gitops/sops/index.js';

/** Reads a file named on the command line; failures name the path the user typed. */
export function readInputFile(absolutePath: string, shownAs: string): string {
  try {
    return readFileSync(absolutePath, 'utf8');
  } catch (error) {
    throw new TunnelbotError(
      'TB_ERR_FILE_READ',
      `Cannot read ${shownAs}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      {
        cause: error,
      },
    );
  }
}

export interface FoundSopsConfig {
  readonly config: SopsConfig;
  /** The target's path relative to the config's directory, with `/` separators, as sops matches `path_regex`. */
  readonly relativePath: string;
}

/** sops stops looking after 100 parent directories. */
const MAX_CONFIG_DEPTH = 100;

/** The nearest `.sops.yaml` walking up from the target's directory, parsed, or undefined when there is none. */
export function findSopsConfig(absoluteTarget: string): FoundSopsConfig | undefined {
  let directory = dirname(absoluteTarget);
  for (let depth = 0; depth < MAX_CONFIG_DEPTH; depth += 1) {
    const candidate = join(directory, SOPS_CONFIG_FILE);
    if (existsSync(candidate)) {
      const config = parseSopsConfig(readInputFile(candidate, candidate), candidate);
      return { config, relativePath: relative(directory, absoluteTarget).split(sep).join('/') };
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
  return undefined;
}
