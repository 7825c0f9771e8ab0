import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedSet, setBounded } from '../../src/core/bounded-set.js';

test('a bounded set remembers the last `capacity` values and forgets the oldest first', () => {
  const set = new BoundedSet(3);
  for (const value of ['a', 'b', 'c']) assert.equal(set.add(value), true);
  assert.equal(set.add('b'), false, 'a value present is refused');
  assert.equal(set.add('d'), true);
  assert.equal(set.has('a'), false, 'the oldest is forgotten');
  assert.deepEqual(
    ['b', 'c', 'd'].map((value) => set.has(value)),
    [true, true, true],
  );
  assert.equal(set.size, 3);
  for (let i = 0; i < 10_000; i++) set.add(`v${i}`);
  assert.equal(set.size, 3);
  assert.deepEqual(
    ['v9997', 'v9998', 'v9999', 'v9996'].map((value) => set.has(value)),
    [true, true, true, false],
  );
});

test('a value deleted and added again is remembered from its new insertion, not forgotten with its old one', () => {
  const set = new BoundedSet(3);
  set.add('a');
  set.add('b');
  set.delete('a');
  assert.equal(set.has('a'), false);
  assert.equal(set.add('a'), true, 'a deleted value can be added again');
  set.add('c');
  // The ring slot of the first 'a' comes round now; the second 'a' must survive it.
  set.add('d');
  assert.equal(set.has('a'), true);
  assert.equal(set.has('b'), false);
  assert.equal(set.size, 3);
});

test('a bounded set needs a positive integer capacity', () => {
  assert.throws(() => new BoundedSet(0), RangeError);
  assert.throws(() => new BoundedSet(1.5), RangeError);
});

test('setBounded keeps the newest entries of a map, a key set again counting as new', () => {
  const map = new Map<string, number>();
  setBounded(map, 'a', 1, 2);
  setBounded(map, 'b', 2, 2);
  setBounded(map, 'a', 3, 2);
  setBounded(map, 'c', 4, 2);
  assert.deepEqual(
    [...map],
    [
      ['a', 3],
      ['c', 4],
    ],
  );
});
