import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TunnelbotError } from '../errors.js';

/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A command's module; the registry (commands/index.ts) names it and loads it only when it runs. */
export interface CliCommand {
  /** Full usage text for `tunnelbot <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throw TunnelbotError for failures; the dispatcher prints them. */
  run(argv: string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors turned into TB_ERR_USAGE; the dispatcher prefixes the command's name. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new TunnelbotError('TB_ERR_USAGE', (error as Error).message, {
      fix: `Run \`tunnelbot ${command} --help\` for the usage.`,
    });
  }
}

/**
 * `--access VALUE` of the commands that ask for an exposure (`plan expose`, `expose`): protection is the default, and
 * the only thing a request may say about it is that it does without (`public`), as `access=public` does in Slack.
 */
export function accessOption(command: string, value: string | undefined): 'public' | undefined {
  if (value === undefined || value === 'public') return value;
  throw new TunnelbotError(
    'TB_ERR_USAGE',
    `--access takes only \`public\` (an app without Cloudflare Access), not "${value}".`,
    { fix: `Leave --access out to keep Access, or run \`tunnelbot ${command} --help\`.` },
  );
}
