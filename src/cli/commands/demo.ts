import { runDemo } from '../../sandbox/demo.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { stderrLogger } from '../service-io.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run expose -> approve -> live -> unexpose on this machine against local fakes (no accounts).',
  usage: `Usage: tunnelbot demo

Starts a fake GitHub (backed by a real git repository) and a fake Cloudflare API on 127.0.0.1, then runs the
request lifecycle through the same adapters and workflows as \`tunnelbot serve\`: Alice exposes linkding, Bob
approves, DNS follows the merge, Alice unexposes it, and nothing is left behind. Needs git. Slack is narrated:
the Slack transport is not built yet.
`,
  async run(argv, io) {
    parseCommandArgs('demo', argv, {});
    await runDemo((line) => io.stdout(`${line}\n`), stderrLogger(io, 'warn'));
    return 0;
  },
};
