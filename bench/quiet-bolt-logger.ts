import type { Logger } from '@slack/bolt';

/** A Bolt logger that says nothing: the bare Bolt apps the benchmarks compare against log nothing either. */
export const quietBoltLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => 'error' as never,
  setName() {},
};
