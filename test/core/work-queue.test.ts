import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from '../../src/core/work-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('at most `concurrency` tasks run at once, and the waiting ones start in arrival order', async () => {
  const queue = new WorkQueue(2);
  const gates = Array.from({ length: 5 }, deferred);
  const started: number[] = [];
  const results = gates.map((gate, i) =>
    queue.run(async () => {
      started.push(i);
      await gate.promise;
      return i * 10;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(queue.size, { running: 2, waiting: 3 });
  gates[1]!.resolve();
  await results[1];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2], 'the freed turn goes to the oldest waiting task');
  for (const gate of gates) gate.resolve();
  assert.deepEqual(await Promise.all(results), [0, 10, 20, 30, 40]);
  assert.deepEqual(queue.size, { running: 0, waiting: 0 });
});

test('a failing task frees its turn and its error reaches its caller alone', async () => {
  const queue = new WorkQueue(1);
  const failing = queue.run(async () => {
    throw new Error('boom');
  });
  const next = queue.run(async () => 'next');
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'next');
  assert.deepEqual(queue.size, { running: 0, waiting: 0 });
});

test('a newcomer does not jump the line while a turn passes on', async () => {
  const queue = new WorkQueue(1);
  const order: string[] = [];
  const first = deferred();
  const a = queue.run(async () => {
    await first.promise;
    order.push('a');
  });
  const b = queue.run(async () => void order.push('b'));
  first.resolve();
  await a;
  // Arrives after a finished but before b got going: it must still come after b.
  const c = queue.run(async () => void order.push('c'));
  await Promise.all([b, c]);
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('a concurrency below 1 is refused', () => {
  assert.throws(() => new WorkQueue(0), /at least 1/);
  assert.throws(() => new WorkQueue(1.5), /at least 1/);
});
