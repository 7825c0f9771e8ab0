import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byCodeUnits } from '../../src/core/text-order.js';

test('byCodeUnits orders by code unit, not by locale: capitals first, then "-" before "." before "/" before "_"', () => {
  const sorted = ['b', 'a_b', 'a/b', 'B', 'a.b', 'a-b', 'a', 'A'].sort(byCodeUnits);
  assert.deepEqual(sorted, ['A', 'B', 'a', 'a-b', 'a.b', 'a/b', 'a_b', 'b']);
  // A locale's collation interleaves cases and ranks punctuation otherwise: the order would depend on the machine.
  assert.notDeepEqual(
    sorted,
    [...sorted].sort((x, y) => x.localeCompare(y, 'en')),
  );
  assert.equal(byCodeUnits('same', 'same'), 0);
});
