import { TunnelbotError } from '../../errors.js';
import type * as SandboxDemoModule from '../../sandbox/demo.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { stderrLogger } from '../service-io.js';

type SandboxDemo = typeof SandboxDemoModule;

/**
 * The sandbox is loaded only when the demo runs: the container image ships production code only (no dist/sandbox,
 * no dev dependencies such as ws), and there the demo says so instead of failing on a missing module.
 */
export async function loadSandboxDemo(
  load: () => Promise<SandboxDemo> = () => import('../../sandbox/demo.js'),
): Promise<SandboxDemo> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new TunnelbotError(
      'TB_ERR_SANDBOX_UNAVAILABLE',
      'This installation of tunnelbot has no sandbox: `tunnelbot demo` needs the stand-ins and dev dependencies the production image leaves out.',
      { details: { missing: (error as Error).message.split('\n')[0] } },
    );
  }
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export const demoCommand: CliCommand = {
  usage: `Usage: tunnelbot demo [--keep]

Runs the real service (the Slack app over Socket Mode, the request service, the workflows) against local
stand-ins on 127.0.0.1: the project's Slack fake, a fake GitHub backed by a real git repository, and a fake
Cloudflare API, with Flux simulated. Alice types /expose linkding 9090, her own Approve is refused, Bob approves,
the request goes live, Alice unexposes it and Bob approves, and nothing is left behind. It prints the
conversation as people in Slack read it, the pull request's diff, and the final check. Needs git; no accounts,
no network.

  --keep   leave the fake Slack, GitHub and Cloudflare running and the repository on disk until Ctrl-C,
           and print where they are
`,
  async run(argv, io) {
    const { values } = parseCommandArgs('demo', argv, { keep: { type: 'boolean', default: false } });
    const { runDemo } = await loadSandboxDemo();
    await runDemo((line) => io.stdout(`${line}\n`), stderrLogger(io, 'warn'), {
      ...(values.keep && { keep: untilInterrupted }),
    });
    return 0;
  },
};
