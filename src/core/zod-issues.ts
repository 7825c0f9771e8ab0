import type { z } from 'zod';

/**
 * The one way a schema problem reaches a person, for every zod schema of tunnelbot (environment, settings, PR
 * blocks, webhook bodies): the field, then what it must be, in words ("must not be empty"), never zod's own text
 * ("Too small: expected string to have >=1 characters"). A message the schema itself gives is kept.
 */

type Issue = z.core.$ZodIssue;

// zod's default messages all start so; anything else was written in our schemas for people.
const ZOD_DEFAULT = /^(Too small|Too big|Invalid|Unrecognized)/;

const KINDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  date: 'a date',
  bigint: 'a whole number',
};

/** What zod says it received, in words; only the kinds that JSON and YAML data can hold. */
const RECEIVED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty (null)',
  object: 'a mapping',
  array: 'a list',
};

function units(origin: string, count: number): string {
  if (origin === 'string') return `${count} character${count === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') return `${count} item${count === 1 ? '' : 's'}`;
  return String(count);
}

function sizeText(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const origin = String(issue.origin);
  const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  if (issue.code === 'too_small' && origin === 'string' && limit === 1) return 'must not be empty';
  if (issue.code === 'too_small' && (origin === 'array' || origin === 'set') && limit === 1)
    return 'must list at least one item';
  const bound = issue.code === 'too_small' ? 'at least' : 'at most';
  if (issue.inclusive === false) {
    const strict = issue.code === 'too_small' ? 'more than' : 'less than';
    return `must be ${strict} ${units(origin, limit)}`;
  }
  return origin === 'string' || origin === 'array' || origin === 'set'
    ? `must have ${bound} ${units(origin, limit)}`
    : `must be ${bound} ${limit}`;
}

/** What zod says the value was (`number`, `undefined`, `array`, …), read from its default message. */
export function receivedKind(issue: Issue): string | undefined {
  return issue.code === 'invalid_type' ? /received (\w+)$/.exec(issue.message)?.[1] : undefined;
}

/** What the value must be, in words. */
export function issueText(issue: Issue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const received = receivedKind(issue);
      if (received === 'undefined') return 'is required';
      const expected = `must be ${KINDS[issue.expected] ?? issue.expected}`;
      return received && RECEIVED[received] ? `${expected}, not ${RECEIVED[received]}` : expected;
    }
    case 'too_small':
    case 'too_big':
      return sizeText(issue);
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format === 'regex' ? 'value' : issue.format}`;
    case 'unrecognized_keys':
      return `has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')} (a typo?)`;
    case 'invalid_union':
      return 'does not match any accepted form';
    default:
      return 'is invalid';
  }
}

/** Longest path segment shown: a key comes from the input, which may be a forged 100 KiB string. */
const SEGMENT_MAX = 64;

function segment(key: PropertyKey): string {
  const text = String(key);
  return text.length > SEGMENT_MAX ? `${text.slice(0, SEGMENT_MAX)}…` : text;
}

/** `field.path: what it must be`, the path shown as `root` for the value as a whole. */
export function describeIssue(issue: Issue, root: string): string {
  const where = issue.path.length > 0 ? issue.path.map(segment).join('.') : root;
  return `${where}: ${issueText(issue)}`;
}

export function describeIssues(issues: readonly Issue[], root: string): string[] {
  return issues.map((issue) => describeIssue(issue, root));
}

/**
 * The first `limit` problems and how many more there are: for the answer to an HTTP body, which must stay short
 * however many fields a sender got wrong.
 */
export function describeFirstIssues(issues: readonly Issue[], root: string, limit = 3): string[] {
  const shown = describeIssues(issues.slice(0, limit), root);
  const more = issues.length - limit;
  return more > 0 ? [...shown, `and ${more} more`] : shown;
}
