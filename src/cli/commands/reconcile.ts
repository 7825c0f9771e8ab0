import { createContext } from '../../main.js';
import { collectOrphans, reconcileDns } from '../../workflows/reconcile.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { commandLogger, loadServiceConfig } from '../service-io.js';

const usage = `Usage: tunnelbot reconcile [--dry-run] [--orphans]

Makes Cloudflare DNS follow the GitOps repository's default branch, as \`serve\` does after every merge: a
proxied CNAME for every hostname a tunnelbot-managed tunnel config routes, records tunnelbot owns that nothing
routes any more deleted. Records tunnelbot does not own are never changed; they are reported as conflicts.

  --dry-run   print the plan and change nothing
  --orphans   also delete tunnels with the name prefix that neither the default branch nor an open pull
              request references (after a one-hour grace period)

Reads the same environment as \`tunnelbot serve\` (GitHub and Cloudflare credentials, TUNNELBOT_SETTINGS).
`;

export const reconcileCommand: CliCommand = {
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs('reconcile', argv, {
      'dry-run': { type: 'boolean', default: false },
      orphans: { type: 'boolean', default: false },
    });
    const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: true });
    const logger = commandLogger(io, config);
    const context = createContext(config, logger);
    const { desired, dns, access } = await reconcileDns(context, { dryRun: values['dry-run'] });
    for (const warning of desired.warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(dns.text);
    if (values.orphans && !values['dry-run']) {
      const report = await collectOrphans(context, { desired, ...(access && { accessInventory: access }) });
      for (const deleted of report.deleted)
        io.stdout(`deleted orphan tunnel ${deleted.name} (${deleted.id}): ${deleted.reason}\n`);
      for (const running of report.running)
        io.stdout(
          `kept orphan tunnel ${running.name} (${running.id}): cloudflared is still connected (${running.activeConnectors} active connector(s)); stop it to let tunnelbot delete the tunnel\n`,
        );
      for (const failed of report.failed)
        io.stderr(`could not delete tunnel ${failed.name} (${failed.id}): ${failed.message}\n`);
      for (const deleted of report.access?.deleted ?? [])
        io.stdout(`deleted orphan Access application ${deleted.name} (${deleted.id}): ${deleted.reason}\n`);
      for (const failed of report.access?.failed ?? [])
        io.stderr(`could not delete Access application ${failed.name} (${failed.id}): ${failed.message}\n`);
      if (report.failed.length > 0 || (report.access?.failed.length ?? 0) > 0) return 1;
    }
    return dns.plan.conflicts.length > 0 || dns.zoneFailures.length > 0 ? 1 : 0;
  },
};
