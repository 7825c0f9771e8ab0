import { createService } from '../../main.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadServiceConfig, stderrLogger } from '../service-io.js';

const usage = `Usage: tunnelbot serve [--without-slack]

Runs the service: the Slack app (/expose, /unexpose, Approve & merge; Socket Mode with SLACK_BOT_TOKEN and
SLACK_APP_TOKEN, or SLACK_MODE=http with SLACK_SIGNING_SECRET and POST /slack/events), GET /healthz, GET /readyz,
GET /metrics (Prometheus), POST /webhooks/github (when GITHUB_WEBHOOK_SECRET is set), a poller of open tunnelbot
pull requests, and every ten minutes DNS reconciliation and orphan tunnel collection. With FLUX_WEBHOOK_TOKEN set,
POST /webhooks/flux takes Flux notification events and a merged expose goes live when Flux reports it applied
(docs/flux.md). Listens on PORT (8080). Stops cleanly on SIGTERM or SIGINT.

--without-slack runs everything but Slack, for teams that request through the command line
(tunnelbot expose, approve).
`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the service: Slack, webhooks, PR polling, DNS reconciliation, orphan cleanup.',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs('serve', argv, {
      'without-slack': { type: 'boolean', default: false },
    });
    const slack = !values['without-slack'];
    const config = loadServiceConfig(io, { slack, github: true, cloudflare: true });
    const logger = stderrLogger(io, config.logLevel);
    const service = await createService(
      slack ? config : { ...config, slack: { ...config.slack, botToken: '' } },
      logger,
    );
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    try {
      await Promise.race([service.start(), stopped]);
      await stopped;
    } finally {
      logger.info('shutting down');
      await service.stop();
    }
    return 0;
  },
};
