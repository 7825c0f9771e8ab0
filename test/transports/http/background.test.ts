import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackgroundWork } from '../../../src/transports/http/background.js';

test('drain waits for tracked work, and gives up at its bound on work that never ends', async () => {
  const work = new BackgroundWork();
  let finish!: () => void;
  const done: string[] = [];
  void work.track(new Promise<void>((resolve) => (finish = resolve)).then(() => done.push('finished')));
  const failing = work.track(Promise.reject(new Error('workflow failed')));
  await assert.rejects(failing, /workflow failed/, 'the caller still sees the rejection');
  setTimeout(finish, 20);
  assert.equal(await work.drain(5_000), true);
  assert.deepEqual(done, ['finished']);
  assert.equal(work.size, 0);

  void work.track(new Promise(() => {}));
  assert.equal(await work.drain(30), false);
  assert.equal(work.size, 1);
});
