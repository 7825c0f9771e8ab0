import { createRequire } from 'node:module';
import { asTunnelbotError } from './errors.js';
import type { CliIo } from './cli/command.js';
import { commands, type CommandEntry } from './cli/commands/index.js';

function globalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'tunnelbot: expose internal Kubernetes apps through Cloudflare Tunnels, reviewed in Slack, applied by Flux.',
    '',
    'Usage: tunnelbot <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tunnelbot <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(globalHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    io.stdout(`${pkg.version}\n`);
    return 0;
  }
  const entry: CommandEntry | undefined = commands.find((candidate) => candidate.name === name);
  if (!entry) {
    io.stderr(`tunnelbot: unknown command "${name}".\n\n${globalHelp()}`);
    return 1;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`${command.usage.trimEnd()}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (thrown) {
    const error = asTunnelbotError(thrown);
    io.stderr(`tunnelbot ${name}: ${error.toUserText()}\n`);
    return 1;
  }
}
