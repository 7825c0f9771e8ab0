import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectOrphanTunnels } from '../../src/core/orphan-tunnels.js';

const NOW = new Date('2026-11-27T12:00:00Z');
const HOUR = 3_600_000;

function tunnel(id: string, name: string, hoursAgo: number) {
  return { id, name, createdAt: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString() };
}

describe('collectOrphanTunnels', () => {
  it('deletes unreferenced tunnels past the grace period and keeps the rest with a reason', () => {
    const result = collectOrphanTunnels({
      tunnels: [
        tunnel('t-old', 'tunnelbot-prod-app', 48),
        tunnel('t-used', 'tunnelbot-prod-web', 48),
        tunnel('t-new', 'tunnelbot-prod-api', 0.5),
        tunnel('t-foreign', 'homelab', 48),
        { id: 't-odd', name: 'tunnelbot-prod-odd', createdAt: 'yesterday' },
      ],
      referenced: new Set(['T-USED']),
      namePrefix: 'tunnelbot-',
      graceMs: 2 * HOUR,
      now: NOW,
    });
    assert.deepEqual(
      result.delete.map((d) => d.id),
      ['t-old'],
    );
    assert.match(
      result.delete[0]?.reason ?? '',
      /referenced by no branch or open pull request, created 2d ago \(grace 2h\)/,
    );
    const kept = new Map(result.keep.map((k) => [k.id, k.reason]));
    assert.match(kept.get('t-used') ?? '', /referenced/);
    assert.match(kept.get('t-new') ?? '', /within the 2h grace period/);
    assert.match(kept.get('t-foreign') ?? '', /did not create it/);
    assert.match(kept.get('t-odd') ?? '', /not a timestamp/);
  });

  it('keeps a tunnel exactly at the grace boundary minus one millisecond, deletes it at the boundary', () => {
    const at = (ms: number) =>
      collectOrphanTunnels({
        tunnels: [{ id: 't', name: 'tb-x', createdAt: new Date(NOW.getTime() - ms).toISOString() }],
        referenced: new Set(),
        namePrefix: 'tb-',
        graceMs: HOUR,
        now: NOW,
      });
    assert.equal(at(HOUR - 1).delete.length, 0);
    assert.equal(at(HOUR).delete.length, 1);
  });

  it('deletes nothing when the prefix is empty (it would match every tunnel of the account)', () => {
    const result = collectOrphanTunnels({
      tunnels: [tunnel('t', 'anything', 100)],
      referenced: new Set(),
      namePrefix: '',
      graceMs: 0,
      now: NOW,
    });
    assert.equal(result.delete.length, 0);
  });
});
