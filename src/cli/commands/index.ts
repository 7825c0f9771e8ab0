import type { CliCommand } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { encryptCommand } from './encrypt.js';

/** Every CLI command, in the order `tunnelbot --help` lists them. */
export const commands: CliCommand[] = [encryptCommand, decryptCommand];
