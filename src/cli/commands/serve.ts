import { TunnelbotError } from '../../errors.js';
import { createService, SHUTDOWN_BOUND_MS, type Service } from '../../main.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { loadServiceConfig, stderrLogger } from '../service-io.js';

const usage = `Usage: tunnelbot serve

Runs the service: GET /healthz, GET /readyz, GET /metrics (Prometheus), POST /webhooks/github (when GITHUB_WEBHOOK_SECRET is set), a poller
of open tunnelbot pull requests (merged or closed ones update Cloudflare), and every ten minutes DNS
reconciliation and orphan tunnel collection. With FLUX_WEBHOOK_TOKEN set, POST /webhooks/flux takes Flux
notification events and a merged expose gets its DNS record when Flux reports it applied (docs/flux.md).
Listens on PORT (8080). On SIGTERM or SIGINT it stops accepting, lets requests and the work they started
finish for up to ${SHUTDOWN_BOUND_MS / 1000} s, closes the connections left and exits 0.

The Slack commands (/expose, /unexpose) are not part of this version yet; see README.md.
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
  name: 'serve',
  summary: 'Run the service: webhooks, PR polling, DNS reconciliation, orphan cleanup.',
  usage,
  async run(argv, io) {
    parseCommandArgs('serve', argv, {});
    const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: true, repository: true });
    const logger = stderrLogger(io, config.logLevel);
    const service = await createService(config, logger);
    await listen(service, config.port);
    const signal = await new Promise<string>((resolve) => {
      const stop = (name: string) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve(name);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    logger.info({ signal, boundMs: SHUTDOWN_BOUND_MS }, 'shutting down');
    await service.stop(SHUTDOWN_BOUND_MS);
    logger.info('stopped');
    return 0;
  },
};
