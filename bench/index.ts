/**
 * `npm run bench`: runs every benchmark module below in sequence (or those named as arguments); each prints its own
 * figures with their goals and records them in bench/results.json.
 */
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

// `npm run bench -- webhooks cli-startup` runs only those; no argument runs every one.
const only = process.argv.slice(2);
const unknown = only.filter((name) => !benchmarks.some(([known]) => known === name));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
for (const [name, run] of benchmarks) {
  if (only.length && !only.includes(name)) continue;
  console.log(`== ${name}`);
  await run();
}
// A benchmark's stand-ins are gone by now; a client still retrying against them (octokit's backoff) must not keep
// the run from ending.
process.exit(0);
