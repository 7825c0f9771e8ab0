import type { CliCommand } from '../command.js';
import { decryptCommand } from './decrypt.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { encryptCommand } from './encrypt.js';
import { initCommand } from './init.js';
import { listCommand } from './list.js';
import { planCommand } from './plan.js';
import { reconcileCommand } from './reconcile.js';
import { ruleCommand } from './rule.js';
import { sandboxCommand } from './sandbox.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

/** Every CLI command, in the order `tunnelbot --help` lists them. */
export const commands: CliCommand[] = [
  serveCommand,
  planCommand,
  validateCommand,
  ruleCommand,
  encryptCommand,
  decryptCommand,
  doctorCommand,
  initCommand,
  reconcileCommand,
  listCommand,
  demoCommand,
  sandboxCommand,
];
