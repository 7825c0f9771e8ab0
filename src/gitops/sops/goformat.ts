/**
 * How Go's yaml.v3 (the parser inside sops) types a plain scalar, and how sops turns a typed value into the bytes it
 * encrypts and hashes (`ToBytes`: strconv.Itoa, strconv.FormatFloat(v, 'f', -1, 64), True/False). Both ends must agree
 * byte for byte with Go or the MAC written here fails in `sops -d`.
 */

export type GoValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  /** An unquoted timestamp; `text` is Go's MarshalText (RFC3339Nano) of the parsed time. */
  | { readonly kind: 'time'; readonly text: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const GO_RESOLVE_MAP: ReadonlyMap<string, GoValue> = new Map<string, GoValue>([
  ...['true', 'True', 'TRUE'].map((text): [string, GoValue] => [text, { kind: 'bool', value: true }]),
  ...['false', 'False', 'FALSE'].map((text): [string, GoValue] => [text, { kind: 'bool', value: false }]),
  ...['', '~', 'null', 'Null', 'NULL'].map((text): [string, GoValue] => [text, { kind: 'null' }]),
  ...['.nan', '.NaN', '.NAN'].map((text): [string, GoValue] => [text, { kind: 'float', value: Number.NaN }]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((text): [string, GoValue] => [
    text,
    { kind: 'float', value: Number.POSITIVE_INFINITY },
  ]),
  ...['-.inf', '-.Inf', '-.INF'].map((text): [string, GoValue] => [
    text,
    { kind: 'float', value: Number.NEGATIVE_INFINITY },
  ]),
]);

/** yaml.v3's `yamlStyleFloat`: only these spellings reach strconv.ParseFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseInt(s, 0, 64): optional sign, then 0x/0o/0b prefixes or a leading 0 for octal. */
function parseGoInt(text: string): bigint | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, body = ''] = match;
  let magnitude: bigint;
  if (/^0[oO]/.test(body)) magnitude = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) magnitude = BigInt(`0o${body.slice(1)}`);
  else magnitude = BigInt(body.toLowerCase());
  const value = sign === '-' ? -magnitude : magnitude;
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/**
 * Plain integers above int64 that still fit uint64: yaml.v3 gives them a uint64, which sops cannot encrypt or hash
 * ("Could not convert unknown type"). Callers refuse them instead of silently changing the type.
 */
export function isUint64OnlyInteger(text: string): boolean {
  const plain = text.replaceAll('_', '');
  if (!/^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.test(plain)) return false;
  const body = /^0[0-7]+$/.test(plain) ? `0o${plain.slice(1)}` : plain.toLowerCase();
  const value = BigInt(body);
  return value > INT64_MAX && value < 2n ** 64n;
}

function parseGoFloat(text: string): number | undefined {
  const value = Number(text);
  // strconv.ParseFloat reports overflow as an error, so yaml.v3 keeps `1e400` a string.
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The type yaml.v3 gives an untagged plain scalar. Quoted and block scalars are always strings, and are not passed
 * here. Unquoted timestamps are reported as `time`; callers decide what to do with them.
 */
export function resolvePlainScalar(text: string): GoValue {
  const known = GO_RESOLVE_MAP.get(text);
  if (known) return known;
  const first = text[0] ?? '';
  if (first === '.') {
    const float = DOT_FLOAT.test(text) ? parseGoFloat(text) : undefined;
    return float === undefined ? { kind: 'str', value: text } : { kind: 'float', value: float };
  }
  if (!/[-+0-9]/.test(first)) return { kind: 'str', value: text };
  const time = parseYamlTimestamp(text);
  if (time !== undefined) return { kind: 'time', text: time };
  const plain = text.replaceAll('_', '');
  const int = parseGoInt(plain);
  if (int !== undefined) return { kind: 'int', value: int };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const float = parseGoFloat(plain);
    if (float !== undefined) return { kind: 'float', value: float };
  }
  return { kind: 'str', value: text };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * yaml.v3 tries Go time.Parse with `2006-1-2T15:4:5.999999999Z07:00` (also lower-case t), `2006-1-2 15:4:5.999999999`
 * and `2006-1-2`. Returns Go's MarshalText of the result (RFC3339Nano, trailing fraction zeros trimmed), or undefined.
 */
export function parseYamlTimestamp(text: string): string | undefined {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
      text,
    );
  if (!match) return undefined;
  const [, y, mo, d, tSeparator, spaceSeparator, h, mi, s, fraction, zone] = match;
  const hasTime = h !== undefined;
  if (hasTime && tSeparator !== undefined && zone === undefined) return undefined;
  if (hasTime && spaceSeparator !== undefined && zone !== undefined) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (zone !== undefined && zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) {
    return undefined;
  }
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const trimmedFraction = (fraction ?? '').replace(/0+$/, '');
  const offset = zone === undefined || /^[+-]00:00$/.test(zone) ? 'Z' : zone;
  return (
    `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}` +
    `${trimmedFraction ? `.${trimmedFraction}` : ''}${offset}`
  );
}

/** strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(value, -0)) return '-0';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const pointPosition = Number(exponentText) + 1;
  let text: string;
  if (pointPosition <= 0) text = `0.${'0'.repeat(-pointPosition)}${digits}`;
  else if (pointPosition >= digits.length) text = digits + '0'.repeat(pointPosition - digits.length);
  else text = `${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
  return value < 0 ? `-${text}` : text;
}

/** sops `ToBytes`: the plaintext that is encrypted and fed to the MAC. Null has none. */
export function goBytesText(value: Exclude<GoValue, { kind: 'null' }>): string {
  switch (value.kind) {
    case 'str':
      return value.value;
    case 'int':
      return value.value.toString();
    case 'float':
      return formatGoFloat(value.value);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'time':
      return value.text;
  }
}

/** YAML 1.1 spellings of booleans and nulls that yaml.v3 reads as strings but YAML 1.1 readers do not. */
const YAML11_SPECIAL = new Set(
  [
    'y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF',
    '~|null|Null|NULL|=|<<',
  ]
    .join('|')
    .split('|'),
);

/**
 * Whether a string must be written quoted so that Go yaml.v3, YAML 1.1 readers and YAML 1.2 core readers all read it
 * back as a string: anything another reader could take for a bool, null, number, timestamp or merge key. Quoting more
 * than necessary is harmless; quoting less changes types and breaks the MAC.
 */
export function mustQuoteString(value: string): boolean {
  if (value === '' || YAML11_SPECIAL.has(value)) return true;
  if (resolvePlainScalar(value).kind !== 'str') return true;
  if (/^[-+]?\.?[0-9]/.test(value)) return true;
  if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(value)) return true;
  return false;
}
