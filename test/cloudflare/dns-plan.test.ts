import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_OWNER_COMMENT_LENGTH,
  ownerComment,
  planDns,
  liveHostnames,
  renderDnsPlan,
  tunnelsToProbe,
  tunnelTarget,
  type DnsRecord,
} from '../../src/core/dns-plan.js';
import { TunnelbotError } from '../../src/errors.js';

const MARKER = ownerComment('prod');
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
/** Both tunnels have an active connector: the plan decides by git and records alone. */
const RUNNING = new Set([T1, T2]);

let nextId = 0;
function record(fields: Partial<DnsRecord> & Pick<DnsRecord, 'name'>): DnsRecord {
  nextId += 1;
  return {
    id: `rec${nextId}`,
    zoneId: 'zone1',
    type: 'CNAME',
    content: tunnelTarget(T1),
    proxied: true,
    ttl: 1,
    comment: MARKER,
    ...fields,
  };
}

describe('ownerComment', () => {
  it('has the documented format', () => {
    assert.equal(ownerComment('prod'), 'managed-by: tunnelbot (prod)');
  });

  it('never exceeds 100 characters and never contains a line break, whatever the instance name', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 400 }).filter((s) => s.trim().length > 0),
        (instance) => {
          const comment = ownerComment(instance);
          assert.ok(comment.length <= MAX_OWNER_COMMENT_LENGTH, `${comment.length} > 100`);
          assert.ok(!/[\r\n]/.test(comment));
          assert.ok(comment.startsWith('managed-by: tunnelbot ('));
        },
      ),
    );
  });

  it('cuts a long instance name to exactly the limit', () => {
    assert.equal(ownerComment('x'.repeat(500)).length, MAX_OWNER_COMMENT_LENGTH);
  });

  it('refuses an empty instance name', () => {
    assert.throws(() => ownerComment('  '), { code: 'TB_ERR_CLOUDFLARE_OWNER_MARKER' });
  });
});

describe('planDns', () => {
  it('creates a proxied CNAME with ttl 1 and the marker for a missing hostname', () => {
    const plan = planDns({
      desired: [{ hostname: 'App.Example.com.', tunnelId: T1 }],
      actual: [],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(plan.create, [
      {
        type: 'CNAME',
        name: 'app.example.com',
        content: `${T1}.cfargotunnel.com`,
        proxied: true,
        ttl: 1,
        comment: MARKER,
      },
    ]);
    assert.deepEqual([plan.update, plan.delete, plan.conflicts, plan.unchanged], [[], [], [], []]);
  });

  it('matches internationalised names in their Punycode form, as Cloudflare stores them', () => {
    const ours = record({ name: 'xn--bcher-kva.example.com' });
    const plan = planDns({
      desired: [{ hostname: 'Bücher.example.com', tunnelId: T1 }],
      actual: [ours],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(plan.unchanged, [ours]);
  });

  it('leaves a correct record of ours unchanged', () => {
    const ours = record({ name: 'app.example.com' });
    const plan = planDns({
      desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
      actual: [ours],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(plan.unchanged, [ours]);
    assert.equal(plan.create.length + plan.update.length + plan.delete.length, 0);
  });

  it('fixes a record of ours that points at another tunnel or is not proxied', () => {
    const stale = record({ name: 'app.example.com', content: tunnelTarget(T2) });
    const unproxied = record({ name: 'b.example.com', proxied: false });
    const plan = planDns({
      desired: [
        { hostname: 'app.example.com', tunnelId: T1 },
        { hostname: 'b.example.com', tunnelId: T1 },
      ],
      actual: [stale, unproxied],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(
      plan.update.map((u) => [u.record.id, u.spec.content, u.spec.proxied]),
      [
        [stale.id, tunnelTarget(T1), true],
        [unproxied.id, tunnelTarget(T1), true],
      ],
    );
  });

  it('deletes records of ours that git no longer routes, and duplicates of ours', () => {
    const gone = record({ name: 'old.example.com' });
    const keep = record({ name: 'app.example.com' });
    const duplicate = record({ name: 'app.example.com', content: tunnelTarget(T2) });
    const plan = planDns({
      desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
      actual: [gone, duplicate, keep],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(
      plan.delete.map((d) => [d.record.id, d.reason]),
      [
        [duplicate.id, 'duplicate'],
        [gone.id, 'no-longer-desired'],
      ],
    );
    assert.deepEqual(plan.unchanged, [keep]);
  });

  it('reports a foreign record at a desired name as a conflict with the exact record and does not create', () => {
    const foreignA = record({
      name: 'app.example.com',
      type: 'A',
      content: '192.0.2.1',
      comment: null,
      proxied: false,
    });
    const foreignCname = record({ name: 'web.example.com', comment: 'managed-by: tunnelbot (staging)' });
    const plan = planDns({
      desired: [
        { hostname: 'app.example.com', tunnelId: T1 },
        { hostname: 'web.example.com', tunnelId: T1 },
      ],
      actual: [foreignA, foreignCname],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.deepEqual(plan.create, []);
    assert.deepEqual(
      plan.conflicts.map((c) => c.record),
      [foreignA, foreignCname],
    );
    assert.match(plan.conflicts[0]?.reason ?? '', /A app\.example\.com -> 192\.0\.2\.1 \(id rec\d+\)/);
  });

  it('ignores foreign records of other types and foreign records at names git does not route', () => {
    const txt = record({
      name: 'app.example.com',
      type: 'TXT',
      content: 'v=spf1 -all',
      comment: null,
      proxied: false,
    });
    const unrelated = record({
      name: 'mail.example.com',
      type: 'MX',
      content: 'mx.example.com',
      comment: null,
    });
    const plan = planDns({
      desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
      actual: [txt, unrelated],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.equal(plan.create.length, 1);
    assert.deepEqual([plan.update, plan.delete, plan.conflicts], [[], [], []]);
  });

  it('treats a hostname routed by two tunnels as a conflict and changes nothing for it', () => {
    const ours = record({ name: 'app.example.com' });
    const plan = planDns({
      desired: [
        { hostname: 'app.example.com', tunnelId: T1 },
        { hostname: 'app.example.com', tunnelId: T2 },
      ],
      actual: [ours],
      ownerComment: MARKER,
      connected: RUNNING,
    });
    assert.equal(plan.conflicts.length, 1);
    assert.equal(plan.conflicts[0]?.record, undefined);
    assert.deepEqual([plan.create, plan.update, plan.delete], [[], [], []]);
  });

  it('compares the marker exactly: a differently cased comment is not ours', () => {
    const lookalike = record({ name: 'old.example.com', comment: MARKER.toUpperCase() });
    const plan = planDns({ desired: [], actual: [lookalike], ownerComment: MARKER, connected: RUNNING });
    assert.deepEqual(plan.delete, []);
  });

  it('refuses a marker that Cloudflare would reject', () => {
    for (const bad of ['', 'x'.repeat(101), 'a\nb']) {
      assert.throws(
        () => planDns({ desired: [], actual: [], ownerComment: bad, connected: RUNNING }),
        (e: unknown) => e instanceof TunnelbotError && e.code === 'TB_ERR_CLOUDFLARE_OWNER_MARKER',
      );
    }
  });

  it('never updates or deletes a record without our exact marker (property)', () => {
    const host = fc.constantFrom('a.example.com', 'b.example.com', 'c.example.com', 'd.example.com');
    const tunnel = fc.constantFrom(T1, T2);
    const arbRecord = fc.record({
      id: fc.uuid(),
      zoneId: fc.constant('zone1'),
      type: fc.constantFrom('A', 'AAAA', 'CNAME', 'TXT', 'MX'),
      name: host,
      content: fc.oneof(tunnel.map(tunnelTarget), fc.constant('192.0.2.1')),
      proxied: fc.boolean(),
      ttl: fc.constantFrom(1, 300),
      comment: fc.oneof(
        fc.constant(MARKER),
        fc.constant(null),
        fc.string({ maxLength: 20 }),
        fc.constant(MARKER.toUpperCase()),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ hostname: host, tunnelId: tunnel }), { maxLength: 6 }),
        fc.uniqueArray(arbRecord, { selector: (r) => r.id, maxLength: 12 }),
        (desired, actual) => {
          const plan = planDns({ desired, actual, ownerComment: MARKER, connected: RUNNING });
          const touched = [...plan.update.map((u) => u.record), ...plan.delete.map((d) => d.record)];
          for (const r of touched) assert.equal(r.comment, MARKER);
          for (const spec of plan.create) {
            const blocked = actual.some(
              (r) => r.name === spec.name && r.comment !== MARKER && ['A', 'AAAA', 'CNAME'].includes(r.type),
            );
            assert.ok(!blocked, `create planned over a foreign record at ${spec.name}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('renders a dry run with every change and conflict', () => {
    const text = renderDnsPlan(
      planDns({
        desired: [
          { hostname: 'new.example.com', tunnelId: T1 },
          { hostname: 'taken.example.com', tunnelId: T1 },
        ],
        actual: [
          record({ name: 'old.example.com' }),
          record({
            name: 'taken.example.com',
            type: 'A',
            content: '192.0.2.9',
            comment: null,
            proxied: false,
          }),
        ],
        ownerComment: MARKER,
        connected: RUNNING,
      }),
    );
    assert.match(text, /^\+ create CNAME new\.example\.com -> 11111111-.*\.cfargotunnel\.com \(proxied\)$/m);
    assert.match(text, /^- delete CNAME old\.example\.com -> .* \[no-longer-desired\]$/m);
    assert.match(text, /^! conflict taken\.example\.com: A taken\.example\.com -> 192\.0\.2\.9/m);
    assert.match(
      text,
      /1 to create, 0 to update, 1 to delete, 1 conflict\(s\), 0 unchanged, 0 waiting for cloudflared/,
    );
  });

  it('creates no record for a tunnel without an active connector; it waits, and is not live', () => {
    const input = {
      desired: [
        { hostname: 'runs.example.com', tunnelId: T1 },
        { hostname: 'starting.example.com', tunnelId: T2 },
      ],
      actual: [],
      ownerComment: MARKER,
    };
    const plan = planDns({ ...input, connected: new Set([T1]) });
    assert.deepEqual(
      plan.create.map((spec) => spec.name),
      ['runs.example.com'],
    );
    assert.deepEqual(plan.waiting, [{ hostname: 'starting.example.com', tunnelId: T2, reason: 'connector' }]);
    assert.deepEqual([...liveHostnames(plan)], ['runs.example.com']);
    assert.match(
      renderDnsPlan(plan),
      /^… waiting starting\.example\.com: tunnel 22222222-.* has no active connector yet$/m,
    );
    assert.match(renderDnsPlan(plan), /1 waiting for cloudflared\n$/);
  });

  it('keeps a record the default branch routes while its tunnel has no connector, and repoints only to a running one', () => {
    const current = record({ name: 'app.example.com' });
    const restarting = planDns({
      desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
      actual: [current],
      ownerComment: MARKER,
      connected: new Set(),
    });
    assert.deepEqual(restarting.unchanged, [current], 'a cloudflared restart never removes the record');
    assert.deepEqual(
      [restarting.create, restarting.update, restarting.delete, restarting.waiting],
      [[], [], [], []],
    );

    const moved = {
      desired: [{ hostname: 'app.example.com', tunnelId: T2 }],
      actual: [current],
      ownerComment: MARKER,
    };
    const early = planDns({ ...moved, connected: new Set([T1]) });
    assert.deepEqual(early.update, []);
    assert.deepEqual(early.delete, []);
    assert.deepEqual(early.waiting, [
      { hostname: 'app.example.com', tunnelId: T2, reason: 'connector', kept: current },
    ]);
    assert.equal(liveHostnames(early).size, 0);
    const ready = planDns({ ...moved, connected: new Set([T2]) });
    assert.deepEqual(ready.update, [
      { record: current, spec: { ...ready.update[0]!.spec, content: tunnelTarget(T2) } },
    ]);
    assert.deepEqual(tunnelsToProbe(moved), [T2]);

    // Same target, only the settings drifted: fixing it needs no connector.
    const drifted = record({ name: 'app.example.com', proxied: false });
    const fix = planDns({
      desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
      actual: [drifted],
      ownerComment: MARKER,
      connected: new Set(),
    });
    assert.equal(fix.update.length, 1);
    assert.deepEqual(
      tunnelsToProbe({
        desired: [{ hostname: 'app.example.com', tunnelId: T1 }],
        actual: [drifted],
        ownerComment: MARKER,
      }),
      [],
    );
  });

  it('asks about no tunnel once every record is in place, and only about the tunnels a record would point at', () => {
    const desired = [
      { hostname: 'a.example.com', tunnelId: T1 },
      { hostname: 'b.example.com', tunnelId: T2 },
      { hostname: 'c.example.com', tunnelId: T2 },
    ];
    assert.deepEqual(tunnelsToProbe({ desired, actual: [], ownerComment: MARKER }), [T1, T2]);
    const inPlace = [
      record({ name: 'a.example.com' }),
      record({ name: 'b.example.com', content: tunnelTarget(T2) }),
    ];
    assert.deepEqual(tunnelsToProbe({ desired, actual: inPlace, ownerComment: MARKER }), [T2]);
    const foreign = record({ name: 'c.example.com', type: 'A', content: '192.0.2.1', comment: null });
    assert.deepEqual(tunnelsToProbe({ desired, actual: [...inPlace, foreign], ownerComment: MARKER }), []);
  });
});

describe('planDns: fail closed on Access', () => {
  const desired = [
    { hostname: 'guarded.example.com', tunnelId: T1 },
    { hostname: 'open.example.com', tunnelId: T1 },
  ];
  const required = new Set(['guarded.example.com']);

  it('a hostname that needs Access gets no CNAME until its application is in place', () => {
    const plan = planDns({
      desired,
      actual: [],
      ownerComment: MARKER,
      connected: RUNNING,
      access: { required, ready: new Set() },
    });
    assert.deepEqual(
      plan.create.map((spec) => spec.name),
      ['open.example.com'],
    );
    assert.deepEqual(plan.waiting, [
      { hostname: 'guarded.example.com', tunnelId: T1, reason: 'access-application' },
    ]);
    assert.match(
      renderDnsPlan(plan),
      /^… waiting guarded\.example\.com: its environment requires Cloudflare Access and its Access application does not exist yet$/m,
    );
    assert.match(renderDnsPlan(plan), /0 waiting for cloudflared, 1 waiting for their Access application\n$/);
    assert.deepEqual([...liveHostnames(plan)], ['open.example.com']);

    const ready = planDns({
      desired,
      actual: [],
      ownerComment: MARKER,
      connected: RUNNING,
      access: { required, ready: required },
    });
    assert.deepEqual(
      ready.create.map((spec) => spec.name),
      ['guarded.example.com', 'open.example.com'],
    );
    assert.deepEqual(ready.waiting, []);
  });

  it('a record is not moved to a new tunnel before the application exists; one in place stays', () => {
    const current = record({ name: 'guarded.example.com', content: tunnelTarget(T2) });
    const moving = planDns({
      desired,
      actual: [current],
      ownerComment: MARKER,
      connected: RUNNING,
      access: { required, ready: new Set() },
    });
    assert.deepEqual(moving.update, []);
    assert.deepEqual(moving.delete, []);
    assert.deepEqual(moving.waiting, [
      { hostname: 'guarded.example.com', tunnelId: T1, reason: 'access-application', kept: current },
    ]);
    // Already pointing at its tunnel: kept (cloudflared's own check keeps the app closed meanwhile).
    const settled = record({ name: 'guarded.example.com' });
    const kept = planDns({
      desired,
      actual: [settled],
      ownerComment: MARKER,
      connected: RUNNING,
      access: { required, ready: new Set() },
    });
    assert.deepEqual(kept.unchanged, [settled]);
    assert.deepEqual(kept.waiting, []);
  });
});
