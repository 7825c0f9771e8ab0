import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The in-memory world of the fake Cloudflare API: tunnels with their connectors, zones and DNS records, with the
 * rules the real API enforces (unique tunnel names, CNAME exclusivity, the comment length limit, refusing to delete
 * a tunnel with live connections). Every refusal is an `ApiFailure` carrying Cloudflare's status and error code.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeConnector {
  readonly id: string;
  /**
   * A running cloudflared: a connections cleanup removes it like any other connector (Cloudflare's cleanup works
   * "independently of its current state"), and it registers again at the next read of its tunnel, unless the
   * tunnel was deleted in between. Only scaling it down stops it.
   */
  readonly persistent: boolean;
  readonly conns: number;
  /** A connector whose process is gone: Cloudflare lists its connections as pending reconnect until cleaned up. */
  readonly pendingReconnect: boolean;
  readonly runAt: string;
}

export interface FakeTunnel {
  readonly id: string;
  name: string;
  readonly accountTag: string;
  readonly configSrc: 'local' | 'cloudflare';
  readonly createdAt: string;
  deletedAt: string | null;
  readonly secret: string;
  /** The run token's `e`: set for tunnels whose edge is not the default one (cloudflared omits it when empty). */
  readonly endpoint?: string;
  connectors: FakeConnector[];
  /** Running connectors a cleanup removed; they come back at the next read (see FakeConnector.persistent). */
  reconnecting: FakeConnector[];
  connsActiveAt: string | null;
  connsInactiveAt: string | null;
}

export interface FakeZone {
  readonly id: string;
  readonly name: string;
}

export interface FakeDnsRecord {
  readonly id: string;
  readonly zoneId: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment: string | null;
  readonly createdOn: string;
  modifiedOn: string;
}

export interface DnsRecordInput {
  type?: unknown;
  name?: unknown;
  content?: unknown;
  proxied?: unknown;
  ttl?: unknown;
  comment?: unknown;
}

/** A healthy tunnel holds four edge connections per connector (cloudflared's default HA connections). */
export const HEALTHY_CONNS_PER_CONNECTOR = 4;
const MAX_COMMENT_LENGTH = 100;
const PROXIABLE_TYPES = new Set(['A', 'AAAA', 'CNAME']);
const ADDRESS_TYPES = new Set(['A', 'AAAA']);
const KNOWN_TYPES = new Set(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA']);

function nameKey(zoneId: string, name: string): string {
  return `${zoneId}/${name}`;
}

export function hexId(): string {
  return randomBytes(16).toString('hex');
}

function lower(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

export function tunnelStatus(tunnel: FakeTunnel): 'inactive' | 'degraded' | 'healthy' | 'down' {
  if (tunnel.connsActiveAt === null) return 'inactive';
  const running = tunnel.connectors.filter((c) => !c.pendingReconnect);
  if (running.length === 0) return 'down';
  const degraded = running.some((c) => c.conns < HEALTHY_CONNS_PER_CONNECTOR);
  return degraded ? 'degraded' : 'healthy';
}

export class FakeCloudflareState {
  readonly tunnels = new Map<string, FakeTunnel>();
  readonly zones = new Map<string, FakeZone>();
  readonly records = new Map<string, FakeDnsRecord>();
  /** Record ids by zone and name: the conflict checks stay cheap in zones of many thousand records. */
  private readonly idsByName = new Map<string, Set<string>>();
  /** Bumped on every record change, so listings can reuse their sorted order between pages. */
  recordRevision = 0;

  constructor(
    readonly accountId: string,
    private readonly now: () => Date,
  ) {}

  private timestamp(): string {
    return this.now().toISOString();
  }

  addZone(name: string): FakeZone {
    const zone = { id: hexId(), name: lower(name) };
    this.zones.set(zone.id, zone);
    return zone;
  }

  zoneByName(name: string): FakeZone | undefined {
    return [...this.zones.values()].find((z) => z.name === lower(name));
  }

  /** Zones the token no longer covers: left out of listings, refused on every route. */
  readonly revokedZones = new Set<string>();

  /** A zone deleted from the account (or moved to another): it and its records are gone. */
  removeZone(name: string): void {
    const zone = this.zoneByName(name);
    if (!zone) return;
    for (const record of [...this.records.values()]) {
      if (record.zoneId === zone.id) this.deleteRecord(zone.id, record.id);
    }
    this.zones.delete(zone.id);
  }

  requireZone(zoneId: string): FakeZone {
    // Cloudflare answers a token scoped away from a zone as it answers a missing permission.
    if (this.revokedZones.has(zoneId)) throw new ApiFailure(403, 10000, 'Authentication error');
    const zone = this.zones.get(zoneId);
    if (!zone)
      throw new ApiFailure(
        404,
        7003,
        `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?`,
      );
    return zone;
  }

  // --- tunnels ---

  createTunnel(
    input: { name?: unknown; config_src?: unknown; tunnel_secret?: unknown },
    createdAt?: string,
    endpoint?: string,
  ): FakeTunnel {
    if (typeof input.name !== 'string' || input.name.trim().length === 0) {
      throw new ApiFailure(400, 1003, 'Missing or empty tunnel name');
    }
    const name = input.name;
    const configSrc = input.config_src === undefined ? 'local' : input.config_src;
    if (configSrc !== 'local' && configSrc !== 'cloudflare') {
      throw new ApiFailure(400, 1003, 'config_src must be "local" or "cloudflare"');
    }
    let secret: string;
    if (input.tunnel_secret === undefined) {
      secret = randomBytes(32).toString('base64');
    } else if (
      typeof input.tunnel_secret === 'string' &&
      Buffer.from(input.tunnel_secret, 'base64').length >= 32
    ) {
      secret = input.tunnel_secret;
    } else {
      throw new ApiFailure(400, 1003, 'tunnel_secret must be at least 32 bytes encoded as a base64 string');
    }
    if (this.liveTunnels().some((t) => t.name === name)) {
      throw new ApiFailure(409, 1013, 'You already have a tunnel with this name.');
    }
    const tunnel: FakeTunnel = {
      id: randomUUID(),
      name,
      accountTag: this.accountId,
      configSrc,
      createdAt: createdAt ?? this.timestamp(),
      deletedAt: null,
      secret,
      ...(endpoint && { endpoint }),
      connectors: [],
      reconnecting: [],
      connsActiveAt: null,
      connsInactiveAt: null,
    };
    this.tunnels.set(tunnel.id, tunnel);
    return tunnel;
  }

  liveTunnels(): FakeTunnel[] {
    return [...this.tunnels.values()].filter((t) => t.deletedAt === null);
  }

  requireTunnel(id: string, { live }: { live: boolean }): FakeTunnel {
    const tunnel = this.tunnels.get(id);
    if (!tunnel || (live && tunnel.deletedAt !== null)) {
      throw new ApiFailure(
        404,
        7003,
        `Could not route to /cfd_tunnel/${id}, perhaps your object identifier is invalid?`,
      );
    }
    return tunnel;
  }

  deleteTunnel(id: string, cascade: boolean): FakeTunnel {
    const tunnel = this.requireTunnel(id, { live: true });
    if (tunnel.connectors.length > 0 && !cascade) {
      throw new ApiFailure(400, 1022, 'Cannot delete tunnel because it has active connections');
    }
    if (tunnel.connectors.length > 0) this.disconnect(tunnel, () => true);
    tunnel.reconnecting = [];
    tunnel.deletedAt = this.timestamp();
    return tunnel;
  }

  attachConnector(
    tunnelId: string,
    opts: { persistent?: boolean; conns?: number; pendingReconnect?: boolean } = {},
  ): FakeConnector {
    const tunnel = this.requireTunnel(tunnelId, { live: true });
    const connector: FakeConnector = {
      id: randomUUID(),
      persistent: opts.persistent ?? false,
      conns: opts.conns ?? HEALTHY_CONNS_PER_CONNECTOR,
      pendingReconnect: opts.pendingReconnect ?? false,
      runAt: this.timestamp(),
    };
    tunnel.connectors.push(connector);
    if (!connector.pendingReconnect) {
      tunnel.connsActiveAt = this.timestamp();
      tunnel.connsInactiveAt = null;
    }
    return connector;
  }

  /**
   * The connections cleanup endpoint removes the connector given by `client_id`, or every one, whatever its state:
   * a running cloudflared is removed too, and registers again later (at the next read, see `reconnect`).
   */
  cleanupConnections(tunnelId: string, clientId: string | null): void {
    const tunnel = this.requireTunnel(tunnelId, { live: true });
    const removed = tunnel.connectors.filter((c) => clientId === null || c.id === clientId);
    tunnel.reconnecting.push(...removed.filter((c) => c.persistent));
    this.disconnect(tunnel, (c) => removed.includes(c));
  }

  /** Running cloudflared processes whose connections were cleaned up register again; a deleted tunnel refuses them. */
  reconnect(): void {
    for (const tunnel of this.tunnels.values()) {
      if (tunnel.reconnecting.length === 0) continue;
      const back = tunnel.reconnecting;
      tunnel.reconnecting = [];
      if (tunnel.deletedAt !== null) continue;
      tunnel.connectors.push(...back);
      tunnel.connsActiveAt = this.timestamp();
      tunnel.connsInactiveAt = null;
    }
  }

  /** What scaling cloudflared to zero does: every connector goes away. */
  stopConnectors(tunnelId: string): void {
    const tunnel = this.requireTunnel(tunnelId, { live: true });
    tunnel.reconnecting = [];
    this.disconnect(tunnel, () => true);
  }

  private disconnect(tunnel: FakeTunnel, drop: (c: FakeConnector) => boolean): void {
    const before = tunnel.connectors.length;
    tunnel.connectors = tunnel.connectors.filter((c) => !drop(c));
    if (before > 0 && tunnel.connectors.length === 0) tunnel.connsInactiveAt = this.timestamp();
  }

  // --- DNS records ---

  private fqdn(zone: FakeZone, name: string): string {
    const n = lower(name);
    if (n === '@' || n === zone.name) return zone.name;
    return n.endsWith(`.${zone.name}`) ? n : `${n}.${zone.name}`;
  }

  private validateRecord(
    zone: FakeZone,
    input: Required<DnsRecordInput>,
    selfId: string | null,
  ): FakeDnsRecord {
    const { type, name, content, proxied, ttl, comment } = input;
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
      throw new ApiFailure(400, 9000, `DNS record type "${String(type)}" is invalid.`);
    }
    if (typeof name !== 'string' || name.length === 0)
      throw new ApiFailure(400, 9005, 'DNS name is invalid.');
    if (typeof content !== 'string' || content.length === 0) {
      throw new ApiFailure(400, 9007, 'Content for the DNS record is invalid.');
    }
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || (ttl !== 1 && (ttl < 60 || ttl > 86400))) {
      throw new ApiFailure(400, 9021, 'Invalid TTL. Must be between 60 and 86400, or 1 for automatic.');
    }
    if (typeof proxied !== 'boolean')
      throw new ApiFailure(400, 9003, 'Invalid "proxied" value, must be a boolean.');
    if (proxied && !PROXIABLE_TYPES.has(type)) {
      throw new ApiFailure(400, 9004, `This record type cannot be proxied.`);
    }
    if (comment !== null && typeof comment !== 'string')
      throw new ApiFailure(400, 9312, 'Comment must be a string.');
    if (typeof comment === 'string' && comment.length > MAX_COMMENT_LENGTH) {
      throw new ApiFailure(400, 9313, 'DNS record comment exceeds the maximum length of 100 characters');
    }
    const fqdn = this.fqdn(zone, name);
    const sameName = [...(this.idsByName.get(nameKey(zone.id, fqdn)) ?? [])]
      .filter((id) => id !== selfId)
      .map((id) => this.records.get(id))
      .filter((r): r is FakeDnsRecord => r !== undefined);
    if (sameName.some((r) => r.type === type && lower(r.content) === lower(content))) {
      throw new ApiFailure(400, 81057, 'Record already exists.');
    }
    if (type === 'CNAME' && sameName.some((r) => PROXIABLE_TYPES.has(r.type))) {
      throw new ApiFailure(400, 81053, 'An A, AAAA, or CNAME record with that host already exists.');
    }
    if (ADDRESS_TYPES.has(type) && sameName.some((r) => r.type === 'CNAME')) {
      throw new ApiFailure(400, 81054, 'A CNAME record with that host already exists');
    }
    const now = this.timestamp();
    return {
      id: selfId ?? hexId(),
      zoneId: zone.id,
      type,
      name: fqdn,
      content,
      proxied,
      ttl,
      comment: typeof comment === 'string' && comment.length > 0 ? comment : null,
      createdOn: selfId === null ? now : (this.records.get(selfId)?.createdOn ?? now),
      modifiedOn: now,
    };
  }

  private store(record: FakeDnsRecord): void {
    this.recordRevision += 1;
    const previous = this.records.get(record.id);
    if (previous) this.idsByName.get(nameKey(previous.zoneId, previous.name))?.delete(record.id);
    this.records.set(record.id, record);
    const key = nameKey(record.zoneId, record.name);
    const ids = this.idsByName.get(key) ?? new Set<string>();
    ids.add(record.id);
    this.idsByName.set(key, ids);
  }

  createRecord(zoneId: string, input: DnsRecordInput): FakeDnsRecord {
    const zone = this.requireZone(zoneId);
    const record = this.validateRecord(
      zone,
      {
        type: input.type,
        name: input.name,
        content: input.content,
        proxied: input.proxied ?? false,
        ttl: input.ttl ?? 1,
        comment: input.comment ?? null,
      },
      null,
    );
    this.store(record);
    return record;
  }

  requireRecord(zoneId: string, recordId: string): FakeDnsRecord {
    this.requireZone(zoneId);
    const record = this.records.get(recordId);
    if (!record || record.zoneId !== zoneId) throw new ApiFailure(404, 81044, 'Record does not exist.');
    return record;
  }

  /** PUT replaces the record; PATCH keeps the fields the body leaves out. */
  replaceRecord(
    zoneId: string,
    recordId: string,
    input: DnsRecordInput,
    mode: 'put' | 'patch',
  ): FakeDnsRecord {
    const existing = this.requireRecord(zoneId, recordId);
    const base: Required<DnsRecordInput> =
      mode === 'patch'
        ? { ...existing }
        : { type: undefined, name: undefined, content: undefined, proxied: false, ttl: 1, comment: null };
    const merged = { ...base };
    for (const key of ['type', 'name', 'content', 'proxied', 'ttl', 'comment'] as const) {
      if (input[key] !== undefined) merged[key] = input[key];
    }
    const record = this.validateRecord(this.requireZone(zoneId), merged, recordId);
    this.store(record);
    return record;
  }

  deleteRecord(zoneId: string, recordId: string): void {
    const record = this.requireRecord(zoneId, recordId);
    this.idsByName.get(nameKey(zoneId, record.name))?.delete(recordId);
    this.records.delete(recordId);
    this.recordRevision += 1;
  }
}
