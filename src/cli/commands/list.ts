import { protectionLabel } from '../../core/access.js';
import { createContext } from '../../main.js';
import { listExposed, type Listing } from '../../workflows/list.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { commandLogger, loadServiceConfig } from '../service-io.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderListing(listing: Listing): string {
  const lines: string[] = [];
  if (listing.exposed.length === 0) {
    lines.push('Nothing is exposed on the default branch.');
  } else {
    const rows = [['ENVIRONMENT', 'APP', 'HOSTNAME', 'PROTECTION', 'TUNNEL', 'STATUS', 'CONNECTORS']];
    for (const app of listing.exposed) {
      const health = 'error' in app.health ? undefined : app.health;
      rows.push([
        app.environment,
        app.app ?? '(shared)',
        app.hostname,
        protectionLabel(app.access, app.policies),
        app.tunnelId,
        health?.status ?? 'unreadable',
        health ? String(health.connectors) : '-',
      ]);
    }
    lines.push(table(rows));
  }
  for (const app of listing.exposed) {
    if ('error' in app.health) lines.push(`! ${app.hostname}: ${app.health.error}`);
  }
  if (listing.pending.length > 0) {
    lines.push('', 'Waiting for approval:');
    for (const pr of listing.pending) {
      const what = pr.metadata
        ? `${pr.metadata.action} ${pr.metadata.app} (${pr.metadata.environment}) ${pr.metadata.hostname}`
        : pr.title;
      lines.push(`  #${pr.number} ${what}  ${pr.url}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const listCommand: CliCommand = {
  usage: `Usage: tunnelbot list

Lists what the GitOps repository's default branch exposes (environment, app, hostname, protection, tunnel) with each
tunnel's health as Cloudflare reports it (inactive: never connected, healthy, degraded, down) and its number of
cloudflared connectors, then the open tunnelbot pull requests. Read-only. Reads the same environment as
\`tunnelbot serve\`. PROTECTION is what cloudflared enforces from the rule in git: \`access\` with the policies the
environment's settings name (or its include rules), or PUBLIC when requests need no Access token.
`,
  async run(argv, io) {
    parseCommandArgs('list', argv, {});
    const config = loadServiceConfig(io, { slack: false, github: true, cloudflare: true });
    const context = createContext(config, commandLogger(io, config));
    const listing = await listExposed(context);
    for (const warning of listing.warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(renderListing(listing));
    return 0;
  },
};
