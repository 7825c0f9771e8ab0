import { randomBytes } from 'node:crypto';
import type Cloudflare from 'cloudflare';
import type { CloudflareTunnel } from 'cloudflare/resources/shared';
import type { RecordResponse } from 'cloudflare/resources/dns/records';
import type { AccessIncludeRule } from '../../core/access.js';
import { isTunnelId } from '../../core/names.js';
import { isTunnelbotError, TunnelbotError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  isOwnedRecord,
  liveHostnames,
  normalizeHostname,
  planDns,
  renderDnsPlan,
  tunnelsToProbe,
  tunnelTarget,
  type AccessGate,
  type DesiredHostname,
  type DnsPlan,
  type DnsRecord,
  type DnsRecordSpec,
} from '../../core/dns-plan.js';
import { collectOrphanTunnels, type OrphanDecision } from '../../core/orphan-tunnels.js';
import { cloudflareCodes, isNotFound, PERMISSION, toTunnelbotError, type CallContext } from './errors.js';
import { collectPages } from './pagination.js';
import { createCloudflareClient, type CloudflareClient } from './sdk.js';

export interface CloudflareOptions {
  apiToken: string;
  accountId: string;
  /** Defaults to the public API; the composition root passes CLOUDFLARE_BASE_URL here (fakes, the demo). */
  baseURL?: string;
  /** Retries of the SDK for 408/409/429/5xx and connection errors; 2 when not given. */
  maxRetries?: number;
  /** Per attempt; 30 s when not given. */
  timeoutMs?: number;
  logger: Logger;
  /** The `api-version` header; pinned in tests, the SDK sends today's date otherwise. */
  apiVersion?: string;
  /** Milliseconds since the epoch; the zone cache ages by it. Tests pass their own. */
  clock?: () => number;
}

/** The credentials file cloudflared reads (keys exactly as Go's json.Marshal writes them, Endpoint included). */
export interface TunnelCredentials {
  AccountTag: string;
  TunnelSecret: string;
  TunnelID: string;
  Endpoint: string;
}

export type TunnelStatus = 'inactive' | 'degraded' | 'healthy' | 'down';

/** What Cloudflare says of the API token, and whether a user or the account owns it. */
export interface TokenVerification {
  status: string;
  owner: 'user' | 'account';
}

export interface TunnelSummary {
  id: string;
  name: string;
  createdAt: string;
  deletedAt: string | null;
  status: TunnelStatus | 'unknown';
}

export interface TunnelHealth {
  id: string;
  name: string;
  status: TunnelStatus | 'unknown';
  /** cloudflared processes (replicas) attached to the tunnel. */
  connectors: number;
  /** Connectors holding at least one live edge connection: cloudflared runs. */
  activeConnectors: number;
  /** Edge connections over all connectors; a healthy connector holds four. */
  connections: number;
}

/** A self-hosted Access application as tunnelbot reads it. */
export interface AccessApplication {
  id: string;
  name: string;
  domain: string;
  /** The Application Audience tag cloudflared checks tokens against. */
  aud: string;
  /** ISO timestamp from Cloudflare's `created_at`; '' when the answer had none. */
  createdAt: string;
  /** The policies as the application lists them, in precedence order. */
  policies: AccessApplicationPolicy[];
}

/** One policy of an application: a reusable one linked to it, or the application's own. */
export interface AccessApplicationPolicy {
  id: string;
  name: string;
  include: unknown[];
}

export interface Zone {
  id: string;
  name: string;
}

export interface DnsApplyReport {
  created: DnsRecord[];
  updated: DnsRecord[];
  deleted: DnsRecord[];
  /** Zones whose changes stopped at a zone-level error; the other zones' changes were made. */
  zoneFailures: ZoneFailure[];
}

/**
 * A zone that is gone or that the token no longer covers (Cloudflare answers 403 or 404 on it). Its hostnames are
 * left out of the convergence; every other zone converges.
 */
export interface ZoneFailure {
  zone: string;
  zoneId: string;
  /** Desired hostnames in the zone, left as they were. */
  hostnames: string[];
  code: string;
  message: string;
}

export interface DnsConvergence {
  plan: DnsPlan;
  /** The plan as text, what a dry run prints. */
  text: string;
  /** Desired hostnames that are in no zone of the account, left out of the plan. */
  unroutable: { hostname: string; reason: string }[];
  /** Zones that could not be read or changed (see ZoneFailure), from the read and the apply. */
  zoneFailures: ZoneFailure[];
  /**
   * Desired hostnames whose record points at their running tunnel once the plan is applied: what visitors reach.
   * Hostnames waiting for a connector, in conflict, unroutable or in a failed zone are not in it.
   */
  live: string[];
  /** What was done; null for a dry run. */
  applied: DnsApplyReport | null;
}

export interface PurgeReport {
  tunnelId: string;
  /** Our records that pointed at the tunnel, deleted before the tunnel. */
  deletedRecords: DnsRecord[];
}

export interface OrphanReport {
  deleted: (OrphanDecision & { deletedRecords: DnsRecord[] })[];
  kept: OrphanDecision[];
  /** Unreferenced, but cloudflared still runs for them: never deleted, reported so a person can look. */
  running: (OrphanDecision & { activeConnectors: number })[];
  failed: (OrphanDecision & { code: string; message: string })[];
}

const DEFAULT_BASE_URL = 'https://api.cloudflare.com/client/v4';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;
/** Cloudflare's DNS page size is documented up to 100 for certain; larger values are not relied upon. */
const DNS_PAGE_SIZE = 100;
/** `GET /zones` allows at most 50 per page. */
const ZONE_PAGE_SIZE = 50;
const TUNNEL_PAGE_SIZE = 100;
/**
 * How long the zone list is trusted. A zone added to the account (or to the token) becomes routable within this
 * without a restart; a zone-level error on any call refreshes it at once.
 */
export const ZONE_CACHE_MS = 10 * 60 * 1000;
/**
 * Up to this many desired hostnames in one zone are looked up one `name.exact` request each; beyond it one
 * paginated scan of the whole zone is used, which costs one request per 100 records however many names there are.
 */
const PER_NAME_LOOKUP_LIMIT = 20;

const TUNNEL_SECRET_BYTES = 32;
const ACCESS_PAGE_SIZE = 100;

function toAccessApplication(raw: unknown): AccessApplication {
  const app = (raw ?? {}) as Record<string, unknown>;
  return {
    id: String(app['id'] ?? ''),
    name: String(app['name'] ?? ''),
    domain: normalizeHostname(String(app['domain'] ?? '')),
    aud: String(app['aud'] ?? ''),
    createdAt: typeof app['created_at'] === 'string' ? app['created_at'] : '',
    policies: (Array.isArray(app['policies']) ? app['policies'] : []).map((raw: unknown) => {
      const policy = (raw ?? {}) as Record<string, unknown>;
      return {
        id: String(policy['id'] ?? ''),
        name: String(policy['name'] ?? ''),
        include: Array.isArray(policy['include']) ? (policy['include'] as unknown[]) : [],
      };
    }),
  };
}

function isTunnelStatus(value: unknown): value is TunnelStatus {
  return value === 'inactive' || value === 'degraded' || value === 'healthy' || value === 'down';
}

function toSummary(tunnel: CloudflareTunnel): TunnelSummary {
  return {
    id: tunnel.id ?? '',
    name: tunnel.name ?? '',
    createdAt: tunnel.created_at ?? '',
    deletedAt: tunnel.deleted_at ?? null,
    status: isTunnelStatus(tunnel.status) ? tunnel.status : 'unknown',
  };
}

function toDnsRecord(raw: RecordResponse, zoneId: string): DnsRecord {
  const record = raw as unknown as Record<string, unknown>;
  return {
    id: String(record['id'] ?? ''),
    zoneId,
    type: String(record['type'] ?? ''),
    name: normalizeHostname(String(record['name'] ?? '')),
    content: String(record['content'] ?? ''),
    proxied: record['proxied'] === true,
    ttl: typeof record['ttl'] === 'number' ? record['ttl'] : 1,
    comment: typeof record['comment'] === 'string' && record['comment'].length > 0 ? record['comment'] : null,
  };
}

type ConnectorClient = Cloudflare.ZeroTrust.Tunnels.Cloudflared.Client;

/** A connector counts as running while one of its edge connections is up (not waiting to reconnect). */
function isActiveConnector(client: ConnectorClient): boolean {
  return (client.conns ?? []).some((conn) => conn.is_pending_reconnect !== true);
}

function validateTunnelName(name: string): void {
  if (name.trim().length === 0) {
    throw new TunnelbotError('TB_ERR_CLOUDFLARE_TUNNEL_NAME', 'The tunnel name is empty.');
  }
  if (isTunnelId(name)) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARE_TUNNEL_NAME',
      `The tunnel name "${name}" looks like a UUID; cloudflared cannot tell such a name from a tunnel id.`,
    );
  }
}

/**
 * Decodes a tunnel run token into a credentials file, as cloudflared's `TunnelToken.Credentials()` does: base64
 * JSON `{a, t, s, e?}`, where `e` (omitted when empty) is the edge endpoint a tunnel outside the default region
 * (e.g. FedRAMP) must connect to, so it is carried into `Endpoint`. The token itself is a secret: it never
 * appears in an error message.
 */
export function credentialsFromToken(token: string, expectedTunnelId: string): TunnelCredentials {
  const invalid = (why: string) =>
    new TunnelbotError(
      'TB_ERR_CLOUDFLARE_TOKEN_FORMAT',
      `The run token Cloudflare returned for tunnel ${expectedTunnelId} is unusable: ${why}.`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid('it is not base64-encoded JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid('it is not a JSON object');
  const { a, t, s, e } = parsed as Record<string, unknown>;
  if (typeof a !== 'string' || typeof t !== 'string' || typeof s !== 'string') {
    throw invalid('the fields a, t and s are not all strings');
  }
  if (e !== undefined && typeof e !== 'string') throw invalid('its endpoint (e) is not a string');
  if (t.toLowerCase() !== expectedTunnelId.toLowerCase()) throw invalid(`it names another tunnel (${t})`);
  if (Buffer.from(s, 'base64').length < TUNNEL_SECRET_BYTES)
    throw invalid('its secret is shorter than 32 bytes');
  return { AccountTag: a, TunnelSecret: s, TunnelID: t, Endpoint: e ?? '' };
}

/**
 * tunnelbot's only door to Cloudflare: tunnels, zones and DNS records through the official SDK. Every failure
 * comes out as a TunnelbotError; retries of 429/5xx/timeouts are the SDK's (it honours `retry-after`).
 */
export class CloudflareAdapter {
  private readonly client: CloudflareClient;
  private readonly accountId: string;
  private readonly logger: Logger;
  private zones: { readonly list: Promise<Zone[]>; readonly listedAt: number } | null = null;
  private readonly clock: () => number;

  constructor(options: CloudflareOptions) {
    this.accountId = options.accountId;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    const log = options.logger;
    this.client = createCloudflareClient({
      apiToken: options.apiToken,
      // Passed explicitly (null) so the SDK does not pick other credentials up from process.env.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: options.baseURL ?? DEFAULT_BASE_URL,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.apiVersion === undefined ? {} : { apiVersion: options.apiVersion }),
      logLevel: 'info',
      // Only the SDK's message line is forwarded: its detail objects carry request options we do not want in logs.
      logger: {
        error: (message: string) => log.error({ component: 'cloudflare-sdk' }, message),
        warn: (message: string) => log.warn({ component: 'cloudflare-sdk' }, message),
        info: (message: string) => log.debug({ component: 'cloudflare-sdk' }, message),
        debug: () => undefined,
      },
    });
  }

  private async call<T>(context: CallContext, run: () => PromiseLike<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toTunnelbotError(error, context);
    }
  }

  // --- tunnels ---

  /**
   * Creates a locally managed tunnel with a secret generated here, so the credentials file can be written without
   * asking Cloudflare for it. The create call is never retried by the SDK (it would retry the 409 of a taken name);
   * when its outcome is unknown or the name is taken, the live tunnel of that name is adopted if its credentials
   * can be recovered through the token endpoint.
   */
  async createTunnel(
    name: string,
  ): Promise<{ id: string; name: string; credentials: TunnelCredentials; adopted: boolean }> {
    validateTunnelName(name);
    const secret = randomBytes(TUNNEL_SECRET_BYTES).toString('base64');
    const context = { action: `create tunnel "${name}"`, permission: PERMISSION.tunnel };
    try {
      const created = await this.client.zeroTrust.tunnels.cloudflared.create(
        { account_id: this.accountId, name, config_src: 'local', tunnel_secret: secret },
        { maxRetries: 0 },
      );
      const id = created.id;
      if (!id) {
        throw new TunnelbotError(
          'TB_ERR_CLOUDFLARE_UPSTREAM',
          `Cloudflare created tunnel "${name}" but returned no id.`,
        );
      }
      this.logger.info({ tunnelId: id, tunnelName: name }, 'created Cloudflare tunnel');
      return {
        id,
        name,
        credentials: {
          AccountTag: created.account_tag ?? this.accountId,
          TunnelSecret: secret,
          TunnelID: id,
          Endpoint: '',
        },
        adopted: false,
      };
    } catch (error) {
      const failure = toTunnelbotError(error, context);
      const nameTaken = failure.code === 'TB_ERR_CLOUDFLARE_TUNNEL_EXISTS';
      if (!nameTaken && failure.kind !== 'upstream') throw failure;
      return this.adoptAfterFailedCreate(name, secret, failure);
    }
  }

  private async adoptAfterFailedCreate(name: string, secret: string, failure: TunnelbotError) {
    let existing: TunnelSummary | undefined;
    try {
      existing = await this.findLiveTunnelByName(name);
    } catch (lookupError) {
      throw new TunnelbotError(
        failure.code,
        `${failure.message} Whether the tunnel was created is unknown; the orphan collector deletes it if it is never used.`,
        { cause: lookupError, details: failure.details },
      );
    }
    if (!existing) throw failure;
    let credentials: TunnelCredentials;
    try {
      credentials = await this.recoverCredentials(existing.id);
    } catch (recoverError) {
      const why = recoverError instanceof TunnelbotError ? recoverError.message : 'unknown error';
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_TUNNEL_EXISTS',
        `A tunnel named "${name}" already exists (id ${existing.id}) and its credentials could not be recovered: ${why}`,
        { cause: recoverError, details: { tunnelId: existing.id, tunnelName: name } },
      );
    }
    // Our own secret means the create did go through and only its answer was lost.
    const adopted = credentials.TunnelSecret !== secret;
    this.logger.info(
      { tunnelId: existing.id, tunnelName: name, adopted },
      adopted ? 'adopted existing Cloudflare tunnel' : 'confirmed tunnel created despite a failed answer',
    );
    return { id: existing.id, name, credentials, adopted };
  }

  /** Credentials from `GET …/token` (disaster recovery and adoption). */
  async recoverCredentials(tunnelId: string): Promise<TunnelCredentials> {
    const token = await this.call(
      { action: `read the token of tunnel ${tunnelId}`, permission: PERMISSION.tunnel },
      () => this.client.zeroTrust.tunnels.cloudflared.token.get(tunnelId, { account_id: this.accountId }),
    );
    return credentialsFromToken(String(token), tunnelId);
  }

  async findLiveTunnelByName(name: string): Promise<TunnelSummary | undefined> {
    const tunnels = await this.call(
      { action: `look up tunnel "${name}"`, permission: PERMISSION.tunnel },
      () =>
        collectPages(
          this.client.zeroTrust.tunnels.cloudflared.list({
            account_id: this.accountId,
            name,
            is_deleted: false,
            per_page: TUNNEL_PAGE_SIZE,
          }),
        ),
    );
    return tunnels.map(toSummary).find((t) => t.name === name && t.deletedAt === null);
  }

  /** The tunnel, deleted ones included (Cloudflare keeps them with `deleted_at`); null when unknown. */
  async getTunnel(tunnelId: string): Promise<TunnelSummary | null> {
    try {
      return toSummary(
        await this.client.zeroTrust.tunnels.cloudflared.get(tunnelId, { account_id: this.accountId }),
      );
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toTunnelbotError(error, { action: `read tunnel ${tunnelId}`, permission: PERMISSION.tunnel });
    }
  }

  /** Non-deleted tunnels whose name starts with `namePrefix`, all pages. */
  async listTunnels(opts: { namePrefix: string }): Promise<TunnelSummary[]> {
    const tunnels = await this.call(
      { action: `list tunnels named "${opts.namePrefix}…"`, permission: PERMISSION.tunnel },
      () =>
        collectPages(
          this.client.zeroTrust.tunnels.cloudflared.list({
            account_id: this.accountId,
            include_prefix: opts.namePrefix,
            is_deleted: false,
            per_page: TUNNEL_PAGE_SIZE,
          }),
        ),
    );
    return tunnels.map(toSummary).filter((t) => t.deletedAt === null && t.name.startsWith(opts.namePrefix));
  }

  private listConnectors(tunnelId: string) {
    return this.call(
      { action: `list the connectors of tunnel ${tunnelId}`, permission: PERMISSION.tunnel },
      async () => {
        const found = [];
        for await (const client of this.client.zeroTrust.tunnels.cloudflared.connections.get(tunnelId, {
          account_id: this.accountId,
        })) {
          found.push(client);
        }
        return found;
      },
    );
  }

  async getTunnelHealth(tunnelId: string): Promise<TunnelHealth> {
    const tunnel = await this.getTunnel(tunnelId);
    if (!tunnel || tunnel.deletedAt !== null) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_TUNNEL_NOT_FOUND',
        `Tunnel ${tunnelId} does not exist in the Cloudflare account.`,
      );
    }
    const clients = await this.listConnectors(tunnelId);
    return {
      id: tunnel.id,
      name: tunnel.name,
      status: tunnel.status,
      connectors: clients.length,
      activeConnectors: clients.filter(isActiveConnector).length,
      connections: clients.reduce((sum, client) => sum + (client.conns?.length ?? 0), 0),
    };
  }

  /**
   * Which of these tunnels have a running cloudflared (a connector with a live edge connection), as Cloudflare
   * reports it now. A tunnel that does not exist has none.
   */
  async connectedTunnels(tunnelIds: Iterable<string>): Promise<Set<string>> {
    const connected = new Set<string>();
    for (const tunnelId of new Set([...tunnelIds].map((id) => id.toLowerCase()))) {
      let clients;
      try {
        clients = await this.listConnectors(tunnelId);
      } catch (error) {
        if (isTunnelbotError(error) && error.details?.['status'] === 404) continue;
        throw error;
      }
      if (clients.some(isActiveConnector)) connected.add(tunnelId);
    }
    return connected;
  }

  /**
   * Deletes a tunnel; succeeds when it is already gone. A tunnel with an active connector is never deleted unless
   * `force` is given: Cloudflare's connections cleanup removes connectors whatever their state, so its refusal
   * (1022) would never protect a running tunnel once the cleanup ran. Connectors that are only pending reconnect
   * (cloudflared is gone) are cleaned up first, since they block the delete.
   */
  async deleteTunnel(tunnelId: string, opts: { force?: boolean } = {}): Promise<void> {
    const tunnel = await this.getTunnel(tunnelId);
    if (!tunnel || tunnel.deletedAt !== null) {
      this.logger.info({ tunnelId }, 'tunnel already deleted');
      return;
    }
    await this.removeTunnel(tunnel, await this.connectorsAllowingDelete(tunnel, opts), opts);
  }

  /** The tunnel's connectors, after refusing (TUNNEL_ACTIVE) a tunnel that runs unless `force` is given. */
  private async connectorsAllowingDelete(
    tunnel: TunnelSummary,
    opts: { force?: boolean },
  ): Promise<ConnectorClient[]> {
    const clients = await this.listConnectors(tunnel.id);
    const active = clients.filter(isActiveConnector).length;
    if (active > 0 && !opts.force) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE',
        `Tunnel "${tunnel.name}" (${tunnel.id}) still has ${active} active connector(s): cloudflared is running, so tunnelbot does not delete it.`,
        { details: { tunnelId: tunnel.id, activeConnectors: active } },
      );
    }
    return clients;
  }

  private async removeTunnel(
    tunnel: TunnelSummary,
    clients: readonly ConnectorClient[],
    opts: { force?: boolean },
  ): Promise<void> {
    const tunnelId = tunnel.id;
    const context = { action: `delete tunnel "${tunnel.name}" (${tunnelId})`, permission: PERMISSION.tunnel };
    try {
      if (clients.length > 0) {
        await this.client.zeroTrust.tunnels.cloudflared.connections.delete(tunnelId, {
          account_id: this.accountId,
        });
      }
      await this.client.zeroTrust.tunnels.cloudflared.delete(
        tunnelId,
        { account_id: this.accountId },
        opts.force ? { query: { cascade: true } } : undefined,
      );
    } catch (error) {
      if (isNotFound(error)) return;
      if (cloudflareCodes(error).includes(1022)) {
        throw new TunnelbotError(
          'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE',
          `Tunnel "${tunnel.name}" (${tunnelId}) still has active connections, so Cloudflare refused to delete it (1022).`,
          { cause: error, details: { tunnelId } },
        );
      }
      throw toTunnelbotError(error, context);
    }
    this.logger.info(
      { tunnelId, tunnelName: tunnel.name, force: opts.force === true },
      'deleted Cloudflare tunnel',
    );
  }

  // --- zones ---

  /** The account's zones, listed again once the list is {@link ZONE_CACHE_MS} old or a zone failed. */
  listZones(): Promise<Zone[]> {
    const now = this.clock();
    if (!this.zones || now - this.zones.listedAt >= ZONE_CACHE_MS) {
      const list = this.call(
        { action: 'list the zones of the account', permission: PERMISSION.zoneRead },
        () =>
          collectPages(this.client.zones.list({ account: { id: this.accountId }, per_page: ZONE_PAGE_SIZE })),
      ).then((zones) => zones.map((z) => ({ id: z.id, name: normalizeHostname(z.name) })));
      const entry = { list, listedAt: now };
      // A failed listing is not cached, so the next call tries again.
      list.catch(() => {
        if (this.zones === entry) this.zones = null;
      });
      this.zones = entry;
    }
    return this.zones.list;
  }

  /**
   * A call on one zone. A zone-level refusal (the zone is gone, or the token no longer covers it) makes the next
   * call list the zones again, since the cached list is what sent us there.
   */
  private async zoneCall<T>(context: CallContext, run: () => PromiseLike<T>): Promise<T> {
    try {
      return await this.call(context, run);
    } catch (error) {
      if (isZoneLevelFailure(error)) this.zones = null;
      throw error;
    }
  }

  /** The zone holding `hostname`: the longest zone name that equals it or is a dot-separated suffix of it. */
  async findZone(hostname: string): Promise<Zone> {
    const host = normalizeHostname(hostname);
    const zone = zoneFor(host, await this.listZones());
    if (!zone) {
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_NO_ZONE',
        `No zone of Cloudflare account ${this.accountId} contains the hostname ${host}.`,
      );
    }
    return zone;
  }

  // --- DNS records ---

  private listRecords(zone: Zone, filter: Record<string, unknown>, action: string): Promise<DnsRecord[]> {
    return this.zoneCall({ action, permission: PERMISSION.dns }, async () => {
      const raw = await collectPages(
        this.client.dns.records.list({ zone_id: zone.id, per_page: DNS_PAGE_SIZE, ...filter }),
      );
      return raw.map((r) => toDnsRecord(r, zone.id));
    });
  }

  /** Every record at exactly this name, of any type. */
  async listDnsRecordsByName(hostname: string): Promise<DnsRecord[]> {
    const host = normalizeHostname(hostname);
    const zone = await this.findZone(host);
    return this.listRecords(zone, { name: { exact: host } }, `list the DNS records of ${host}`);
  }

  /** Records carrying our marker in a zone, optionally only those pointing at `content`. */
  async listOwnedDnsRecords(
    zone: Zone,
    ownerComment: string,
    opts: { content?: string } = {},
  ): Promise<DnsRecord[]> {
    const filter: Record<string, unknown> = { comment: { exact: ownerComment } };
    if (opts.content !== undefined) filter['content'] = { exact: opts.content };
    const records = await this.listRecords(zone, filter, `list tunnelbot's DNS records in ${zone.name}`);
    // Cloudflare filters case-insensitively; ownership is the exact marker.
    return records.filter((r) => isOwnedRecord(r, ownerComment));
  }

  async createDnsRecord(spec: DnsRecordSpec): Promise<DnsRecord> {
    const zone = await this.findZone(spec.name);
    const created = await this.zoneCall(
      { action: `create the DNS record ${spec.type} ${spec.name}`, permission: PERMISSION.dns },
      () => this.client.dns.records.create({ zone_id: zone.id, ...spec }),
    );
    return toDnsRecord(created, zone.id);
  }

  /** Replaces (PUT) a record we own with the spec. */
  async updateDnsRecord(record: DnsRecord, spec: DnsRecordSpec): Promise<DnsRecord> {
    const updated = await this.zoneCall(
      {
        action: `update the DNS record ${record.type} ${record.name} (${record.id})`,
        permission: PERMISSION.dns,
      },
      () => this.client.dns.records.update(record.id, { zone_id: record.zoneId, ...spec }),
    );
    return toDnsRecord(updated, record.zoneId);
  }

  /** Deletes a record; one already gone counts as deleted. */
  async deleteDnsRecord(record: DnsRecord): Promise<void> {
    try {
      await this.client.dns.records.delete(record.id, { zone_id: record.zoneId });
    } catch (error) {
      if (isNotFound(error) && !cloudflareCodes(error).includes(ZONE_NOT_FOUND)) return;
      const failure = toTunnelbotError(error, {
        action: `delete the DNS record ${record.type} ${record.name} (${record.id})`,
        permission: PERMISSION.dns,
      });
      if (isZoneLevelFailure(failure)) this.zones = null;
      throw failure;
    }
  }

  /**
   * The actual state planDns needs: in every zone, the records carrying our marker and every record at a desired
   * name. Hostnames in no zone are returned apart instead of failing the whole convergence.
   */
  async readDnsState(
    desired: readonly DesiredHostname[],
    ownerComment: string,
  ): Promise<{
    actual: DnsRecord[];
    unroutable: { hostname: string; reason: string }[];
    zoneFailures: ZoneFailure[];
  }> {
    const zones = await this.listZones();
    const namesByZone = new Map<string, Set<string>>();
    const unroutable: { hostname: string; reason: string }[] = [];
    for (const { hostname } of desired) {
      const host = normalizeHostname(hostname);
      const zone = zoneFor(host, zones);
      if (!zone) {
        unroutable.push({ hostname: host, reason: `no zone of the Cloudflare account contains ${host}` });
        continue;
      }
      const names = namesByZone.get(zone.id) ?? new Set<string>();
      names.add(host);
      namesByZone.set(zone.id, names);
    }
    const actual = new Map<string, DnsRecord>();
    const zoneFailures: ZoneFailure[] = [];
    let firstFailure: TunnelbotError | undefined;
    for (const zone of zones) {
      const names = namesByZone.get(zone.id) ?? new Set<string>();
      let found: DnsRecord[];
      try {
        found = await this.readZoneRecords(zone, names, ownerComment);
      } catch (error) {
        if (!isZoneLevelFailure(error)) throw error;
        firstFailure ??= error;
        zoneFailures.push(zoneFailure(zone, names, error));
        continue;
      }
      for (const record of found) actual.set(record.id, record);
    }
    // Every zone refusing is the token or the account, not one zone: that stops the convergence as before.
    if (firstFailure && zoneFailures.length === zones.length) throw firstFailure;
    for (const failure of zoneFailures) {
      this.logger.warn(
        { zone: failure.zone, code: failure.code, hostnames: failure.hostnames.length },
        'DNS of a zone left as it is: the zone is gone or the token no longer covers it',
      );
    }
    return { actual: [...actual.values()], unroutable, zoneFailures };
  }

  private async readZoneRecords(
    zone: Zone,
    names: ReadonlySet<string>,
    ownerComment: string,
  ): Promise<DnsRecord[]> {
    if (names.size > PER_NAME_LOOKUP_LIMIT) {
      const all = await this.listRecords(zone, {}, `list the DNS records of ${zone.name}`);
      return all.filter((r) => names.has(r.name) || isOwnedRecord(r, ownerComment));
    }
    const found = await this.listOwnedDnsRecords(zone, ownerComment);
    for (const name of names) {
      found.push(
        ...(await this.listRecords(zone, { name: { exact: name } }, `list the DNS records of ${name}`)),
      );
    }
    return found;
  }

  /**
   * Applies a plan: updates, creates, deletes. Re-running after a partial failure converges the rest. A zone-level
   * error stops that zone's changes only; any other failure stops the run.
   */
  async applyDnsPlan(plan: DnsPlan): Promise<DnsApplyReport> {
    const report: DnsApplyReport = { created: [], updated: [], deleted: [], zoneFailures: [] };
    const zones = await this.listZones();
    const failedZones = new Map<string, ZoneFailure>();
    const inZone = async (zoneId: string | undefined, hostname: string, change: () => Promise<void>) => {
      const failed = zoneId === undefined ? undefined : failedZones.get(zoneId);
      if (failed) {
        failed.hostnames.push(hostname);
        return;
      }
      try {
        await change();
      } catch (error) {
        if (zoneId === undefined || !isZoneLevelFailure(error)) throw error;
        const zone = zones.find((z) => z.id === zoneId) ?? { id: zoneId, name: zoneId };
        failedZones.set(zoneId, zoneFailure(zone, new Set([hostname]), error));
      }
    };
    for (const { record, spec } of plan.update) {
      await inZone(record.zoneId, spec.name, async () => {
        report.updated.push(await this.updateDnsRecord(record, spec));
      });
    }
    for (const spec of plan.create) {
      await inZone(zoneFor(spec.name, zones)?.id, spec.name, async () => {
        report.created.push(await this.createIdempotently(spec));
      });
    }
    for (const { record } of plan.delete) {
      await inZone(record.zoneId, record.name, async () => {
        await this.deleteDnsRecord(record);
        report.deleted.push(record);
      });
    }
    report.zoneFailures.push(...failedZones.values());
    this.logger.info(
      {
        created: report.created.length,
        updated: report.updated.length,
        deleted: report.deleted.length,
        failedZones: report.zoneFailures.length,
      },
      'applied DNS plan',
    );
    return report;
  }

  /**
   * A create whose answer was lost is retried by the SDK and then meets its own record (81057/81053); that record
   * is ours when it matches the spec and carries our marker, which makes the create a success.
   */
  private async createIdempotently(spec: DnsRecordSpec): Promise<DnsRecord> {
    try {
      return await this.createDnsRecord(spec);
    } catch (error) {
      if (!(error instanceof TunnelbotError) || error.code !== 'TB_ERR_CLOUDFLARE_DNS_CONFLICT') throw error;
      const existing = await this.listDnsRecordsByName(spec.name);
      const ours = existing.find(
        (r) =>
          isOwnedRecord(r, spec.comment) &&
          r.type === spec.type &&
          normalizeHostname(r.content) === spec.content,
      );
      if (ours) return ours;
      const blocking = existing.filter((r) => !isOwnedRecord(r, spec.comment));
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_DNS_CONFLICT',
        `Could not create CNAME ${spec.name}: records tunnelbot does not own use the name (${blocking
          .map((r) => `${r.type} ${r.name} -> ${r.content} (id ${r.id})`)
          .join(', ')}).`,
        { cause: error, details: { hostname: spec.name, records: blocking } },
      );
    }
  }

  /**
   * DNS follows git and the running tunnel: read, ask Cloudflare which tunnels a new record would point at have an
   * active connector, plan, and (unless `dryRun`) apply. Zones that fail on their own are reported, not fatal.
   */
  async convergeDns(input: {
    desired: readonly DesiredHostname[];
    ownerComment: string;
    dryRun?: boolean;
    /** Fail closed: hostnames that need their Access application first (see planDns). */
    access?: AccessGate;
  }): Promise<DnsConvergence> {
    const { actual, unroutable, zoneFailures } = await this.readDnsState(input.desired, input.ownerComment);
    const leftOut = new Set([
      ...unroutable.map((u) => u.hostname),
      ...zoneFailures.flatMap((f) => f.hostnames),
    ]);
    const planInput = {
      desired: input.desired.filter((d) => !leftOut.has(normalizeHostname(d.hostname))),
      actual,
      ownerComment: input.ownerComment,
    };
    const connected = await this.connectedTunnels(tunnelsToProbe(planInput));
    const plan = planDns({ ...planInput, connected, ...(input.access && { access: input.access }) });
    const text =
      renderDnsPlan(plan) +
      unroutable.map((u) => `! unroutable ${u.hostname}: ${u.reason}\n`).join('') +
      zoneFailures.map((f) => `! zone ${f.zone} skipped: ${f.message}\n`).join('');
    if (plan.conflicts.length > 0) {
      this.logger.warn(
        { conflicts: plan.conflicts.length },
        'DNS records not owned by tunnelbot block hostnames',
      );
    }
    const applied = input.dryRun ? null : await this.applyDnsPlan(plan);
    const failures = [...zoneFailures, ...(applied?.zoneFailures ?? [])];
    // A failed zone's hostnames are those whose change did not happen; its records left as they were still serve.
    const failedNames = new Set(failures.flatMap((f) => f.hostnames));
    const live = [...liveHostnames(plan)].filter((host) => !failedNames.has(host));
    return { plan, text, unroutable, zoneFailures: failures, live, applied };
  }

  // --- cleanup ---

  /**
   * Removes a tunnel and every DNS record we own that points at it, leaving foreign records alone. Safe to call
   * again after a partial failure and on a tunnel that is already gone.
   */
  async purgeTunnel(
    tunnelId: string,
    opts: { ownerComment: string; reason: string; force?: boolean },
  ): Promise<PurgeReport> {
    const tunnel = await this.getTunnel(tunnelId);
    // A running tunnel is refused before any of its records is touched: it is reported, and nothing changes.
    const clients =
      tunnel && tunnel.deletedAt === null ? await this.connectorsAllowingDelete(tunnel, opts) : [];
    const target = tunnelTarget(tunnelId);
    const deletedRecords: DnsRecord[] = [];
    for (const zone of await this.listZones()) {
      let records: DnsRecord[];
      try {
        records = await this.listOwnedDnsRecords(zone, opts.ownerComment, { content: target });
      } catch (error) {
        // A zone gone or out of the token's reach holds nothing we can remove; the other zones still matter.
        if (!isZoneLevelFailure(error)) throw error;
        this.logger.warn({ tunnelId, zone: zone.name }, 'zone skipped while purging a tunnel');
        continue;
      }
      for (const record of records) {
        if (normalizeHostname(record.content) !== target) continue;
        await this.deleteDnsRecord(record);
        deletedRecords.push(record);
      }
    }
    if (tunnel && tunnel.deletedAt === null) await this.removeTunnel(tunnel, clients, opts);
    this.logger.info({ tunnelId, records: deletedRecords.length, reason: opts.reason }, 'purged tunnel');
    return { tunnelId, deletedRecords };
  }

  /** Undoes a tunnel created by a request whose later step failed. */
  rollbackTunnel(tunnelId: string, opts: { ownerComment: string }): Promise<PurgeReport> {
    return this.purgeTunnel(tunnelId, {
      ownerComment: opts.ownerComment,
      reason: 'rollback of a failed request',
    });
  }

  /** The tunnel of a pull request closed without merge is never going to run: remove it. */
  deleteTunnelOfClosedPullRequest(tunnelId: string, opts: { ownerComment: string }): Promise<PurgeReport> {
    return this.purgeTunnel(tunnelId, {
      ownerComment: opts.ownerComment,
      reason: 'pull request closed without merge',
    });
  }

  /** Deletes the tunnels with our prefix that nothing references any more (see core/orphan-tunnels). */
  async collectOrphanTunnels(input: {
    namePrefix: string;
    referenced: ReadonlySet<string>;
    graceMs: number;
    now: Date;
    ownerComment: string;
  }): Promise<OrphanReport> {
    const tunnels = await this.listTunnels({ namePrefix: input.namePrefix });
    const decision = collectOrphanTunnels({ ...input, tunnels });
    const report: OrphanReport = { deleted: [], kept: [...decision.keep], running: [], failed: [] };
    for (const orphan of decision.delete) {
      try {
        const purged = await this.purgeTunnel(orphan.id, {
          ownerComment: input.ownerComment,
          reason: orphan.reason,
        });
        report.deleted.push({ ...orphan, deletedRecords: purged.deletedRecords });
      } catch (error) {
        if (isTunnelbotError(error) && error.code === 'TB_ERR_CLOUDFLARE_TUNNEL_ACTIVE') {
          const active = error.details?.['activeConnectors'];
          report.running.push({ ...orphan, activeConnectors: typeof active === 'number' ? active : 1 });
          continue;
        }
        const failure = toTunnelbotError(error, {
          action: `delete tunnel ${orphan.id}`,
          permission: PERMISSION.tunnel,
        });
        report.failed.push({ ...orphan, code: failure.code, message: failure.message });
      }
    }
    return report;
  }

  // --- Cloudflare Access ---

  /** The Zero Trust organization's team domain (`<team>.cloudflareaccess.com`); null when Zero Trust is not set up. */
  async getAccessAuthDomain(): Promise<string | null> {
    try {
      const organization = await this.client.zeroTrust.organizations.list({ account_id: this.accountId });
      return organization.auth_domain ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toTunnelbotError(error, {
        action: 'read the Zero Trust organization',
        permission: PERMISSION.accessOrganization,
      });
    }
  }

  /** The account's reusable Access policies, all pages. */
  async listAccessPolicies(): Promise<{ id: string; name: string }[]> {
    const policies = await this.call(
      { action: 'list the Access policies', permission: PERMISSION.accessApps },
      () =>
        collectPages(
          this.client.zeroTrust.access.policies.list({
            account_id: this.accountId,
            per_page: ACCESS_PAGE_SIZE,
          }),
        ),
    );
    return policies.map((policy) => ({ id: policy.id ?? '', name: policy.name ?? '' }));
  }

  /** Every Access application of the account, all pages: one listing serves a whole reconciliation. */
  async listAccessApplications(): Promise<AccessApplication[]> {
    const apps = await this.call(
      { action: 'list the Access applications', permission: PERMISSION.accessApps },
      () =>
        collectPages(
          this.client.zeroTrust.access.applications.list({
            account_id: this.accountId,
            per_page: ACCESS_PAGE_SIZE,
          }),
        ),
    );
    return apps.map(toAccessApplication);
  }

  /** Applications whose domain is exactly `hostname`. */
  async findAccessApplications(hostname: string): Promise<AccessApplication[]> {
    const host = normalizeHostname(hostname);
    const apps = await this.call(
      { action: `list the Access applications of ${host}`, permission: PERMISSION.accessApps },
      () =>
        collectPages(
          this.client.zeroTrust.access.applications.list({
            account_id: this.accountId,
            domain: host,
            exact: true,
            per_page: ACCESS_PAGE_SIZE,
          }),
        ),
    );
    return apps.map(toAccessApplication).filter((app) => app.domain === host);
  }

  /** The application, or null when it does not exist. */
  async getAccessApplication(appId: string): Promise<AccessApplication | null> {
    try {
      return toAccessApplication(
        await this.client.zeroTrust.access.applications.get(appId, { account_id: this.accountId }),
      );
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toTunnelbotError(error, {
        action: `read Access application ${appId}`,
        permission: PERMISSION.accessApps,
      });
    }
  }

  /**
   * Creates a self-hosted application for one hostname: reusable policies are linked in the order given, `include`
   * rules become one policy of the application's own. The create is never retried by the SDK (a retry after a lost
   * answer would make a second application); when its outcome is unknown, the application is looked up by name.
   * If the policy cannot be added, the application is deleted again, so nobody meets a half-made one.
   */
  async createAccessApplication(input: {
    hostname: string;
    name: string;
    policyIds: readonly string[];
    include: readonly AccessIncludeRule[];
  }): Promise<AccessApplication> {
    const host = normalizeHostname(input.hostname);
    const context = {
      action: `create the Access application for ${host}`,
      permission: PERMISSION.accessApps,
    };
    let app: AccessApplication;
    try {
      app = toAccessApplication(
        await this.client.zeroTrust.access.applications.create(
          {
            account_id: this.accountId,
            type: 'self_hosted',
            name: input.name,
            domain: host,
            destinations: [{ type: 'public', uri: host }],
            app_launcher_visible: false,
            policies: input.policyIds.map((id, i) => ({ id, precedence: i + 1 })),
          },
          { maxRetries: 0 },
        ),
      );
    } catch (error) {
      const failure = toTunnelbotError(error, context);
      if (failure.kind !== 'upstream') throw failure;
      const found = (await this.findAccessApplications(host)).find(
        (candidate) => candidate.name === input.name,
      );
      if (!found) throw failure;
      app = found;
    }
    if (input.include.length > 0) {
      try {
        await this.client.zeroTrust.access.applications.policies.create(app.id, {
          account_id: this.accountId,
          name: `${input.name}: allow`,
          decision: 'allow',
          include: [...input.include],
        });
      } catch (error) {
        await this.deleteAccessApplication(app.id);
        throw toTunnelbotError(error, {
          action: `add the policy of ${host}`,
          permission: PERMISSION.accessApps,
        });
      }
    }
    this.logger.info({ accessAppId: app.id, hostname: host }, 'created Access application');
    return app;
  }

  /** Deletes an application; one already gone counts as deleted. */
  async deleteAccessApplication(appId: string): Promise<void> {
    try {
      await this.client.zeroTrust.access.applications.delete(appId, { account_id: this.accountId });
    } catch (error) {
      if (isNotFound(error)) return;
      throw toTunnelbotError(error, {
        action: `delete Access application ${appId}`,
        permission: PERMISSION.accessApps,
      });
    }
    this.logger.info({ accessAppId: appId }, 'deleted Access application');
  }

  // --- doctor probes ---

  /**
   * Verifies the token where its owner can: a user token at `/user/tokens/verify`; an account-owned token (Manage
   * Account › Account API Tokens) is unknown there (401) and verifies at `/accounts/{id}/tokens/verify`.
   */
  async verifyToken(): Promise<TokenVerification> {
    const context = { action: 'verify the API token', permission: PERMISSION.tunnel };
    try {
      const result = await this.call(context, () => this.client.user.tokens.verify());
      return { status: result.status, owner: 'user' };
    } catch (error) {
      if (!isTunnelbotError(error) || error.code !== 'TB_ERR_CLOUDFLARE_AUTH') throw error;
    }
    try {
      const result = await this.call(context, () =>
        this.client.accounts.tokens.verify({ account_id: this.accountId }),
      );
      return { status: result.status, owner: 'account' };
    } catch (error) {
      if (!isTunnelbotError(error) || error.code !== 'TB_ERR_CLOUDFLARE_AUTH') throw error;
      throw new TunnelbotError(
        'TB_ERR_CLOUDFLARE_AUTH',
        `Cloudflare rejected the API token, as a user token and as a token of account ${this.accountId} ` +
          `(${error.message.replace(/^Could not verify the API token: /, '')})`,
        { cause: error, details: error.details },
      );
    }
  }

  async getAccountName(): Promise<string> {
    const account = await this.call(
      { action: `read account ${this.accountId}`, permission: PERMISSION.account },
      () => this.client.accounts.get({ account_id: this.accountId }),
    );
    return account.name;
  }

  /** Reads one page of a zone's records: proves DNS access without writing anything. */
  async probeDnsAccess(zone: Zone): Promise<void> {
    await this.call({ action: `list the DNS records of ${zone.name}`, permission: PERMISSION.dns }, () =>
      this.client.dns.records.list({ zone_id: zone.id, per_page: 1 }),
    );
  }
}

/** Cloudflare's "Could not route to /zones/<id>…": the zone id is unknown (the zone was deleted or moved). */
const ZONE_NOT_FOUND = 7003;

/**
 * The zone is gone (7003, answered as 404 or 400) or the token may no longer touch it (403). A record that is gone
 * (81044) is not about the zone.
 */
function isZoneLevelFailure(error: unknown): error is TunnelbotError {
  if (!isTunnelbotError(error)) return false;
  const codes = error.details['codes'];
  return error.details['status'] === 403 || (Array.isArray(codes) && codes.includes(ZONE_NOT_FOUND));
}

function zoneFailure(zone: Zone, hostnames: ReadonlySet<string>, error: TunnelbotError): ZoneFailure {
  return {
    zone: zone.name,
    zoneId: zone.id,
    hostnames: [...hostnames],
    code: error.code,
    message: error.message,
  };
}

export function zoneFor(hostname: string, zones: readonly Zone[]): Zone | undefined {
  const host = normalizeHostname(hostname);
  let best: Zone | undefined;
  for (const zone of zones) {
    const matches = host === zone.name || host.endsWith(`.${zone.name}`);
    if (matches && (!best || zone.name.length > best.name.length)) best = zone;
  }
  return best;
}
