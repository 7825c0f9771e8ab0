/**
 * `.sops.yaml` and the `sops` metadata hold Go RE2 patterns. JavaScript regexes differ (`\s` is wider, `[]a]` means
 * something else, `(?P<n>)`, `\A`, `\z`, `\Q…\E`, POSIX classes and `(?i)` are not JS), so patterns are translated
 * token by token into an equivalent `u`-mode RegExp, and anything without a faithful translation is rejected with a
 * reason instead of silently matching differently.
 */

export class GoRegexError extends Error {}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7F}',
  blank: '\\t ',
  cntrl: '\\u{0}-\\u{1F}\\u{7F}',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const GENERAL_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

const GO_SPACE = '\\t\\n\\f\\r ';

function literal(char: string): string {
  return /[0-9A-Za-z_]/.test(char) ? char : `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
}

interface Cursor {
  readonly source: string;
  index: number;
}

function unicodeProperty(cursor: Cursor, negated: boolean): string {
  const { source } = cursor;
  let name: string;
  if (source[cursor.index] === '{') {
    const close = source.indexOf('}', cursor.index);
    if (close < 0) throw new GoRegexError('unterminated \\p{…} class');
    name = source.slice(cursor.index + 1, close);
    cursor.index = close + 1;
  } else {
    name = source[cursor.index] ?? '';
    cursor.index += 1;
  }
  if (name.startsWith('^')) {
    negated = !negated;
    name = name.slice(1);
  }
  if (!/^[A-Za-z_]+$/.test(name)) throw new GoRegexError(`invalid Unicode class name "${name}"`);
  const p = negated ? 'P' : 'p';
  if (name === 'Any') return negated ? '[^\\u{0}-\\u{10FFFF}]' : '[\\u{0}-\\u{10FFFF}]';
  return GENERAL_CATEGORIES.has(name) ? `\\${p}{${name}}` : `\\${p}{Script=${name}}`;
}

/** One escape sequence starting after the backslash; `inClass` limits it to what a class may contain. */
function escape(cursor: Cursor, inClass: boolean): string {
  const { source } = cursor;
  const char = source[cursor.index];
  if (char === undefined) throw new GoRegexError('trailing backslash');
  cursor.index += 1;
  switch (char) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 't':
    case 'n':
    case 'f':
    case 'r':
    case 'v':
      return `\\${char}`;
    case 'a':
      return '\\u{7}';
    case 's':
      return inClass ? GO_SPACE : `[${GO_SPACE}]`;
    case 'S':
      if (inClass) throw new GoRegexError('\\S inside a character class has no exact JavaScript equivalent');
      return `[^${GO_SPACE}]`;
    case 'b':
    case 'B':
      if (inClass) throw new GoRegexError(`\\${char} is not allowed inside a character class`);
      return `\\${char}`;
    case 'A':
      if (inClass) throw new GoRegexError('\\A is not allowed inside a character class');
      return '(?<![\\s\\S])';
    case 'z':
      if (inClass) throw new GoRegexError('\\z is not allowed inside a character class');
      return '(?![\\s\\S])';
    case 'p':
    case 'P': {
      const property = unicodeProperty(cursor, char === 'P');
      if (inClass && property.startsWith('[')) throw new GoRegexError('\\p{Any} inside a character class');
      return property;
    }
    case 'x': {
      if (source[cursor.index] === '{') {
        const close = source.indexOf('}', cursor.index);
        const hex = close < 0 ? '' : source.slice(cursor.index + 1, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) {
          throw new GoRegexError('invalid \\x{…} escape');
        }
        cursor.index = close + 1;
        return `\\u{${hex}}`;
      }
      const hex = source.slice(cursor.index, cursor.index + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new GoRegexError('invalid \\x escape');
      cursor.index += 2;
      return `\\u{${hex}}`;
    }
    case 'Q': {
      const end = source.indexOf('\\E', cursor.index);
      const quoted = source.slice(cursor.index, end < 0 ? source.length : end);
      cursor.index = end < 0 ? source.length : end + 2;
      return [...quoted].map(literal).join('');
    }
    default:
      if (/[0-9A-Za-z]/.test(char)) throw new GoRegexError(`invalid or unsupported escape \\${char}`);
      return literal(char);
  }
}

function characterClass(cursor: Cursor): string {
  const { source } = cursor;
  let out = '[';
  if (source[cursor.index] === '^') {
    out += '^';
    cursor.index += 1;
  }
  let first = true;
  for (;;) {
    const char = source[cursor.index];
    if (char === undefined) throw new GoRegexError('missing closing ]');
    if (char === ']' && !first) {
      cursor.index += 1;
      return `${out}]`;
    }
    first = false;
    if (char === '[' && source[cursor.index + 1] === ':') {
      const close = source.indexOf(':]', cursor.index + 2);
      const name = close < 0 ? '' : source.slice(cursor.index + 2, close);
      const expansion = POSIX_CLASSES[name];
      if (expansion === undefined) {
        throw new GoRegexError(
          `unsupported POSIX class [:${name}:] (negated POSIX classes are not translated)`,
        );
      }
      out += expansion;
      cursor.index = close + 2;
    } else if (char === '\\') {
      cursor.index += 1;
      out += escape(cursor, true);
    } else if (char === '-') {
      out += '-';
      cursor.index += 1;
    } else {
      const codePoint = source.codePointAt(cursor.index) ?? 0;
      const text = String.fromCodePoint(codePoint);
      out += literal(text);
      cursor.index += text.length;
    }
  }
}

function group(cursor: Cursor): string {
  const { source } = cursor;
  const rest = source.slice(cursor.index);
  if (!rest.startsWith('?')) return '(';
  const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
  if (named) {
    cursor.index += named[0].length;
    return `(?<${named[1]}>`;
  }
  if (rest.startsWith('?:')) {
    cursor.index += 2;
    return '(?:';
  }
  if (/^\?<?[=!]/.test(rest)) throw new GoRegexError('lookaround assertions are not RE2 syntax');
  throw new GoRegexError('inline flags are only supported at the very start of the pattern, e.g. (?i)');
}

const REPETITION = /^\{(\d+)(,(\d*))?\}/;

/** Translates a Go RE2 pattern into an equivalent JavaScript RegExp, or throws GoRegexError saying why it cannot. */
export function compileGoRegex(pattern: string): RegExp {
  let flags = 'u';
  const leadingFlags = /^\(\?([imsU]+)\)/.exec(pattern);
  const cursor: Cursor = { source: pattern, index: 0 };
  if (leadingFlags) {
    const letters = leadingFlags[1] ?? '';
    if (letters.includes('U')) throw new GoRegexError('the ungreedy flag (?U) has no JavaScript equivalent');
    flags += [...new Set(letters)].join('');
    cursor.index = leadingFlags[0].length;
  }
  let out = '';
  while (cursor.index < pattern.length) {
    const char = pattern[cursor.index] ?? '';
    cursor.index += 1;
    if (char === '\\') out += escape(cursor, false);
    else if (char === '[') out += characterClass(cursor);
    else if (char === '(') out += group(cursor);
    else if (char === '{') {
      const repetition = REPETITION.exec(pattern.slice(cursor.index - 1));
      if (repetition && Number(repetition[1]) <= 1000 && Number(repetition[3] || 0) <= 1000) {
        out += repetition[0];
        cursor.index += repetition[0].length - 1;
      } else {
        out += '\\{';
      }
    } else if (char === '}') out += '\\}';
    else if (char === ']') out += '\\]';
    // Without (?s), RE2's dot excludes only \n; JavaScript's also excludes \r, U+2028 and U+2029.
    else if (char === '.' && !flags.includes('s')) out += '[^\\n]';
    else out += char;
  }
  try {
    return new RegExp(out, flags);
  } catch (error) {
    throw new GoRegexError((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}
