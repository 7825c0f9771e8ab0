import { main } from '../../src/cli.js';
import { captureIo } from './io.js';
import { recordArtefact } from './leak-scan.js';
import { serviceEnvironment } from './service.js';
import { ALICE, BOB, type World } from './world.js';

/** Runs `tunnelbot ARGS` in-process with `env` and returns what it printed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const io = captureIo();
  io.env = env;
  const code = await main(args, io);
  // `decrypt` prints the plaintext it was asked for; everything else tunnelbot prints is scanned.
  if (args[0] !== 'decrypt')
    recordArtefact(`the output of tunnelbot ${args[0] ?? ''}`, `${io.out}\n${io.err}`);
  return { code, out: io.out, err: io.err };
}

/** `serve`'s environment with a policy: Alice and Bob may request and approve, four-eyes on (the default). */
export function requestEnvironment(world: World): NodeJS.ProcessEnv {
  const people = `[${ALICE.slackUserId}, ${BOB.slackUserId}]`;
  return serviceEnvironment(
    world,
    {},
    `policy:\n  request: {users: ${people}}\n  approve: {users: ${people}}\n`,
  );
}

/** `tunnelbot expose linkding 9090` as Alice; returns the pull request number it printed. */
export async function exposeAsAlice(env: NodeJS.ProcessEnv): Promise<number> {
  const result = await runCli(
    ['expose', 'linkding', '9090', '--as', ALICE.slackUserId, '--name', 'Alice'],
    env,
  );
  const number = /Pull request #(\d+) is waiting for approval/.exec(result.out)?.[1];
  if (result.code !== 0 || number === undefined) {
    throw new Error(`expose failed (${result.code}): ${result.out}${result.err}`);
  }
  return Number(number);
}
