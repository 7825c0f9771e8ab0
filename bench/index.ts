/** `npm run bench`: runs every benchmark module below in sequence; each prints its own figures. */
import { run as cliStartup } from './cli-startup.js';
import { run as cloudflareDns } from './cloudflare-dns.js';
import { run as cloudflaredEdit } from './cloudflared-edit.js';
import { run as doctor } from './doctor.js';
import { run as exposeRoundTrips } from './expose-round-trips.js';
import { run as fluxWebhook } from './flux-webhook.js';
import { run as githubPr } from './github-pr.js';
import { run as slackAck } from './slack-ack.js';
import { run as sops } from './sops.js';
import { run as webhooks } from './webhooks.js';

const benchmarks: Array<[name: string, run: () => Promise<void>]> = [
  ['cloudflared-edit', cloudflaredEdit],
  ['cloudflare-dns', cloudflareDns],
  ['sops', sops],
  ['github-pr', githubPr],
  ['flux-webhook', fluxWebhook],
  ['doctor', doctor],
  ['expose-round-trips', async () => void (await exposeRoundTrips())],
  ['slack-ack', async () => void (await slackAck())],
  ['webhooks', webhooks],
  ['cli-startup', cliStartup],
];

for (const [name, run] of benchmarks) {
  console.log(`== ${name}`);
  await run();
}
// A benchmark's stand-ins are gone by now; a client still retrying against them (octokit's backoff) must not keep
// the run from ending.
process.exit(0);
