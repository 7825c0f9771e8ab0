import { domainToASCII } from 'node:url';
import { TunnelbotError } from '../errors.js';
import { byCodeUnits } from './text-order.js';

/**
 * DNS follows git and the running tunnel: the hostnames routed by tunnelbot-managed tunnel configs on the default
 * branch are the desired state, the records in Cloudflare are the actual state, and this module computes the
 * difference without I/O. A record is created (or pointed at a new tunnel) only once that tunnel has an active
 * connector, so no visitor meets a hostname whose cloudflared does not run; a record the default branch still
 * routes is kept meanwhile. Ownership is the exact comment marker; a record without it is never modified or
 * deleted, only reported.
 */

/** A DNS record as tunnelbot sees it; `zoneId` travels with it so an executor can address it. */
export interface DnsRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly proxied: boolean;
  readonly ttl: number;
  readonly comment: string | null;
}

export interface DesiredHostname {
  readonly hostname: string;
  readonly tunnelId: string;
}

/** The record tunnelbot wants at a hostname: a proxied CNAME to the tunnel, ttl 1 (automatic), with our marker. */
export interface DnsRecordSpec {
  readonly type: 'CNAME';
  readonly name: string;
  readonly content: string;
  readonly proxied: true;
  readonly ttl: 1;
  readonly comment: string;
}

export interface DnsUpdate {
  readonly record: DnsRecord;
  readonly spec: DnsRecordSpec;
}

export interface DnsDelete {
  readonly record: DnsRecord;
  readonly reason: 'no-longer-desired' | 'duplicate';
}

export interface DnsConflict {
  readonly hostname: string;
  /** The foreign record exactly as found, so a person can locate it; absent for a conflict inside git itself. */
  readonly record?: DnsRecord;
  readonly reason: string;
}

/**
 * A desired hostname whose record waits: for its tunnel to have an active connector, or (fail closed) for its
 * Access application to exist where Access is required.
 */
export interface DnsWaiting {
  readonly hostname: string;
  readonly tunnelId: string;
  readonly reason: 'connector' | 'access-application';
  /** Our record that stays as it is meanwhile (it points at the tunnel that routed the hostname before). */
  readonly kept?: DnsRecord;
}

export interface DnsPlan {
  readonly create: readonly DnsRecordSpec[];
  readonly update: readonly DnsUpdate[];
  readonly delete: readonly DnsDelete[];
  readonly conflicts: readonly DnsConflict[];
  /** Records already as desired. */
  readonly unchanged: readonly DnsRecord[];
  readonly waiting: readonly DnsWaiting[];
}

/** Cloudflare's comment limit on the Free plan (error 9313 beyond it); paid plans allow more, we stay portable. */
export const MAX_OWNER_COMMENT_LENGTH = 100;

const OWNER_COMMENT_PREFIX = 'managed-by: tunnelbot (';
const OWNER_COMMENT_SUFFIX = ')';

/**
 * The ownership marker for one tunnelbot installation. The instance name keeps two installations sharing a zone
 * from deleting each other's records. Characters outside a safe set become `-` (no line breaks, which Cloudflare
 * refuses) and the name is cut so the whole comment fits the Free plan limit.
 */
export function ownerComment(instance: string): string {
  const safe = instance.trim().replace(/[^A-Za-z0-9._-]/g, '-');
  if (safe.length === 0) {
    throw new TunnelbotError('TB_ERR_CLOUDFLARE_OWNER_MARKER', 'The tunnelbot instance name is empty.');
  }
  const room = MAX_OWNER_COMMENT_LENGTH - OWNER_COMMENT_PREFIX.length - OWNER_COMMENT_SUFFIX.length;
  return `${OWNER_COMMENT_PREFIX}${safe.slice(0, room)}${OWNER_COMMENT_SUFFIX}`;
}

const TUNNEL_TARGET_SUFFIX = '.cfargotunnel.com';

/** The CNAME target Cloudflare routes to a tunnel. */
export function tunnelTarget(tunnelId: string): string {
  return `${tunnelId.toLowerCase()}${TUNNEL_TARGET_SUFFIX}`;
}

/**
 * DNS names compare case-insensitively, Cloudflare accepts a trailing dot on input and stores names in Punycode,
 * so `Bücher.example.com.` and `xn--bcher-kva.example.com` are the same record. A name IDNA rejects is kept as
 * typed, for Cloudflare to refuse with its own message.
 */
export function normalizeHostname(name: string): string {
  const lowered = name.trim().toLowerCase().replace(/\.$/, '');
  return domainToASCII(lowered) || lowered;
}

export function isOwnedRecord(record: DnsRecord, marker: string): boolean {
  return record.comment === marker;
}

/** Record types a CNAME cannot share its name with on Cloudflare (81053 / 81054). */
const CNAME_EXCLUSIVE_TYPES = new Set(['A', 'AAAA', 'CNAME']);

function assertValidMarker(marker: string): void {
  if (marker.length === 0 || marker.length > MAX_OWNER_COMMENT_LENGTH || /[\r\n]/.test(marker)) {
    throw new TunnelbotError(
      'TB_ERR_CLOUDFLARE_OWNER_MARKER',
      `The DNS ownership marker must be 1-${MAX_OWNER_COMMENT_LENGTH} characters without line breaks; got ${marker.length} characters.`,
    );
  }
}

function specFor(hostname: string, tunnelId: string, marker: string): DnsRecordSpec {
  return {
    type: 'CNAME',
    name: hostname,
    content: tunnelTarget(tunnelId),
    proxied: true,
    ttl: 1,
    comment: marker,
  };
}

function matchesSpec(record: DnsRecord, spec: DnsRecordSpec): boolean {
  return (
    record.type === spec.type &&
    normalizeHostname(record.content) === spec.content &&
    record.proxied === spec.proxied &&
    record.ttl === spec.ttl
  );
}

function describeRecord(record: DnsRecord): string {
  return `${record.type} ${record.name} -> ${record.content} (id ${record.id})`;
}

export interface DnsPlanInput {
  desired: readonly DesiredHostname[];
  actual: readonly DnsRecord[];
  ownerComment: string;
}

/**
 * Fail closed: the hostnames (normalized) that need an Access application, and those whose application of ours
 * exists. A required hostname without one gets no record (nor a record moved to it) until it exists.
 */
export interface AccessGate {
  readonly required: ReadonlySet<string>;
  readonly ready: ReadonlySet<string>;
}

export function planDns(
  input: DnsPlanInput & {
    /** Tunnel ids (lower case) with an active connector now, as Cloudflare reports them. */
    connected: ReadonlySet<string>;
    access?: AccessGate;
  },
): DnsPlan {
  const marker = input.ownerComment;
  assertValidMarker(marker);

  const conflicts: DnsConflict[] = [];
  const tunnelByHost = new Map<string, string>();
  const contested = new Set<string>();
  for (const { hostname, tunnelId } of input.desired) {
    const host = normalizeHostname(hostname);
    const id = tunnelId.toLowerCase();
    const previous = tunnelByHost.get(host);
    if (previous !== undefined && previous !== id && !contested.has(host)) {
      contested.add(host);
      conflicts.push({
        hostname: host,
        reason: `${host} is routed by two tunnels in git (${previous} and ${id}); no DNS change is made for it.`,
      });
    }
    tunnelByHost.set(host, id);
  }

  const recordsByHost = new Map<string, DnsRecord[]>();
  for (const record of input.actual) {
    const host = normalizeHostname(record.name);
    const list = recordsByHost.get(host) ?? [];
    list.push(record);
    recordsByHost.set(host, list);
  }

  const create: DnsRecordSpec[] = [];
  const update: DnsUpdate[] = [];
  const remove: DnsDelete[] = [];
  const unchanged: DnsRecord[] = [];
  const waiting: DnsWaiting[] = [];
  const runs = (tunnelId: string) => input.connected.has(tunnelId);
  const guarded = (host: string) =>
    input.access !== undefined && input.access.required.has(host) && !input.access.ready.has(host);

  for (const [host, tunnelId] of [...tunnelByHost].sort(([a], [b]) => byCodeUnits(a, b))) {
    if (contested.has(host)) continue;
    const records = recordsByHost.get(host) ?? [];
    const ours = records.filter((r) => isOwnedRecord(r, marker));
    const blockers = records.filter((r) => !isOwnedRecord(r, marker) && CNAME_EXCLUSIVE_TYPES.has(r.type));
    for (const record of blockers) {
      conflicts.push({
        hostname: host,
        record,
        reason: `${describeRecord(record)} exists without the tunnelbot marker; it is left untouched.`,
      });
    }
    const spec = specFor(host, tunnelId, marker);
    const keeper = ours.find((r) => matchesSpec(r, spec)) ?? ours[0];
    if (keeper === undefined) {
      if (blockers.length > 0) continue;
      if (guarded(host)) waiting.push({ hostname: host, tunnelId, reason: 'access-application' });
      else if (runs(tunnelId)) create.push(spec);
      else waiting.push({ hostname: host, tunnelId, reason: 'connector' });
      continue;
    }
    const sameTarget = normalizeHostname(keeper.content) === spec.content;
    if (matchesSpec(keeper, spec)) unchanged.push(keeper);
    else if (!sameTarget && guarded(host))
      waiting.push({ hostname: host, tunnelId, reason: 'access-application', kept: keeper });
    else if (sameTarget || runs(tunnelId)) update.push({ record: keeper, spec });
    else waiting.push({ hostname: host, tunnelId, reason: 'connector', kept: keeper });
    for (const extra of ours) {
      if (extra !== keeper) remove.push({ record: extra, reason: 'duplicate' });
    }
  }

  for (const record of input.actual) {
    const host = normalizeHostname(record.name);
    if (isOwnedRecord(record, marker) && !tunnelByHost.has(host)) {
      remove.push({ record, reason: 'no-longer-desired' });
    }
  }

  return { create, update, delete: remove, conflicts, unchanged, waiting };
}

/**
 * The tunnels whose connectors decide a plan: those a record would be created for or pointed at. Records that
 * already point at their tunnel need no question, so a converged account costs no connector lookups.
 */
export function tunnelsToProbe(input: DnsPlanInput): string[] {
  const everyTunnel = new Set(input.desired.map((d) => d.tunnelId.toLowerCase()));
  const plan = planDns({ ...input, connected: everyTunnel });
  const targets = [
    ...plan.create.map((spec) => spec.content),
    ...plan.update
      .filter(({ record, spec }) => normalizeHostname(record.content) !== spec.content)
      .map(({ spec }) => spec.content),
  ];
  return [...new Set(targets.map((target) => target.slice(0, -TUNNEL_TARGET_SUFFIX.length)))];
}

/** Desired hostnames whose record points at their tunnel once the plan is applied: what visitors can reach. */
export function liveHostnames(plan: DnsPlan): Set<string> {
  return new Set(
    [
      ...plan.unchanged.map((r) => r.name),
      ...plan.create.map((s) => s.name),
      ...plan.update.map((u) => u.spec.name),
    ].map(normalizeHostname),
  );
}

export function isEmptyPlan(plan: DnsPlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.delete.length === 0;
}

/** The dry-run text: one line per change, then the conflicts; never contains anything secret. */
export function renderDnsPlan(plan: DnsPlan): string {
  const lines: string[] = [];
  for (const spec of plan.create) {
    lines.push(`+ create CNAME ${spec.name} -> ${spec.content} (proxied)`);
  }
  for (const { record, spec } of plan.update) {
    lines.push(`~ update ${describeRecord(record)} => CNAME ${spec.name} -> ${spec.content} (proxied)`);
  }
  for (const { record, reason } of plan.delete) {
    lines.push(`- delete ${describeRecord(record)} [${reason}]`);
  }
  for (const conflict of plan.conflicts) {
    lines.push(`! conflict ${conflict.hostname}: ${conflict.reason}`);
  }
  for (const { hostname, tunnelId, kept, reason } of plan.waiting) {
    const meanwhile = kept ? `; ${describeRecord(kept)} stays meanwhile` : '';
    const why =
      reason === 'access-application'
        ? 'its environment requires Cloudflare Access and its Access application does not exist yet'
        : `tunnel ${tunnelId} has no active connector yet`;
    lines.push(`… waiting ${hostname}: ${why}${meanwhile}`);
  }
  const forAccess = plan.waiting.filter((w) => w.reason === 'access-application').length;
  const summary = `${plan.create.length} to create, ${plan.update.length} to update, ${plan.delete.length} to delete, ${plan.conflicts.length} conflict(s), ${plan.unchanged.length} unchanged, ${plan.waiting.length - forAccess} waiting for cloudflared${forAccess > 0 ? `, ${forAccess} waiting for their Access application` : ''}`;
  return [...lines, summary].join('\n') + '\n';
}
