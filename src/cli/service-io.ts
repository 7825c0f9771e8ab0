import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type Config, type ConfigNeeds } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { CliIo } from './command.js';

/** Commands that talk to GitHub and Cloudflare read the same environment as `serve`. */
export function loadServiceConfig(io: CliIo, needs: ConfigNeeds): Readonly<Config> {
  return loadConfig(io.env, needs, (path) => readFileSync(resolve(io.cwd, path), 'utf8'));
}

/** Logs go to stderr so a command's stdout stays its result. */
export function stderrLogger(io: CliIo, level: string): Logger {
  return createLogger({ level }, { write: (line: string) => io.stderr(line) });
}

/** One-shot commands print their result; their logs stay at warn unless LOG_LEVEL asks for more detail. */
export function commandLogger(io: CliIo, config: Pick<Config, 'logLevel'>): Logger {
  return stderrLogger(io, config.logLevel === 'info' ? 'warn' : config.logLevel);
}
