import { createService } from '../../main.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadServiceConfig, stderrLogger } from '../service-io.js';

const usage = `Usage: tunnelbot serve

Runs the service: GET /healthz, GET /readyz, GET /metrics (Prometheus), POST /webhooks/github (when GITHUB_WEBHOOK_SECRET is set), a poller
of open tunnelbot pull requests (merged or closed ones update Cloudflare), and every ten minutes DNS
reconciliation and orphan tunnel collection. With FLUX_WEBHOOK_TOKEN set, POST /webhooks/flux takes Flux
notification events and a merged expose gets its DNS record when Flux reports it applied (docs/flux.md).
Listens on PORT (8080). Stops cleanly on SIGTERM or SIGINT.

The Slack commands (/expose, /unexpose) are not part of this version yet; see README.md.
`;

export const serveCommand: CliCommand = {
  usage,
  async run(argv, io) {
    parseCommandArgs('serve', argv, {});
    const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: true });
    const logger = stderrLogger(io, config.logLevel);
    const service = await createService(config, logger);
    await service.start();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    logger.info('shutting down');
    await service.stop();
    return 0;
  },
};
