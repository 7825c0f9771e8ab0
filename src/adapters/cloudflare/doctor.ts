import { checkTeamName, resolvePolicyIds } from '../../core/access.js';
import { asTunnelbotError } from '../../errors.js';
import type { DoctorCheck } from '../../core/doctor.js';
import { CloudflareAdapter, type CloudflareOptions, type Zone } from './index.js';

/** The doctor's own calls: a few seconds per attempt and one retry, so "cannot reach Cloudflare" comes within seconds. */
export const DOCTOR_CLOUDFLARE_TIMEOUT_MS = 5_000;
export const DOCTOR_CLOUDFLARE_RETRIES = 1;

function failed(name: string, error: unknown): DoctorCheck {
  const failure = asTunnelbotError(error);
  return { name, ok: false, detail: failure.message, fix: `${failure.fix} (${failure.code})` };
}

/**
 * The Cloudflare part of `tunnelbot doctor`: read-only probes, in the order a misconfiguration is usually found.
 * User and account-owned tokens both pass the first; a token Cloudflare rejects as either stops the run, since
 * every later probe would fail for the same reason.
 */
/** An environment that puts Cloudflare Access in front of its apps, as the settings describe it. */
export interface AccessExpectation {
  readonly environment: string;
  readonly teamName: string;
  readonly policies: readonly string[];
}

export async function checkCloudflare(
  clientOptions: CloudflareOptions,
  domains: string[],
  access: readonly AccessExpectation[] = [],
): Promise<DoctorCheck[]> {
  const options: CloudflareOptions = {
    ...clientOptions,
    timeoutMs: clientOptions.timeoutMs ?? DOCTOR_CLOUDFLARE_TIMEOUT_MS,
    maxRetries: clientOptions.maxRetries ?? DOCTOR_CLOUDFLARE_RETRIES,
  };
  const adapter = new CloudflareAdapter(options);
  const checks: DoctorCheck[] = [];

  try {
    const { status, owner } = await adapter.verifyToken();
    const ok = status === 'active';
    checks.push({
      name: 'Cloudflare API token',
      ok,
      detail: `the ${owner === 'account' ? `token, owned by account ${options.accountId},` : 'user token'} is ${status}`,
      ...(ok
        ? {}
        : { fix: 'Roll or re-create the token in the Cloudflare dashboard and set CLOUDFLARE_API_TOKEN.' }),
    });
    if (!ok) return checks;
  } catch (error) {
    checks.push(failed('Cloudflare API token', error));
    return checks;
  }

  try {
    const name = await adapter.getAccountName();
    checks.push({
      name: 'Cloudflare account',
      ok: true,
      detail: `account ${options.accountId} (${name}) is reachable`,
    });
  } catch (error) {
    checks.push(failed('Cloudflare account', error));
  }

  try {
    const tunnels = await adapter.listTunnels({ namePrefix: '' });
    checks.push({ name: 'Cloudflare tunnels', ok: true, detail: `${tunnels.length} tunnel(s) visible` });
  } catch (error) {
    checks.push(failed('Cloudflare tunnels', error));
  }

  for (const domain of domains) {
    const name = `DNS zone of ${domain}`;
    let zone: Zone;
    try {
      zone = await adapter.findZone(domain);
    } catch (error) {
      checks.push(failed(name, error));
      continue;
    }
    try {
      await adapter.probeDnsAccess(zone);
      checks.push({
        name,
        ok: true,
        detail: `zone ${zone.name} (${zone.id}) is visible and its DNS records readable`,
      });
    } catch (error) {
      checks.push(failed(name, error));
    }
  }
  if (access.length > 0) checks.push(...(await checkAccess(adapter, access)));
  return checks;
}

/**
 * The token may read Access policies and the organization, and each environment's team name and policies exist.
 * Creating and deleting applications needs the Edit permission, which no read-only probe can prove: the check
 * names it so the operator grants it.
 */
async function checkAccess(
  adapter: CloudflareAdapter,
  access: readonly AccessExpectation[],
): Promise<DoctorCheck[]> {
  let authDomain: string | null;
  let policies: { id: string; name: string }[];
  try {
    [authDomain, policies] = await Promise.all([adapter.getAccessAuthDomain(), adapter.listAccessPolicies()]);
  } catch (error) {
    return [failed('Cloudflare Access', error)];
  }
  const checks: DoctorCheck[] = [
    {
      name: 'Cloudflare Access',
      ok: true,
      detail: `${policies.length} reusable Access policy(ies) readable; making applications needs Account › Access: Apps and Policies › Edit`,
    },
  ];
  for (const expected of access) {
    const name = `Cloudflare Access for ${expected.environment}`;
    try {
      checkTeamName(expected.environment, expected.teamName, authDomain);
      resolvePolicyIds(expected.environment, expected.policies, policies);
      checks.push({
        name,
        ok: true,
        detail: `team ${expected.teamName}${expected.policies.length > 0 ? `, policies ${expected.policies.map((p) => `"${p}"`).join(', ')}` : ''} exist`,
      });
    } catch (error) {
      checks.push(failed(name, error));
    }
  }
  return checks;
}
