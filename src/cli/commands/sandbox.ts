import { TunnelbotError } from '../../errors.js';
import type * as SandboxModule from '../../sandbox/sandbox.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadServiceConfig, stderrLogger } from '../service-io.js';

const usage = `Usage: tunnelbot sandbox

Try tunnelbot in your Slack workspace before you connect GitHub and Cloudflare: runs the real service (the Slack
app, the request service, the workflows, the webhooks) with GitHub and Cloudflare replaced by local fakes (a real
git repository), seeded with a Flux repository: environment staging, zone example.com, apps linkding (Service port
9090) and whoami (port 80). Everyone may request and approve; four-eyes is on, so a second person approves. Flux is
simulated: a few seconds after each merge the sandbox reports it applied and the request goes live.

Slack comes from the environment, as for serve: SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode), or SLACK_MODE=http
with SLACK_SIGNING_SECRET (then Slack posts to PORT at /slack/events); SLACK_API_URL points elsewhere. PORT (8080)
serves /healthz and /readyz. Stop it with Ctrl-C; nothing it made outlives it.

Try: /expose linkding 9090, then ask a teammate to press Approve & merge; /expose list; /unexpose linkding.
`;

export const sandboxCommand: CliCommand = {
  usage,
  async run(argv, io) {
    parseCommandArgs('sandbox', argv, {});
    const config = loadServiceConfig(io, { slack: true, github: false, cloudflare: false });
    const logger = stderrLogger(io, config.logLevel);
    let sandboxModule: typeof SandboxModule;
    try {
      sandboxModule = await import('../../sandbox/sandbox.js');
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
      throw new TunnelbotError(
        'TB_ERR_SANDBOX_UNAVAILABLE',
        'This installation of tunnelbot has no sandbox: `tunnelbot sandbox` needs the stand-ins the production image leaves out.',
      );
    }
    const sandbox = await sandboxModule.startSandbox({
      slack: config.slack,
      logger,
      port: config.port,
      host: '0.0.0.0',
    });
    io.stdout(
      [
        'tunnelbot sandbox is running: GitHub and Cloudflare are local fakes, Slack is real.',
        `  Slack: ${config.slack.mode === 'socket' ? 'Socket Mode' : `HTTP mode, Request URL ${sandbox.url}/slack/events`}`,
        `  GitOps repository (fake GitHub): ${sandbox.github.url}  (a real git repository: ${sandbox.github.repoPath})`,
        `  health: ${sandbox.url}/healthz, ${sandbox.url}/readyz`,
        '  environment staging, zone example.com, apps linkding (port 9090) and whoami (port 80)',
        '',
        'In Slack, invite the bot to a channel and type: /expose linkding 9090',
        'A second person presses Approve & merge; a few seconds later the request is live.',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await sandbox.stop();
    return 0;
  },
};
