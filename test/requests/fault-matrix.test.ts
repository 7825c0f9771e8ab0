import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettings } from '../../src/core/settings.js';
import { RequestService, type Reply } from '../../src/requests/service.js';
import type { FakeRoute } from '../../src/sandbox/cloudflare/index.js';
import {
  FAULTS,
  FaultyConversation,
  GITHUB_FAULTS,
  badCells,
  branches,
  cloudflareFaults,
  printMatrix,
  type FaultKind,
} from '../helpers/fault-matrix.js';
import { readFixtureRepo } from '../helpers/fixtures.js';
import { startWorld, type World } from '../helpers/world.js';

/**
 * The fault matrix of `/expose`: every upstream call it makes (GitHub, Cloudflare, the Slack conversation) meets each
 * fault (a 5xx, a 429 with retry-after, no answer until the client's timeout, a connection reset) once. Every run
 * must end complete, or failed with the person told in the request's message and nothing left anywhere: no tunnel,
 * no branch, no pull request, no message stuck half-way. The SDKs' retries are off here (the world's adapters), so
 * each fault reaches the workflow; what the SDKs' retries add is tested with the adapters. The matrix is printed.
 */

// Long enough for a loaded machine running four worlds at once (their git work included), short enough for a
// matrix of a minute.
const TIMEOUT_MS = 3_000;
const ALICE = { id: 'U0ALICE', name: 'Alice' };
const CHANNEL = 'C0TUNNELS';
const POLICY = 'policy:\n  request: {users: [U0ALICE]}\n  approve: {users: [U0ALICE]}\n';

const CLOUDFLARE_FAULTS = cloudflareFaults(TIMEOUT_MS * 3);

interface Cell {
  readonly service: string;
  readonly call: string;
  arm(world: World, conversation: FaultyConversation, fault: FaultKind): void;
}

const github = (call: string, method: string, path: RegExp): Cell => ({
  service: 'GitHub',
  call,
  arm: (world, _conversation, fault) => world.github.injectFault(method, path, GITHUB_FAULTS[fault]),
});

const cloudflare = (call: string, route: FakeRoute): Cell => ({
  service: 'Cloudflare',
  call,
  arm: (world, _conversation, fault) => world.cloudflare.injectFault(route, CLOUDFLARE_FAULTS[fault], 1),
});

const slack = (call: 'chat.postMessage' | 'chat.update'): Cell => ({
  service: 'Slack',
  call,
  arm: (_world, conversation, fault) =>
    conversation.failNext(call === 'chat.postMessage' ? 'post' : 'update', fault),
});

const ALL_CELLS: readonly Cell[] = [
  github('GET repository', 'GET', /^\/repos\/[^/]+\/[^/]+$/),
  github('GET branch', 'GET', /\/branches\//),
  github('GET tree', 'GET', /\/git\/trees\//),
  github('GET blob', 'GET', /\/git\/blobs\//),
  github('GET pulls (open PR lookup)', 'GET', /\/pulls$/),
  github('POST tree', 'POST', /\/git\/trees$/),
  github('POST commit', 'POST', /\/git\/commits$/),
  github('POST ref', 'POST', /\/git\/refs$/),
  github('POST pull', 'POST', /\/pulls$/),
  github('POST labels', 'POST', /\/issues\/\d+\/labels$/),
  cloudflare('create tunnel', 'tunnel.create'),
  slack('chat.postMessage'),
  slack('chat.update'),
];
// FAULT_CELL=text narrows the matrix to the calls whose name contains it, when looking into one.
const CELLS = process.env['FAULT_CELL']
  ? ALL_CELLS.filter((cell) => `${cell.service} ${cell.call}`.includes(process.env['FAULT_CELL']!))
  : ALL_CELLS;

/** "complete", "failed, told", or what is wrong: the cell's verdict. */
async function verdict(world: World, conversation: FaultyConversation, reply: Reply): Promise<string> {
  const tunnels = world.cloudflare.tunnels();
  const open = await world.git.listOpenTunnelbotPrs();
  const messages = [...conversation.views.values()];
  const states = messages.map((views) => views.at(-1)!.state);
  if (reply.ok) {
    if (open.length === 1 && tunnels.length === 1 && open[0]!.metadata?.tunnelId === tunnels[0]!.id) {
      if (states.length === 1 && states[0] === 'open') return 'complete';
      if (states.length === 0 && reply.text.includes(open[0]!.url)) return 'complete (PR link in the reply)';
      return `complete, but the message says ${states.join(', ') || 'nothing'}`;
    }
    return `ok with ${open.length} PRs and ${tunnels.length} tunnels`;
  }
  const left = [
    ...(tunnels.length > 0 ? [`${tunnels.length} tunnel(s)`] : []),
    ...(open.length > 0 ? [`${open.length} PR(s)`] : []),
    ...(branches(world).length > 1 ? ['a branch'] : []),
  ];
  if (left.length > 0) return `failed, left ${left.join(', ')}`;
  if (!reply.error || reply.error.kind !== 'upstream') return `failed as ${reply.error?.code ?? 'nothing'}`;
  if (states.length === 1 && states[0] === 'failed') return 'failed, told in the message';
  if (states.length === 0 && reply.text.includes(reply.error.code)) return 'failed, told in the reply';
  return `failed, but the message says ${states.join(', ')}`;
}

async function runCell(cell: Cell, fault: FaultKind): Promise<string> {
  const world = await startWorld('flux-example', { timeoutMs: TIMEOUT_MS });
  try {
    const fixture = readFixtureRepo('flux-example').files.get('.tunnelbot.yaml')!;
    const settings = parseSettings(`${fixture}\n${POLICY}`, '.tunnelbot.yaml');
    const conversation = new FaultyConversation(TIMEOUT_MS);
    const service = new RequestService({
      context: { ...world.context, settings },
      conversation,
      dnsAwaitsFlux: true,
    });
    cell.arm(world, conversation, fault);
    const reply = await service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
    // A cell whose fault no request met (something else failed first) tests nothing: it is reported as such.
    const reached =
      world.github.pendingFaults === 0 &&
      world.cloudflare.pendingFaults === 0 &&
      conversation.armed === undefined;
    if (!reached) return 'fault not reached';
    return await verdict(world, conversation, reply);
  } finally {
    await world.close();
  }
}

test('fault matrix of /expose: every upstream call x 5xx, 429, timeout, reset ends complete or cleanly failed', async (t) => {
  const rows: string[][] = [];
  // One call's four faults at a time: each run is a git repository and two servers on loopback.
  for (const cell of CELLS) {
    rows.push([
      `${cell.service} ${cell.call}`,
      ...(await Promise.all(FAULTS.map((fault) => runCell(cell, fault)))),
    ]);
  }
  printMatrix('fault matrix of /expose', rows, t);
  const good =
    /^(complete|complete \(PR link in the reply\)|failed, told in the message|failed, told in the reply)$/;
  assert.deepEqual(badCells(rows, good), [], 'every cell ends complete or cleanly failed');
});
