import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Keys whose values never reach a log line, at any depth of a logged object or a child's bindings, in any case
 * (`TunnelSecret` in cloudflared's credentials, `authorization` in a request's headers). This is the last line of
 * defence, not the first: code should not log secret-bearing objects at all.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set(
  [
    'token',
    'secret',
    'tunnelSecret',
    'credentials',
    'authorization',
    'privateKey',
    'identity',
    'dataKey',
    'x-hub-signature-256',
    'x-signature',
    'x-slack-signature',
  ].map((key) => key.toLowerCase()),
);

const CENSORED = '[redacted]';

/** Deeper than this, an object is replaced whole: a secret can hide at any depth, and no log object needs ten. */
const MAX_DEPTH = 10;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/**
 * A copy to censor: a plain object's own fields, or an error that keeps its prototype, message, stack and cause, so
 * pino's error serializer reads it alike.
 */
function shallowCopy(value: object): Record<string, unknown> {
  if (!(value instanceof Error)) return { ...value };
  return Object.defineProperties(
    Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>,
    Object.getOwnPropertyDescriptors(value),
  );
}

/**
 * `value` with every secret-keyed value of its plain objects, arrays and errors replaced by `[redacted]`. Copy on
 * write: an object without secrets is returned as it is (the common case, so a log line costs a walk and no
 * allocation), and the caller's objects are never changed. pino's own `redact` option did this by path; with
 * `*.token`-style paths it ran every path against every field of every line, most of a webhook's logging cost.
 */
export function censorSecrets<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (depth >= MAX_DEPTH) return CENSORED as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const censored = censorSecrets(item, depth + 1);
      if (censored !== item) (copy ??= [...value])[i] = censored;
    }
    return (copy ?? value) as T;
  }
  // Plain data and errors only: a request, a socket or a client is no log data; pino's serializers (`req`, `res`)
  // reduce them afterwards, and walking them would cost more than the line.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null && !(value instanceof Error)) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const item = source[key];
    if (item === undefined) continue;
    const censored = isSecretKey(key) ? CENSORED : censorSecrets(item, depth + 1);
    if (censored !== item) (copy ??= shallowCopy(value))[key] = censored;
  }
  // An error's cause is not enumerable, and pino's serializer prints it.
  if (value instanceof Error && value.cause !== undefined) {
    const censored = censorSecrets(value.cause, depth + 1);
    if (censored !== value.cause) (copy ??= shallowCopy(value))['cause'] = censored;
  }
  return (copy ?? value) as T;
}

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = {
    level: process.env['LOG_LEVEL'] ?? 'info',
    ...options,
    formatters: { ...options.formatters, log: censorSecrets, bindings: censorSecrets },
  };
  const logger = destination ? pino(base, destination) : pino(base);
  // pino formats the root's bindings only; every child (fastify makes one per request) is an object created from
  // the root, so it inherits this and has its bindings censored too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, censorSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

export type { Logger };
