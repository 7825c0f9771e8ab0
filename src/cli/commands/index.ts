import type { CliCommand } from '../command.js';
import { ruleCommand } from './rule.js';
import { validateCommand } from './validate.js';

/** Every CLI command, in the order `tunnelbot --help` lists them. */
export const commands: CliCommand[] = [validateCommand, ruleCommand];
