import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRepoDir } from '../../src/cli/repo-dir.js';
import { parseFluxEvent } from '../../src/core/flux-event.js';
import { RequestService, DONE_LABELS, type Reply } from '../../src/requests/service.js';
import type { RequestView } from '../../src/requests/view.js';
import type { FakeRoute } from '../../src/sandbox/cloudflare/index.js';
import { SimulatedCluster } from '../../src/sandbox/cluster.js';
import {
  FAULTS,
  FaultyConversation,
  GITHUB_FAULTS,
  SLACK_CALL,
  badCells,
  branches,
  cloudflareFaults,
  distinctGitHubCalls,
  inPool,
  printMatrix,
  type ConversationMethod,
  type FaultKind,
} from '../helpers/fault-matrix.js';
import { kustomizationEvent } from '../helpers/flux.js';
import type { WorkflowContext } from '../../src/workflows/context.js';
import { settingsWith, startWorld, type World } from '../helpers/world.js';
import { figure } from '../helpers/figures.js';

/**
 * The fault matrix of a request's life after `/expose` (whose own matrix is fault-matrix.test.ts): approve, reject,
 * unexpose (its PR opened, then approved and carried out once Flux has applied it), and the reconciliation that
 * makes a live app's DNS record and repairs its Access application. Each flow runs once without faults; the calls
 * the fakes recorded for it (GitHub requests, Cloudflare routes, Slack conversation calls) are its rows, so a call
 * added to a flow gets its row without anyone listing it. Each call then meets each fault once, the first time the
 * flow makes it. A cell passes when the run ends complete, or complete after the system's own next round (Flux
 * delivers its event again, housekeeping runs), or failed with the person told what failed and nothing changed, after
 * which the person's retry completes it. Anything else (something left behind, a message that says the wrong thing,
 * a retry that cannot complete) is printed in the cell and fails the test.
 */

// Each call of the flow under test gives up after this long: a timeout cell waits for it, so it is short, and long
// enough for git work on a loaded machine (a call slow by accident fails its cell loudly, never passes it wrongly).
// Everything else (the setup, the retry, the next round) runs with SLOW_MS, so a busy machine cannot fail it.
const TIMEOUT_MS = 3_000;
const SLOW_MS = 30_000;
// A Cloudflare call that times out is answered this late, with its effect taken place: judged after it landed.
const LATE_MS = TIMEOUT_MS + 200;
const CONCURRENCY = 6;
const ALICE = { id: 'U0ALICE', name: 'Alice' };
const BOB = { id: 'U0BOB', name: 'Bob' };
const CHANNEL = 'C0TUNNELS';
const HOST = 'linkding.example.com';
const CLOUDFLARE_FAULTS = cloudflareFaults(LATE_MS);

interface Request {
  readonly number: number;
  /** The root message's ts. */
  readonly ts: string;
}

interface Run {
  readonly world: World;
  /** The service's context: its adapters are those with the short timeout only while the flow runs. */
  readonly context: { -readonly [K in keyof WorkflowContext]: WorkflowContext[K] };
  readonly patient: Pick<WorkflowContext, 'git' | 'cloudflare'>;
  readonly conversation: FaultyConversation;
  readonly service: RequestService;
  readonly cluster: SimulatedCluster;
  readonly policyId: string;
  expose?: Request;
  unexpose?: Request;
}

async function startRun(): Promise<Run> {
  const world = await startWorld('flux-example', { timeoutMs: TIMEOUT_MS });
  const staff = world.cloudflare.seedAccessPolicy('Staff', [{ email_domain: { domain: 'example.com' } }]);
  const settings = settingsWith(world, {
    access: { mode: 'required', teamName: 'tunnelbot-fake', policies: ['Staff'] },
    policy: { request: { users: [ALICE.id] }, approve: { users: [BOB.id] } },
  });
  const conversation = new FaultyConversation(TIMEOUT_MS);
  const patient = world.adapters(SLOW_MS);
  const context = { ...world.context, ...patient, settings };
  const service = new RequestService({ context, conversation, dnsAwaitsFlux: true });
  return {
    world,
    context,
    patient,
    conversation,
    service,
    cluster: new SimulatedCluster(world.cloudflare, settings),
    policyId: staff.id,
  };
}

// --- what the run looks like, read from the fakes and the conversation directly (no request that a fault meets) ---

function lastView(run: Run, ts: string | undefined): RequestView | undefined {
  return ts === undefined ? undefined : run.conversation.views.get(ts)?.at(-1);
}

function thread(run: Run, ts: string | undefined): string[] {
  return ts === undefined ? [] : (run.conversation.threads.get(ts) ?? []);
}

/** The newest root message of an action, and its ts. */
function newestMessage(
  run: Run,
  action: 'expose' | 'unexpose',
): { ts: string; view: RequestView } | undefined {
  const found = [...run.conversation.views.entries()].filter(
    ([, views]) => views[0]!.subject.action === action,
  );
  const newest = found.at(-1);
  return newest && { ts: newest[0], view: newest[1].at(-1)! };
}

function openPrs(run: Run): number[] {
  const open: number[] = [];
  for (let number = 1; run.world.github.pull(number); number += 1) {
    if (run.world.github.pull(number)!.state === 'open') open.push(number);
  }
  return open;
}

function pull(run: Run, request: Request | undefined) {
  return request === undefined ? undefined : run.world.github.pull(request.number);
}

/** The CNAMEs of HOST, the tunnels, the Access applications of HOST, as counts. */
function cloudflareCounts(run: Run): { records: number; tunnels: number; apps: number } {
  return {
    records: run.world.cloudflare.records().filter((record) => record.name === HOST).length,
    tunnels: run.world.cloudflare.tunnels().length,
    apps: run.world.cloudflare.accessApps().filter((app) => app.domain === HOST).length,
  };
}

/** What differs from the expected counts, in words. */
function countsDiffer(run: Run, expected: { records: number; tunnels: number; apps: number }): string[] {
  const actual = cloudflareCounts(run);
  return (['records', 'tunnels', 'apps'] as const).flatMap((key) =>
    actual[key] === expected[key] ? [] : [`${actual[key]} ${key === 'records' ? 'DNS record' : key}(s)`],
  );
}

function stateIs(view: RequestView | undefined, states: readonly string[], what: string): string[] {
  return view && states.includes(view.state) ? [] : [`${what} says ${view?.state ?? 'nothing'}`];
}

// --- steps a person, Flux or the timer takes ---

async function exposeStep(run: Run): Promise<void> {
  const reply = await run.service.expose(ALICE, { app: 'linkding', port: 9090 }, { channel: CHANNEL });
  assert.equal(reply.ok, true, reply.text);
  run.expose = { number: reply.pr!.number, ts: newestMessage(run, 'expose')!.ts };
}

async function unexposeStep(run: Run): Promise<Reply> {
  const reply = await run.service.unexpose(ALICE, { app: 'linkding' }, { channel: CHANNEL });
  if (reply.ok && reply.pr)
    run.unexpose = { number: reply.pr.number, ts: newestMessage(run, 'unexpose')!.ts };
  return reply;
}

/** Bob approves the request as its message shows it (pinned to the PR's head now). */
function approveStep(run: Run, request: Request): Promise<Reply> {
  const headSha = run.world.github.pull(request.number)!.headSha;
  return run.service.approve(BOB, { prNumber: request.number, headSha });
}

/**
 * Flux applies the default branch (cloudflared starts or stops in the fake) and notifies the bot of the request's
 * merge commit. An error is what Flux's notification gets back: it is logged here, and the next round tries again.
 */
async function fluxStep(run: Run, request: Request): Promise<void> {
  const { directory } = run.world.checkout();
  run.cluster.apply(readRepoDir(directory));
  const mergeSha = run.world.github.pull(request.number)!.mergeCommitSha;
  if (!mergeSha) return;
  const event = kustomizationEvent('ReconciliationSucceeded', { revision: `main@sha1:${mergeSha}` });
  try {
    await run.service.onFluxEvent(parseFluxEvent(event));
  } catch {
    // notification-controller gets the error and the event comes again (the next round).
  }
}

/** The system's own retry: Flux sends its event again for the newest merged request, and housekeeping runs. */
async function nextRound(run: Run): Promise<void> {
  const merged = [run.unexpose, run.expose].find((request) => pull(run, request)?.mergeCommitSha);
  if (merged) await fluxStep(run, merged);
  await run.service.housekeeping();
}

async function liveStep(run: Run): Promise<void> {
  await exposeStep(run);
  const approved = await approveStep(run, run.expose!);
  assert.equal(approved.ok, true, approved.text);
  await fluxStep(run, run.expose!);
  assert.equal(lastView(run, run.expose!.ts)?.state, 'live');
}

// --- the flows ---

interface Flow {
  readonly name: string;
  /** Brings the run to where the flow starts, with no fault armed. */
  setup(run: Run): Promise<void>;
  /** The flow: what a person does (a reply comes back), or what Flux or the timer does (no reply). */
  act(run: Run): Promise<Reply | undefined>;
  /** What is not yet as the complete flow leaves it; empty when complete. */
  missing(run: Run): string[];
  /** After a failure a person was told of: what is no longer as it was before the flow (left behind, half done). */
  changed(run: Run): string[];
  /** The person's retry after a failure they were told of. */
  retry(run: Run): Promise<Reply | undefined>;
}

/** An expose waiting for approval, as the flows approve and reject find it. */
function exposeUntouched(run: Run): string[] {
  const pr = pull(run, run.expose);
  return [
    ...(pr?.state === 'open' ? [] : [`the PR is ${pr?.mergedAt ? 'merged' : 'closed'}`]),
    ...stateIs(lastView(run, run.expose?.ts), ['open'], 'the message'),
    ...(branchesOf(run).length === 2 ? [] : ['its branch is gone']),
    ...countsDiffer(run, { records: 0, tunnels: 1, apps: 1 }),
  ];
}

/** A live app, as unexpose finds it. */
function liveUntouched(run: Run): string[] {
  return [
    ...stateIs(lastView(run, run.expose?.ts), ['live'], 'the expose message'),
    ...countsDiffer(run, { records: 1, tunnels: 1, apps: 1 }),
  ];
}

function branchesOf(run: Run): string[] {
  return branches(run.world);
}

const approveFlow: Flow = {
  name: 'approve',
  setup: exposeStep,
  act: (run) => approveStep(run, run.expose!),
  missing: (run) => [
    ...(pull(run, run.expose)?.mergedAt ? [] : ['the PR is not merged']),
    ...stateIs(lastView(run, run.expose!.ts), ['merged', 'live'], 'the message'),
    // Who approved it is in the thread, or in the message as it showed the merge.
    ...(thread(run, run.expose!.ts).some((text) => text.startsWith('Approved by')) ||
    run.conversation.views
      .get(run.expose!.ts)
      ?.some((view) => view.state === 'merged' && JSON.stringify(view).includes(BOB.id))
      ? []
      : ['the approver is not shown']),
    ...(openPrs(run).length === 0 ? [] : ['a PR is open']),
    ...countsDiffer(run, { records: cloudflareCounts(run).records, tunnels: 1, apps: 1 }),
  ],
  changed: exposeUntouched,
  retry: (run) => approveStep(run, run.expose!),
};

const rejectFlow: Flow = {
  name: 'reject',
  setup: exposeStep,
  act: (run) => run.service.reject(BOB, { prNumber: run.expose!.number }),
  missing: (run) => {
    const pr = pull(run, run.expose);
    return [
      ...(pr?.state === 'closed' && !pr.mergedAt ? [] : ['the PR is not closed']),
      ...(branchesOf(run).length === 1 ? [] : ['its branch is left']),
      ...stateIs(lastView(run, run.expose!.ts), ['rejected'], 'the message'),
      ...countsDiffer(run, { records: 0, tunnels: 0, apps: 0 }),
    ];
  },
  // Closing is the step that cannot be undone: a rejection that failed after it leaves the PR closed, and the
  // person's retry (Reject again) must finish the rest. A failure before it must have changed nothing.
  changed: (run) => (pull(run, run.expose)?.state === 'closed' ? [] : exposeUntouched(run)),
  retry: (run) => run.service.reject(BOB, { prNumber: run.expose!.number }),
};

const unexposeFlow: Flow = {
  name: 'unexpose (PR opened)',
  setup: liveStep,
  act: unexposeStep,
  missing: (run) => {
    const open = openPrs(run);
    const message = newestMessage(run, 'unexpose');
    return [
      ...(open.length === 1 && run.world.github.pull(open[0]!)!.headRef.includes('unexpose')
        ? []
        : [`${open.length} open PRs`]),
      ...stateIs(message?.view, ['open'], 'its message'),
      ...liveUntouched(run),
    ];
  },
  changed: (run) => {
    const message = newestMessage(run, 'unexpose');
    return [
      ...(openPrs(run).length === 0 ? [] : ['an open PR']),
      ...(branchesOf(run).length === 1 ? [] : ['a branch']),
      // A message posted for it must say that it failed, not that it is under way.
      ...(message === undefined ? [] : stateIs(message.view, ['failed'], 'its message')),
      ...liveUntouched(run),
    ];
  },
  retry: unexposeStep,
};

const unexposeMergedFlow: Flow = {
  name: 'unexpose (approved, applied by Flux)',
  async setup(run) {
    await liveStep(run);
    const reply = await unexposeStep(run);
    assert.equal(reply.ok, true, reply.text);
  },
  async act(run) {
    const reply = await approveStep(run, run.unexpose!);
    await fluxStep(run, run.unexpose!);
    return reply;
  },
  missing: (run) => {
    const pr = pull(run, run.unexpose);
    return [
      ...(pr?.mergedAt ? [] : ['the PR is not merged']),
      ...(pr?.labels.some((label) => label.name === DONE_LABELS.removed)
        ? []
        : ['the PR is not labelled removed']),
      ...stateIs(lastView(run, run.unexpose!.ts), ['removed'], 'its message'),
      ...(thread(run, run.unexpose!.ts).some((text) => text.startsWith('Removed '))
        ? []
        : ['nothing in the thread']),
      ...(branchesOf(run).length === 1 ? [] : ['a branch is left']),
      ...countsDiffer(run, { records: 0, tunnels: 0, apps: 0 }),
    ];
  },
  changed: (run) => [
    ...(pull(run, run.unexpose)?.state === 'open' ? [] : ['the PR is not open']),
    ...stateIs(lastView(run, run.unexpose?.ts), ['open'], 'its message'),
    ...liveUntouched(run),
  ],
  async retry(run) {
    const reply = await approveStep(run, run.unexpose!);
    await fluxStep(run, run.unexpose!);
    return reply;
  },
};

/** A merged expose whose cloudflared runs: Flux's event makes its DNS record and tells the thread it is live. */
const reconcileFlow: Flow = {
  name: 'reconcile (Flux event: DNS record, live)',
  async setup(run) {
    await exposeStep(run);
    const approved = await approveStep(run, run.expose!);
    assert.equal(approved.ok, true, approved.text);
  },
  async act(run) {
    await fluxStep(run, run.expose!);
    return undefined;
  },
  missing: (run) => {
    const pr = pull(run, run.expose);
    const tunnel = run.world.cloudflare.tunnels()[0];
    const record = run.world.cloudflare.records().find((found) => found.name === HOST);
    return [
      ...(record?.type === 'CNAME' && tunnel && record.content === `${tunnel.id}.cfargotunnel.com`
        ? []
        : ['no CNAME to the tunnel']),
      ...(pr?.labels.some((label) => label.name === DONE_LABELS.live) ? [] : ['the PR is not labelled live']),
      ...stateIs(lastView(run, run.expose!.ts), ['live'], 'the message'),
      ...(thread(run, run.expose!.ts).some((text) => text.startsWith('Live at'))
        ? []
        : ['no "Live at" in the thread']),
      ...countsDiffer(run, { records: 1, tunnels: 1, apps: 1 }),
    ];
  },
  changed: () => ['nobody is told of a failed Flux event'],
  retry: async () => undefined,
};

/** Someone deleted a live app's Access application by hand: housekeeping makes it again and tells the thread. */
const driftFlow: Flow = {
  name: 'reconcile (housekeeping: Access drift repaired)',
  async setup(run) {
    await liveStep(run);
    run.world.cloudflare.deleteAccessAppByHand(run.world.cloudflare.accessApps()[0]!.id);
  },
  async act(run) {
    await run.service.housekeeping();
    return undefined;
  },
  missing: (run) => {
    const apps = run.world.cloudflare.accessApps().filter((app) => app.domain === HOST);
    return [
      ...(apps.length === 1 && apps[0]!.policyIds.includes(run.policyId)
        ? []
        : ['no application with the policy']),
      ...(thread(run, run.expose!.ts).some((text) => text.includes('was missing'))
        ? []
        : ['the thread is not told']),
      ...stateIs(lastView(run, run.expose!.ts), ['live'], 'the message'),
      ...countsDiffer(run, { records: 1, tunnels: 1, apps: 1 }),
    ];
  },
  changed: () => ['nobody is told of a failed housekeeping round'],
  retry: async () => undefined,
};

const FLOWS: readonly Flow[] = [
  approveFlow,
  rejectFlow,
  unexposeFlow,
  unexposeMergedFlow,
  reconcileFlow,
  driftFlow,
];

// --- cells ---

/** The flow under test, with the short timeout. */
async function actImpatiently(run: Run, flow: Flow): Promise<Reply | undefined> {
  run.context.git = run.world.context.git;
  run.context.cloudflare = run.world.context.cloudflare;
  try {
    return await flow.act(run);
  } finally {
    run.context.git = run.patient.git;
    run.context.cloudflare = run.patient.cloudflare;
  }
}

interface Cell {
  readonly flow: Flow;
  readonly name: string;
  arm(run: Run, fault: FaultKind): void;
}

/** The flow once without faults: it must complete, and the calls the fakes recorded during it are its cells. */
async function discover(flow: Flow): Promise<{ cells: Cell[]; millis: number }> {
  const run = await startRun();
  try {
    await flow.setup(run);
    const github = run.world.github.requests.length;
    const cloudflare = run.world.cloudflare.requests.length;
    const slack = run.conversation.calls.length;
    const started = performance.now();
    const reply = await actImpatiently(run, flow);
    const millis = performance.now() - started;
    assert.ok(reply === undefined || reply.ok, `${flow.name} without faults: ${reply?.text}`);
    assert.deepEqual(flow.missing(run), [], `${flow.name} without faults completes`);
    const routes = [
      ...new Set(run.world.cloudflare.requests.slice(cloudflare).flatMap((request) => request.route ?? [])),
    ];
    const methods = [...new Set(run.conversation.calls.slice(slack))];
    const cells: Cell[] = [
      ...distinctGitHubCalls(run.world.github.requests.slice(github)).map((call) => ({
        flow,
        name: `GitHub ${call.name}`,
        arm: (armed: Run, fault: FaultKind) =>
          armed.world.github.injectFault(call.method, call.path, GITHUB_FAULTS[fault]),
      })),
      ...routes.map((route: FakeRoute) => ({
        flow,
        name: `Cloudflare ${route}`,
        arm: (armed: Run, fault: FaultKind) =>
          armed.world.cloudflare.injectFault(route, CLOUDFLARE_FAULTS[fault], 1),
      })),
      ...methods.map((method: ConversationMethod) => ({
        flow,
        name: `Slack ${SLACK_CALL[method]}`,
        arm: (armed: Run, fault: FaultKind) => armed.conversation.failNext(method, fault),
      })),
    ];
    return { cells, millis };
  } finally {
    await run.world.close();
  }
}

/** Whether the person was told what failed: the request's message shows the failure, or the reply names it. */
function told(run: Run, reply: Reply): boolean {
  const code = reply.error!.code;
  if (reply.text.includes(code)) return true;
  return [...run.conversation.views.values()].some((views) => views.at(-1)!.problem?.code === code);
}

async function runCell(cell: Cell, fault: FaultKind): Promise<string> {
  const run = await startRun();
  try {
    await cell.flow.setup(run);
    cell.arm(run, fault);
    const reply = await actImpatiently(run, cell.flow);
    const reached =
      run.world.github.pendingFaults === 0 &&
      run.world.cloudflare.pendingFaults === 0 &&
      run.conversation.armed === undefined;
    if (!reached) return 'fault not reached';
    // A Cloudflare call that timed out still takes effect, a little later: judge once it has.
    if (fault === 'timeout' && cell.name.startsWith('Cloudflare')) {
      await new Promise((resolve) => setTimeout(resolve, LATE_MS - TIMEOUT_MS + 100));
    }
    if (cell.flow.missing(run).length === 0) return 'complete';
    if (reply === undefined || reply.ok) {
      // Accepted, or nobody to tell (Flux, the timer): the next round must finish it.
      await nextRound(run);
      const missing = cell.flow.missing(run);
      return missing.length === 0 ? 'complete after the next round' : `incomplete: ${missing.join(', ')}`;
    }
    if (reply.error?.kind !== 'upstream') return `failed as ${reply.error?.code ?? 'nothing'}`;
    if (!told(run, reply)) return 'failed, not told';
    const changed = cell.flow.changed(run);
    if (changed.length > 0) return `failed, but ${changed.join(', ')}`;
    const retried = await cell.flow.retry(run);
    const missing = cell.flow.missing(run);
    if (missing.length > 0) {
      return `failed, told; the retry ${retried?.ok === false ? `failed (${retried.error?.code})` : 'left'} ${missing.join(', ')}`;
    }
    return 'failed, told; retry complete';
  } catch (error) {
    return `threw ${(error as Error).message.split('\n')[0]}`;
  } finally {
    await run.world.close();
  }
}

const GOOD = /^(complete|complete after the next round|failed, told; retry complete)$/;

/**
 * Cells known to end badly, each for a reason in src/ not fixed yet: the test fails on any other bad cell; a listed
 * one that ends well is said in a diagnostic (its entry can then go). Matched against `flow: call`.
 */
const KNOWN_GAPS: readonly { readonly cell: RegExp; readonly why: string }[] = [
  {
    cell: /^reconcile \(Flux event: DNS record, live\): Slack chat\.postMessage \(thread\)/,
    why: 'the "Live at" line comes after the live label, so a failed line is not posted again (by design: never twice)',
  },
];

// FAULT_MATRIX=full faults every call of every flow; by default a call is faulted in the first flow that makes it
// (the same step of the same workflow in the later ones), which keeps the matrix within its time.
const FULL = process.env['FAULT_MATRIX'] === 'full';

test('fault matrix of approve, reject, unexpose and reconcile: every upstream call x 5xx, 429, timeout, reset', async (t) => {
  const started = performance.now();
  const discovered = await inPool(FLOWS, CONCURRENCY, discover);
  // FAULT_CELL=regex narrows the matrix to the cells whose `flow: call` matches, when looking into one.
  const narrow = process.env['FAULT_CELL'] ? new RegExp(process.env['FAULT_CELL']) : undefined;
  const seen = new Set<string>();
  const cells = discovered
    .flatMap((found) => found.cells)
    .filter((cell) => FULL || (!seen.has(cell.name) && seen.add(cell.name)))
    .filter((cell) => !narrow || narrow.test(`${cell.flow.name}: ${cell.name}`));
  const outcomes = await inPool(
    cells.flatMap((cell) => FAULTS.map((fault) => ({ cell, fault }))),
    CONCURRENCY,
    async ({ cell, fault }) => {
      // A busy machine can time a call out before the armed one is made: such a run tests nothing, so it runs again.
      const first = await runCell(cell, fault);
      return first === 'fault not reached' ? runCell(cell, fault) : first;
    },
  );
  const unexpected: string[] = [];
  const stillKnown = new Set<string>();
  const fixed: string[] = [];
  for (const flow of FLOWS) {
    const rows = cells.flatMap((cell, index) =>
      cell.flow === flow
        ? [[cell.name, ...outcomes.slice(index * FAULTS.length, (index + 1) * FAULTS.length)]]
        : [],
    );
    if (rows.length === 0) continue;
    printMatrix(`fault matrix of ${flow.name}`, rows);
    const bad = new Set(badCells(rows, GOOD).map((cell) => `${flow.name}: ${cell}`));
    for (const cell of bad) {
      const known = KNOWN_GAPS.find((gap) => gap.cell.test(cell));
      if (known) stillKnown.add(known.why);
      else unexpected.push(cell);
    }
    for (const row of rows) {
      const name = `${flow.name}: ${row[0]}`;
      const known = KNOWN_GAPS.some((gap) => gap.cell.test(name));
      if (known && row.slice(1).every((outcome) => GOOD.test(outcome))) fixed.push(name);
    }
  }
  console.log(
    `\n${cells.length} calls x ${FAULTS.length} faults = ${outcomes.length} runs in ${Math.round(performance.now() - started)} ms` +
      (stillKnown.size > 0 ? `\nknown gaps:\n${[...stillKnown].map((why) => `- ${why}`).join('\n')}` : ''),
  );
  const good = outcomes.filter((outcome) => GOOD.test(outcome)).length;
  figure(t, 'fault matrix of approve, reject, unexpose and reconcile', {
    calls: cells.length,
    runs: outcomes.length,
    endedCompleteOrCleanlyFailed: good,
    knownGaps: stillKnown.size,
  });
  // Some gaps depend on timing (a call that times out under load, or not): one that ended well this time is said,
  // not failed on, so the list shrinks by hand once a fix lands.
  if (fixed.length > 0) t.diagnostic(`known gaps that ended well this run: ${fixed.join('; ')}`);
  assert.deepEqual(unexpected, [], 'every cell ends complete or cleanly failed');
});
