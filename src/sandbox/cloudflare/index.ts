import { announceStandIn, type StandInSecret } from '../watch.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { byCodeUnits } from '../../core/text-order.js';
import { appJson, FakeAccessState, policyJson, type FakeAccessApp, type FakeAccessPolicy } from './access.js';
import {
  ApiFailure,
  FakeCloudflareState,
  hexId,
  tunnelStatus,
  type FakeConnector,
  type FakeDnsRecord,
  type FakeTunnel,
  type FakeZone,
} from './state.js';

/**
 * A local stand-in for the Cloudflare v4 API, enough of it for tunnelbot: tunnels, connections, zones and DNS
 * records, behind a bearer token, with Cloudflare's envelope, page-number pagination and error codes. Tests and
 * `tunnelbot demo` point the official SDK at `baseURL`. Faults are injected through methods, never over HTTP, so
 * nothing reachable on the port can change the fake's behaviour.
 */

export type FakeRoute =
  | 'token.verify'
  | 'account.token.verify'
  | 'account.get'
  | 'tunnel.create'
  | 'tunnel.list'
  | 'tunnel.get'
  | 'tunnel.delete'
  | 'tunnel.token'
  | 'connections.get'
  | 'connections.delete'
  | 'zones.list'
  | 'dns.list'
  | 'dns.get'
  | 'dns.create'
  | 'dns.patch'
  | 'dns.put'
  | 'dns.delete'
  | 'access.organization'
  | 'access.policies.list'
  | 'access.apps.list'
  | 'access.apps.create'
  | 'access.apps.get'
  | 'access.apps.delete'
  | 'access.apps.policies.create';

/** Token permissions as the dashboard names them, reduced to what the routes above need. */
export type FakePermission =
  | 'account:read'
  | 'tunnel:read'
  | 'tunnel:edit'
  | 'zone:read'
  | 'dns:read'
  | 'dns:edit'
  /** Access: Apps and Policies (read / edit). */
  | 'access:read'
  | 'access:edit'
  /** Access: Organizations, Identity Providers, and Groups (read). */
  | 'access-org:read';

export const ALL_PERMISSIONS: readonly FakePermission[] = [
  'account:read',
  'tunnel:read',
  'tunnel:edit',
  'zone:read',
  'dns:read',
  'dns:edit',
  'access:read',
  'access:edit',
  'access-org:read',
];

export type FakeFault =
  /** Answer with this HTTP status and Cloudflare error code instead of handling the request. */
  | { kind: 'error'; status: number; code: number; message?: string; retryAfterSeconds?: number }
  /** Handle the request normally, but only after this delay (a client timeout then leaves the outcome unknown). */
  | { kind: 'latency'; ms: number }
  /** Close the connection without an answer, before handling the request or after its effect took place. */
  | { kind: 'drop'; when: 'before' | 'after' };

export interface FakeRequestRecord {
  readonly method: string;
  readonly route: FakeRoute | null;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The `api-version` header the client sent, if any. */
  readonly apiVersion: string | null;
}

export interface FakeCloudflareOptions {
  apiToken?: string;
  accountId?: string;
  zones?: string[];
  permissions?: readonly FakePermission[];
  /** The Zero Trust team name (`<team>.cloudflareaccess.com`); null: Zero Trust never set up. Default `tunnelbot-fake`. */
  accessTeamName?: string | null;
  /** The fake's clock, for `created_at` and friends. */
  now?: () => Date;
  /**
   * Who owns the API token: a user (My Profile › API Tokens, the default) or the account (Manage Account › Account
   * API Tokens). Each verifies only at its own endpoint; the other answers 401 "Invalid API Token" (code 1000).
   */
  tokenOwner?: 'user' | 'account';
}

interface FaultEntry {
  readonly route: FakeRoute | '*';
  readonly fault: FakeFault;
  remaining: number;
}

interface RouteMatch {
  readonly route: FakeRoute;
  readonly params: Readonly<Record<string, string>>;
}

const BASE_PATH = '/client/v4';

const ROUTE_TABLE: readonly { method: string; pattern: RegExp; route: FakeRoute; keys: readonly string[] }[] =
  [
    { method: 'GET', pattern: /^\/user\/tokens\/verify$/, route: 'token.verify', keys: [] },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/tokens\/verify$/,
      route: 'account.token.verify',
      keys: ['account'],
    },
    { method: 'GET', pattern: /^\/accounts\/([^/]+)$/, route: 'account.get', keys: ['account'] },
    {
      method: 'POST',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel$/,
      route: 'tunnel.create',
      keys: ['account'],
    },
    { method: 'GET', pattern: /^\/accounts\/([^/]+)\/cfd_tunnel$/, route: 'tunnel.list', keys: ['account'] },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel\/([^/]+)$/,
      route: 'tunnel.get',
      keys: ['account', 'id'],
    },
    {
      method: 'DELETE',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel\/([^/]+)$/,
      route: 'tunnel.delete',
      keys: ['account', 'id'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel\/([^/]+)\/token$/,
      route: 'tunnel.token',
      keys: ['account', 'id'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel\/([^/]+)\/connections$/,
      route: 'connections.get',
      keys: ['account', 'id'],
    },
    {
      method: 'DELETE',
      pattern: /^\/accounts\/([^/]+)\/cfd_tunnel\/([^/]+)\/connections$/,
      route: 'connections.delete',
      keys: ['account', 'id'],
    },
    { method: 'GET', pattern: /^\/zones$/, route: 'zones.list', keys: [] },
    { method: 'GET', pattern: /^\/zones\/([^/]+)\/dns_records$/, route: 'dns.list', keys: ['zone'] },
    { method: 'POST', pattern: /^\/zones\/([^/]+)\/dns_records$/, route: 'dns.create', keys: ['zone'] },
    {
      method: 'GET',
      pattern: /^\/zones\/([^/]+)\/dns_records\/([^/]+)$/,
      route: 'dns.get',
      keys: ['zone', 'id'],
    },
    {
      method: 'PATCH',
      pattern: /^\/zones\/([^/]+)\/dns_records\/([^/]+)$/,
      route: 'dns.patch',
      keys: ['zone', 'id'],
    },
    {
      method: 'PUT',
      pattern: /^\/zones\/([^/]+)\/dns_records\/([^/]+)$/,
      route: 'dns.put',
      keys: ['zone', 'id'],
    },
    {
      method: 'DELETE',
      pattern: /^\/zones\/([^/]+)\/dns_records\/([^/]+)$/,
      route: 'dns.delete',
      keys: ['zone', 'id'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/access\/organizations$/,
      route: 'access.organization',
      keys: ['account'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/access\/policies$/,
      route: 'access.policies.list',
      keys: ['account'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/access\/apps$/,
      route: 'access.apps.list',
      keys: ['account'],
    },
    {
      method: 'POST',
      pattern: /^\/accounts\/([^/]+)\/access\/apps$/,
      route: 'access.apps.create',
      keys: ['account'],
    },
    {
      method: 'GET',
      pattern: /^\/accounts\/([^/]+)\/access\/apps\/([^/]+)$/,
      route: 'access.apps.get',
      keys: ['account', 'id'],
    },
    {
      method: 'DELETE',
      pattern: /^\/accounts\/([^/]+)\/access\/apps\/([^/]+)$/,
      route: 'access.apps.delete',
      keys: ['account', 'id'],
    },
    {
      method: 'POST',
      pattern: /^\/accounts\/([^/]+)\/access\/apps\/([^/]+)\/policies$/,
      route: 'access.apps.policies.create',
      keys: ['account', 'id'],
    },
  ];

const REQUIRED_PERMISSION: Record<FakeRoute, FakePermission | null> = {
  'token.verify': null,
  'account.token.verify': null,
  'account.get': 'account:read',
  'tunnel.create': 'tunnel:edit',
  'tunnel.list': 'tunnel:read',
  'tunnel.get': 'tunnel:read',
  'tunnel.delete': 'tunnel:edit',
  'tunnel.token': 'tunnel:edit',
  'connections.get': 'tunnel:read',
  'connections.delete': 'tunnel:edit',
  'zones.list': 'zone:read',
  'dns.list': 'dns:read',
  'dns.get': 'dns:read',
  'dns.create': 'dns:edit',
  'dns.patch': 'dns:edit',
  'dns.put': 'dns:edit',
  'dns.delete': 'dns:edit',
  'access.organization': 'access-org:read',
  'access.policies.list': 'access:read',
  'access.apps.list': 'access:read',
  'access.apps.create': 'access:edit',
  'access.apps.get': 'access:read',
  'access.apps.delete': 'access:edit',
  'access.apps.policies.create': 'access:edit',
};

/** Edit implies read, as in Cloudflare's permission groups. */
function grants(held: ReadonlySet<FakePermission>, needed: FakePermission): boolean {
  if (held.has(needed)) return true;
  if (needed === 'tunnel:read') return held.has('tunnel:edit');
  if (needed === 'dns:read') return held.has('dns:edit');
  if (needed === 'access:read') return held.has('access:edit');
  return false;
}

function matchRoute(method: string, path: string): RouteMatch | null {
  for (const entry of ROUTE_TABLE) {
    if (entry.method !== method) continue;
    const found = entry.pattern.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    entry.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(found[i + 1] ?? '');
    });
    return { route: entry.route, params };
  }
  return null;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function success(result: unknown, resultInfo?: unknown, status = 200): Reply {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo !== undefined) body['result_info'] = resultInfo;
  return { status, body };
}

function failure(status: number, code: number, message: string, headers?: Record<string, string>): Reply {
  return {
    status,
    body: { success: false, errors: [{ code, message }], messages: [], result: null },
    headers,
  };
}

function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  defaults: { perPage: number; maxPerPage: number },
  toJson: (item: T) => unknown,
) {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const requested = Number.parseInt(query.get('per_page') ?? '', 10);
  const perPage = Math.min(defaults.maxPerPage, requested >= 1 ? requested : defaults.perPage);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return success(slice.map(toJson), {
    page,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  });
}

type TextFilter = (value: string | null) => boolean;

/** Cloudflare's string filters (`name.exact`, `comment.startswith`, …), case-insensitive like the real API. */
function textFilters(query: URLSearchParams, field: string): TextFilter[] {
  const filters: TextFilter[] = [];
  const norm = (v: string | null) => (v ?? '').toLowerCase();
  const plain = query.get(field);
  if (plain !== null) filters.push((v) => norm(v) === plain.toLowerCase());
  for (const [op, test] of [
    ['exact', (v: string, q: string) => v === q],
    ['contains', (v: string, q: string) => v.includes(q)],
    ['startswith', (v: string, q: string) => v.startsWith(q)],
    ['endswith', (v: string, q: string) => v.endsWith(q)],
  ] as const) {
    const q = query.get(`${field}.${op}`);
    if (q !== null) filters.push((v) => v !== null && test(norm(v), q.toLowerCase()));
  }
  if (query.has(`${field}.present`)) filters.push((v) => v !== null && v.length > 0);
  if (query.has(`${field}.absent`)) filters.push((v) => v === null || v.length === 0);
  return filters;
}

function tunnelJson(tunnel: FakeTunnel) {
  return {
    id: tunnel.id,
    account_tag: tunnel.accountTag,
    name: tunnel.name,
    created_at: tunnel.createdAt,
    deleted_at: tunnel.deletedAt,
    conns_active_at: tunnel.connsActiveAt,
    conns_inactive_at: tunnel.connsInactiveAt,
    connections: [],
    metadata: {},
    remote_config: tunnel.configSrc === 'cloudflare',
    config_src: tunnel.configSrc,
    status: tunnelStatus(tunnel),
    tun_type: 'cfd_tunnel',
  };
}

function connectorJson(connector: FakeConnector) {
  return {
    id: connector.id,
    arch: 'linux_amd64',
    version: '2026.8.0',
    run_at: connector.runAt,
    config_version: 0,
    features: ['ha-origin', 'postquantum'],
    conns: Array.from({ length: connector.conns }, (_, i) => ({
      id: `${connector.id.slice(0, 24)}${String(i).padStart(12, '0')}`,
      uuid: `${connector.id.slice(0, 24)}${String(i).padStart(12, '0')}`,
      client_id: connector.id,
      client_version: '2026.8.0',
      colo_name: ['fra', 'ams', 'cdg', 'lhr'][i % 4],
      opened_at: connector.runAt,
      origin_ip: '198.51.100.7',
      is_pending_reconnect: connector.pendingReconnect,
    })),
  };
}

/** Cloudflare lists records in a stable order; type, then name, then id is ours. Keys are built once per record. */
function sortRecords(records: FakeDnsRecord[]): FakeDnsRecord[] {
  return records
    .map((record) => ({ key: `${record.type} ${record.name} ${record.id}`, record }))
    .sort((a, b) => byCodeUnits(a.key, b.key))
    .map(({ record }) => record);
}

function recordJson(record: FakeDnsRecord, zone: FakeZone) {
  return {
    id: record.id,
    zone_id: zone.id,
    zone_name: zone.name,
    name: record.name,
    type: record.type,
    content: record.content,
    proxiable: ['A', 'AAAA', 'CNAME'].includes(record.type),
    proxied: record.proxied,
    ttl: record.ttl,
    comment: record.comment,
    tags: [],
    settings: {},
    meta: {},
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
  };
}

export class FakeCloudflare {
  readonly apiToken: string;
  readonly accountId: string;
  readonly state: FakeCloudflareState;
  readonly access: FakeAccessState;
  private permissions: Set<FakePermission>;
  private readonly tokenOwner: 'user' | 'account';
  private faults: FaultEntry[] = [];
  private log: FakeRequestRecord[] = [];
  private server: Server | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sortedRecords = new Map<string, { revision: number; records: FakeDnsRecord[] }>();

  constructor(opts: FakeCloudflareOptions = {}) {
    this.apiToken = opts.apiToken ?? 'fake-cloudflare-api-token';
    this.accountId = opts.accountId ?? hexId();
    this.state = new FakeCloudflareState(this.accountId, opts.now ?? (() => new Date()));
    this.access = new FakeAccessState(
      opts.accessTeamName === undefined ? 'tunnelbot-fake' : opts.accessTeamName,
      opts.now ?? (() => new Date()),
    );
    this.permissions = new Set(opts.permissions ?? ALL_PERMISSIONS);
    this.tokenOwner = opts.tokenOwner ?? 'user';
    for (const zone of opts.zones ?? []) this.state.addZone(zone);
  }

  async start(): Promise<{ baseURL: string }> {
    if (this.server) throw new Error('FakeCloudflare is already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          this.send(res, failure(500, 10001, `fake internal error: ${String(error)}`));
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    announceStandIn({ kind: 'cloudflare', fake: this });
    return { baseURL: `http://127.0.0.1:${port}${BASE_PATH}` };
  }

  /** The API token and every tunnel's secret and run token, deleted tunnels included: none may ever be shown. */
  secrets(): StandInSecret[] {
    return [
      { kind: 'Cloudflare API token', value: this.apiToken },
      ...[...this.state.tunnels.values()].flatMap((tunnel) => [
        { kind: 'Cloudflare tunnel secret', value: tunnel.secret },
        { kind: 'Cloudflare tunnel token', value: tunnelToken(tunnel) },
      ]),
    ];
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // --- faults and observation (the typed test API) ---

  /** Applies `fault` to the next `times` requests of `route` ('*' = any route); earlier injections go first. */
  injectFault(route: FakeRoute | '*', fault: FakeFault, times = 1): void {
    this.faults.push({ route, fault, remaining: times });
  }

  /** Cloudflare's rate limit answer: 429, error 971 and a `retry-after` header in seconds. */
  rateLimit(route: FakeRoute | '*', times: number, retryAfterSeconds: number): void {
    this.injectFault(
      route,
      {
        kind: 'error',
        status: 429,
        code: 971,
        message: 'Please wait and consider throttling your request speed',
        retryAfterSeconds,
      },
      times,
    );
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Injected faults no request has met yet: a test knows its fault was reached. */
  get pendingFaults(): number {
    return this.faults.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  setPermissions(permissions: readonly FakePermission[]): void {
    this.permissions = new Set(permissions);
  }

  get requests(): readonly FakeRequestRecord[] {
    return this.log;
  }

  requestCount(route: FakeRoute): number {
    return this.log.filter((r) => r.route === route).length;
  }

  resetRequests(): void {
    this.log = [];
  }

  // --- state seeding and inspection ---

  addZone(name: string): FakeZone {
    return this.state.addZone(name);
  }

  /** The zone is deleted: gone from listings, 404/7003 on its routes. */
  removeZone(name: string): void {
    this.state.removeZone(name);
  }

  /** The token no longer covers the zone: gone from listings, 403/10000 on its routes. */
  revokeZone(name: string): void {
    this.state.revokedZones.add(this.zone(name).id);
  }

  zone(name: string): FakeZone {
    const zone = this.state.zoneByName(name);
    if (!zone) throw new Error(`FakeCloudflare has no zone ${name}`);
    return zone;
  }

  seedRecord(
    zoneName: string,
    record: {
      type: string;
      name: string;
      content: string;
      proxied?: boolean;
      ttl?: number;
      comment?: string | null;
    },
  ): FakeDnsRecord {
    return this.state.createRecord(this.zone(zoneName).id, record);
  }

  /** `endpoint` is the edge region the tunnel's run token names (`e`), e.g. `fed` for FedRAMP accounts. */
  seedTunnel(input: { name: string; createdAt?: string; secret?: string; endpoint?: string }): FakeTunnel {
    return this.state.createTunnel(
      { name: input.name, tunnel_secret: input.secret },
      input.createdAt,
      input.endpoint,
    );
  }

  /**
   * Simulates one cloudflared connector: `persistent` is a running process (it registers again after a connections
   * cleanup), `pendingReconnect` one whose process is gone and whose connections Cloudflare has not dropped yet.
   */
  attachConnector(
    tunnelId: string,
    opts: { persistent?: boolean; conns?: number; pendingReconnect?: boolean } = {},
  ): FakeConnector {
    return this.state.attachConnector(tunnelId, opts);
  }

  /** What Flux applying the cloudflared Deployment does once its pods run: `replicas` healthy connectors. */
  startCloudflared(tunnelId: string, replicas = 1): FakeConnector[] {
    return Array.from({ length: replicas }, () => this.attachConnector(tunnelId, { persistent: true }));
  }

  stopConnectors(tunnelId: string): void {
    this.state.stopConnectors(tunnelId);
  }

  tunnels(opts: { includeDeleted?: boolean } = {}): FakeTunnel[] {
    return [...this.state.tunnels.values()].filter((t) => opts.includeDeleted || t.deletedAt === null);
  }

  /** A reusable Access policy, as an administrator creates one in Zero Trust › Access › Policies. */
  seedAccessPolicy(name: string, include?: readonly Record<string, unknown>[]): FakeAccessPolicy {
    return this.access.addPolicy({ name, ...(include && { include }) });
  }

  /** An Access application someone created by hand (not through tunnelbot). */
  seedAccessApp(input: { name: string; domain: string; policies?: readonly string[] }): FakeAccessApp {
    return this.access.createApp({
      type: 'self_hosted',
      name: input.name,
      domain: input.domain,
      policies: input.policies ?? [],
    });
  }

  /** Someone deletes an Access application by hand in the dashboard. */
  deleteAccessAppByHand(id: string): void {
    this.access.deleteApp(id);
  }

  accessApps(): FakeAccessApp[] {
    return [...this.access.apps.values()];
  }

  records(zoneName?: string): FakeDnsRecord[] {
    const zoneId = zoneName === undefined ? undefined : this.zone(zoneName).id;
    return [...this.state.records.values()].filter((r) => zoneId === undefined || r.zoneId === zoneId);
  }

  // --- HTTP ---

  private takeFault(route: FakeRoute | null): FakeFault | null {
    const entry = this.faults.find((f) => f.remaining > 0 && (f.route === '*' || f.route === route));
    if (!entry) return null;
    entry.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return entry.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const rawBody = await readBody(req);
    const path = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : null;
    const match = path === null ? null : matchRoute(method, path);
    this.log.push({
      method,
      route: match?.route ?? null,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      apiVersion: typeof req.headers['api-version'] === 'string' ? req.headers['api-version'] : null,
    });

    const fault = this.takeFault(match?.route ?? null);
    if (fault?.kind === 'drop' && fault.when === 'before') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'latency') await this.sleep(fault.ms);
    if (fault?.kind === 'error') {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      this.send(
        res,
        failure(fault.status, fault.code, fault.message ?? `injected fault ${fault.code}`, headers),
      );
      return;
    }

    const reply = this.dispatch(req, match, url.searchParams, rawBody);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    this.send(res, reply);
  }

  private dispatch(
    req: IncomingMessage,
    match: RouteMatch | null,
    query: URLSearchParams,
    rawBody: string,
  ): Reply {
    if (!match) return failure(404, 7000, 'No route for that URI');
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${this.apiToken}`) return failure(401, 10000, 'Authentication error');
    const needed = REQUIRED_PERMISSION[match.route];
    if (needed !== null && !grants(this.permissions, needed))
      return failure(403, 10000, 'Authentication error');
    const account = match.params['account'];
    if (account !== undefined && account !== this.accountId) {
      return failure(403, 9109, 'Unauthorized to access requested resource');
    }
    let body: Record<string, unknown> = {};
    if (rawBody.length > 0) {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        return failure(400, 6007, 'Malformed JSON in request body');
      }
    }
    try {
      return this.route(match, query, body);
    } catch (error) {
      if (error instanceof ApiFailure) return failure(error.status, error.code, error.message);
      throw error;
    }
  }

  private route(match: RouteMatch, query: URLSearchParams, body: Record<string, unknown>): Reply {
    const id = match.params['id'] ?? '';
    const state = this.state;
    if (match.route === 'tunnel.get' || match.route === 'tunnel.list' || match.route === 'connections.get') {
      state.reconnect();
    }
    switch (match.route) {
      case 'token.verify':
      case 'account.token.verify': {
        const owner = match.route === 'token.verify' ? 'user' : 'account';
        if (owner !== this.tokenOwner) return failure(401, 1000, 'Invalid API Token');
        return success({ id: 'fake-token', status: 'active' });
      }
      case 'account.get':
        return success({ id: this.accountId, name: 'tunnelbot fake account', settings: {} });
      case 'tunnel.create': {
        const tunnel = state.createTunnel(body);
        return success({
          ...tunnelJson(tunnel),
          credentials_file: {
            AccountTag: tunnel.accountTag,
            TunnelID: tunnel.id,
            TunnelName: tunnel.name,
            TunnelSecret: tunnel.secret,
          },
          token: tunnelToken(tunnel),
        });
      }
      case 'tunnel.list': {
        const isDeleted = query.get('is_deleted');
        const tunnels = [...state.tunnels.values()].filter((t) => {
          if (isDeleted === 'true' && t.deletedAt === null) return false;
          if (isDeleted === 'false' && t.deletedAt !== null) return false;
          const name = query.get('name');
          if (name !== null && t.name !== name) return false;
          const include = query.get('include_prefix');
          if (include !== null && !t.name.startsWith(include)) return false;
          const exclude = query.get('exclude_prefix');
          if (exclude !== null && t.name.startsWith(exclude)) return false;
          const uuid = query.get('uuid');
          if (uuid !== null && t.id !== uuid) return false;
          const status = query.get('status');
          return status === null || tunnelStatus(t) === status;
        });
        return paginate(tunnels, query, { perPage: 20, maxPerPage: 1000 }, tunnelJson);
      }
      case 'tunnel.get':
        return success(tunnelJson(state.requireTunnel(id, { live: false })));
      case 'tunnel.delete':
        return success(tunnelJson(state.deleteTunnel(id, query.get('cascade') === 'true')));
      case 'tunnel.token':
        return success(tunnelToken(state.requireTunnel(id, { live: true })));
      case 'connections.get':
        return success(state.requireTunnel(id, { live: false }).connectors.map(connectorJson));
      case 'connections.delete':
        state.cleanupConnections(id, query.get('client_id'));
        return success(null);
      case 'zones.list': {
        const name = query.get('name');
        const accountId = query.get('account.id');
        const zones = [...state.zones.values()].filter(
          (z) =>
            !state.revokedZones.has(z.id) &&
            (name === null || z.name === name.toLowerCase()) &&
            (accountId === null || accountId === this.accountId),
        );
        return paginate(zones, query, { perPage: 20, maxPerPage: 50 }, (z) => ({
          id: z.id,
          name: z.name,
          status: 'active',
          account: { id: this.accountId, name: 'tunnelbot fake account' },
        }));
      }
      case 'dns.list':
        return this.listRecords(match.params['zone'] ?? '', query);
      case 'dns.get': {
        const zone = state.requireZone(match.params['zone'] ?? '');
        return success(recordJson(state.requireRecord(zone.id, id), zone));
      }
      case 'dns.create': {
        const zone = state.requireZone(match.params['zone'] ?? '');
        return success(recordJson(state.createRecord(zone.id, body), zone));
      }
      case 'dns.patch':
      case 'dns.put': {
        const zone = state.requireZone(match.params['zone'] ?? '');
        const mode = match.route === 'dns.put' ? 'put' : 'patch';
        return success(recordJson(state.replaceRecord(zone.id, id, body, mode), zone));
      }
      case 'dns.delete': {
        const zone = state.requireZone(match.params['zone'] ?? '');
        state.deleteRecord(zone.id, id);
        return success({ id });
      }
      case 'access.organization':
        return success(this.access.organization());
      case 'access.policies.list':
        return paginate(
          [...this.access.policies.values()],
          query,
          { perPage: 25, maxPerPage: 1000 },
          (policy) => ({ ...policyJson(policy), app_count: this.appCount(policy.id) }),
        );
      case 'access.apps.list':
        return paginate(this.access.listApps(query), query, { perPage: 25, maxPerPage: 1000 }, (app) =>
          appJson(app, this.access),
        );
      case 'access.apps.create':
        return success(appJson(this.access.createApp(body), this.access), undefined, 201);
      case 'access.apps.get':
        return success(appJson(this.access.requireApp(id), this.access));
      case 'access.apps.delete':
        this.access.deleteApp(id);
        return success({ id });
      case 'access.apps.policies.create':
        return success(policyJson(this.access.addAppPolicy(id, body)), undefined, 201);
    }
  }

  private appCount(policyId: string): number {
    return [...this.access.apps.values()].filter((app) => app.policyIds.includes(policyId)).length;
  }

  private sortedZoneRecords(zoneId: string): FakeDnsRecord[] {
    const cached = this.sortedRecords.get(zoneId);
    if (cached && cached.revision === this.state.recordRevision) return cached.records;
    const records = sortRecords([...this.state.records.values()].filter((r) => r.zoneId === zoneId));
    this.sortedRecords.set(zoneId, { revision: this.state.recordRevision, records });
    return records;
  }

  private listRecords(zoneId: string, query: URLSearchParams): Reply {
    const zone = this.state.requireZone(zoneId);
    const predicates: ((r: FakeDnsRecord) => boolean)[] = [];
    const type = query.get('type');
    if (type !== null) predicates.push((r) => r.type === type.toUpperCase());
    const proxied = query.get('proxied');
    if (proxied !== null) predicates.push((r) => String(r.proxied) === proxied);
    for (const field of ['name', 'content', 'comment'] as const) {
      for (const filter of textFilters(query, field)) predicates.push((r) => filter(r[field]));
    }
    const any = query.get('match') === 'any';
    const records = this.sortedZoneRecords(zone.id).filter((r) =>
      any ? predicates.length === 0 || predicates.some((p) => p(r)) : predicates.every((p) => p(r)),
    );
    return paginate(records, query, { perPage: 100, maxPerPage: 5000 }, (r) => recordJson(r, zone));
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/**
 * The run token cloudflared accepts: base64 of JSON `{a, t, s, e?}` (account tag, tunnel id, secret, endpoint),
 * `e` omitted when empty as Go's `omitempty` does.
 */
function tunnelToken(tunnel: FakeTunnel): string {
  const token = {
    a: tunnel.accountTag,
    t: tunnel.id,
    s: tunnel.secret,
    ...(tunnel.endpoint && { e: tunnel.endpoint }),
  };
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export type { FakeConnector, FakeDnsRecord, FakeTunnel, FakeZone } from './state.js';
export type { FakeAccessApp, FakeAccessPolicy } from './access.js';
