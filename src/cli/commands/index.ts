import type { CliCommand } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { encryptCommand } from './encrypt.js';
import { planCommand } from './plan.js';
import { ruleCommand } from './rule.js';
import { validateCommand } from './validate.js';

/** Every CLI command, in the order `tunnelbot --help` lists them. */
export const commands: CliCommand[] = [
  planCommand,
  validateCommand,
  ruleCommand,
  encryptCommand,
  decryptCommand,
];
