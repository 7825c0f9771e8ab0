import type { CliCommand } from '../command.js';

export interface CommandEntry {
  readonly name: string;
  /** One line for `tunnelbot --help`. */
  readonly summary: string;
  /**
   * Loaded only when the command runs (or its --help is asked for): importing every command at start-up pulled in
   * Octokit, the Cloudflare SDK, fastify and Bolt before `--help` could answer.
   */
  readonly load: () => Promise<CliCommand>;
}

/** Every CLI command, in the order `tunnelbot --help` lists them. */
export const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'Run the service: Slack, webhooks, PR polling, DNS reconciliation, orphan cleanup.',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'expose',
    summary: 'Ask for an app to be exposed: opens the pull request, as /expose does (--as USER_ID).',
    load: async () => (await import('./expose.js')).exposeCommand,
  },
  {
    name: 'unexpose',
    summary: 'Ask for an exposed app to be removed: opens the inverse pull request (--as USER_ID).',
    load: async () => (await import('./unexpose.js')).unexposeCommand,
  },
  {
    name: 'approve',
    summary: 'Approve and merge a request pull request under the policy (four-eyes) (--as USER_ID).',
    load: async () => (await import('./approve.js')).approveCommand,
  },
  {
    name: 'reject',
    summary: 'Reject a request pull request: close it, delete its branch and tunnel (--as USER_ID).',
    load: async () => (await import('./reject.js')).rejectCommand,
  },
  {
    name: 'list',
    summary: 'List exposed apps with their tunnel health, and the requests waiting for approval.',
    load: async () => (await import('./list.js')).listCommand,
  },
  {
    name: 'plan',
    summary: 'Write the change of an /expose or /unexpose into a local checkout (no network).',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    name: 'validate',
    summary: 'Check a cloudflared config.yaml like `cloudflared tunnel ingress validate`.',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    name: 'rule',
    summary: 'Show which ingress rule of a cloudflared config.yaml serves a URL.',
    load: async () => (await import('./rule.js')).ruleCommand,
  },
  {
    name: 'encrypt',
    summary: 'Encrypt a YAML file with SOPS/age and print it (recipients from --age or .sops.yaml).',
    load: async () => (await import('./encrypt.js')).encryptCommand,
  },
  {
    name: 'decrypt',
    summary: 'Decrypt a SOPS/age YAML file, verify its MAC and print the plaintext.',
    load: async () => (await import('./decrypt.js')).decryptCommand,
  },
  {
    name: 'doctor',
    summary: 'Check the settings, GitHub access and the Cloudflare token and permissions (read-only).',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'init',
    summary: 'Ready a Flux repository for tunnelbot (SOPS, Flux notifications, tunnels directory, settings).',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    name: 'reconcile',
    summary: 'Converge Cloudflare DNS to the default branch (--dry-run prints the plan).',
    load: async () => (await import('./reconcile.js')).reconcileCommand,
  },
  {
    name: 'demo',
    summary:
      'Watch /expose -> approve -> live -> /unexpose in a local Slack, GitHub and Cloudflare (no accounts).',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'sandbox',
    summary: 'Try tunnelbot in your Slack workspace with GitHub and Cloudflare simulated locally.',
    load: async () => (await import('./sandbox.js')).sandboxCommand,
  },
];
