import { TunnelbotError } from '../../errors.js';
import { createService, SHUTDOWN_BOUND_MS, type Service } from '../../main.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadServiceConfig, stderrLogger } from '../service-io.js';

const usage = `Usage: tunnelbot serve [--without-slack]

Runs the service: the Slack app (/expose, /unexpose, Approve & merge; Socket Mode with SLACK_BOT_TOKEN and
SLACK_APP_TOKEN, or SLACK_MODE=http with SLACK_SIGNING_SECRET and POST /slack/events), GET /healthz, GET /readyz,
GET /metrics (Prometheus), POST /webhooks/github (when GITHUB_WEBHOOK_SECRET is set), a poller of open tunnelbot
pull requests, and every ten minutes DNS reconciliation and orphan tunnel collection. A merged expose gets its
DNS record once its cloudflared has connected, and goes live in Slack then. With FLUX_WEBHOOK_TOKEN set,
POST /webhooks/flux takes Flux notification events, each a hint to look again at once (docs/flux.md). Listens on
PORT (8080). On SIGTERM or SIGINT it stops accepting, lets requests and the work they started finish for up to
${SHUTDOWN_BOUND_MS / 1000} s, closes the connections left and exits 0.

--without-slack runs everything but Slack, for teams that request through the command line
(tunnelbot expose, approve).
`;

async function listen(service: Service, port: number): Promise<void> {
  try {
    await service.start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new TunnelbotError('TB_ERR_PORT_IN_USE', `Port ${port} is already in use by another process.`, {
      cause: error,
    });
  }
}

export const serveCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs('serve', argv, {
      'without-slack': { type: 'boolean', default: false },
    });
    const slack = !values['without-slack'];
    const config = loadServiceConfig(io, { slack, github: true, cloudflare: true, repository: true });
    const logger = stderrLogger(io, config.logLevel);
    const service = await createService(
      slack ? config : { ...config, slack: { ...config.slack, botToken: '' } },
      logger,
    );
    let stop = (_signal: string) => {};
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      // A signal while Slack is still being reached stops the start too.
      await Promise.race([listen(service, config.port), stopped]);
      const signal = await stopped;
      logger.info({ signal, boundMs: SHUTDOWN_BOUND_MS }, 'shutting down');
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      await service.stop(SHUTDOWN_BOUND_MS);
    }
    logger.info('stopped');
    return 0;
  },
};
