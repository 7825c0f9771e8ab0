/**
 * The part of the Cloudflare SDK tunnelbot uses: a client with only the resources the adapter calls, and the SDK's
 * error classes. `import Cloudflare from 'cloudflare'` loads every resource of the whole API (about 1,200 modules,
 * some 50 MiB and seconds of start-up); the SDK's tree-shakable client still imports them all through its client
 * module, so `npm run build` bundles this one file with esbuild (dist/adapters/cloudflare/sdk.js), which keeps only
 * what is reachable from here. Run from the sources (tsx, the tests) it is the same SDK code, loaded whole.
 *
 * The error classes must come from here, not from 'cloudflare': in the bundle the client throws its own copies.
 */
import type { ClientOptions } from 'cloudflare';
import { createClient } from 'cloudflare/tree-shakable';
import { BaseAccounts } from 'cloudflare/resources/accounts/accounts';
import { BaseTokens as BaseAccountTokens } from 'cloudflare/resources/accounts/tokens/tokens';
import { BaseRecords } from 'cloudflare/resources/dns/records';
import { BaseTokens as BaseUserTokens } from 'cloudflare/resources/user/tokens/tokens';
import { BaseApplications } from 'cloudflare/resources/zero-trust/access/applications/applications';
import { BasePolicies as BaseApplicationPolicies } from 'cloudflare/resources/zero-trust/access/applications/policies';
import { BasePolicies as BaseAccessPolicies } from 'cloudflare/resources/zero-trust/access/policies';
import { BaseOrganizations } from 'cloudflare/resources/zero-trust/organizations/organizations';
import { BaseCloudflared } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/cloudflared';
import { BaseConnections } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/connections';
import { BaseToken as BaseTunnelToken } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/token';
import { BaseZones } from 'cloudflare/resources/zones/zones';

export { APIConnectionError, APIConnectionTimeoutError, APIError } from 'cloudflare/error';

/** A client with exactly the resources the adapter calls; a call to any other is a type error. */
export function createCloudflareClient(options: ClientOptions) {
  return createClient({
    ...options,
    resources: [
      BaseAccounts,
      BaseAccountTokens,
      BaseUserTokens,
      BaseRecords,
      BaseApplications,
      BaseApplicationPolicies,
      BaseAccessPolicies,
      BaseOrganizations,
      BaseCloudflared,
      BaseConnections,
      BaseTunnelToken,
      BaseZones,
    ],
  });
}

export type CloudflareClient = ReturnType<typeof createCloudflareClient>;
