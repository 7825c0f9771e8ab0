import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TunnelbotError } from '../errors.js';

/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  name: string;
  /** One line for `tunnelbot --help`. */
  summary: string;
  /** Full usage text for `tunnelbot <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw TunnelbotError for failures; the dispatcher prints them. */
  run(argv: string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors turned into TB_ERR_USAGE naming the command. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new TunnelbotError('TB_ERR_USAGE', `tunnelbot ${command}: ${(error as Error).message}`, {
      fix: `Run \`tunnelbot ${command} --help\` for the usage.`,
    });
  }
}
