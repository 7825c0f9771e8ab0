import fc from 'fast-check';
import { hostileString } from './fuzz.js';

/**
 * Structure-aware mutation of a JSON payload: one field (any depth) deleted, nulled, retyped, nested deep or made
 * huge, so a body is malformed in the one place a parser may trust it.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  }
  return here;
}

function deep(depth: number): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { nested: value };
  return value;
}

const replacement: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom<Json>(0, -1, 1.5, 1e308, true, false, '', [], {}, ['x'], { a: 1 }),
  hostileString,
  fc.integer({ min: 8, max: 2_000 }).map(deep),
  fc.integer({ min: 1, max: 70_000 }).map((n) => 'y'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** `base` with `count` (1-3) fields replaced by something of the wrong kind; undefined deletes the field. */
export function mutated(base: unknown): fc.Arbitrary<unknown> {
  const copy = JSON.parse(JSON.stringify(base)) as Json;
  const all = paths(copy);
  return fc.array(fc.tuple(fc.nat(), replacement), { minLength: 1, maxLength: 3 }).map((edits) => {
    const value = JSON.parse(JSON.stringify(copy)) as Json;
    for (const [index, next] of edits) {
      const path = all[index % all.length]!;
      let parent = value as Record<string | number, Json>;
      for (const key of path.slice(0, -1)) {
        const child = parent[key];
        if (child === null || typeof child !== 'object') break;
        parent = child as Record<string | number, Json>;
      }
      const last = path.at(-1)!;
      if (parent === null || typeof parent !== 'object') continue;
      if (next === undefined) delete parent[last];
      // A copy: fast-check hands out the same constant object ({}, ['x']) to every case, and a later edit of this
      // value would change it for all of them (or make it contain itself).
      else parent[last] = structuredClone(next);
    }
    return value;
  });
}

/** Raw bytes that are not the JSON they claim to be, or barely are. */
export const brokenJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '[]',
    'null',
    'true',
    '0',
    '"x"',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '\uFEFF{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    'NaN',
    '[1,2',
    '{"a":"\\ud800"}',
    '\u0000',
    `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  ),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.json({ maxDepth: 4 }),
);
