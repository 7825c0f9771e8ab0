/**
 * Go `regexp` (RE2 syntax, `regexp.Compile` = Perl flags) for ingress `path` filters.
 *
 * cloudflared compiles paths with Go's parser, which rejects much that JavaScript accepts (lookarounds,
 * backreferences, possessive quantifiers) and accepts some syntax JavaScript lacks (`(?U)`, `\Q…\E`, `\z`,
 * `[[:alpha:]]`, scoped flags). So the verdict comes from a parser that follows Go's rules and error texts,
 * and matching runs on a JavaScript RegExp translated from that parse, never on the raw pattern.
 */

export class Re2SyntaxError extends Error {
  override readonly name = 'Re2SyntaxError';
  constructor(
    readonly reason: string,
    readonly expr: string,
  ) {
    super(`error parsing regexp: ${reason}: \`${expr}\``);
  }
}

/** Valid for Go, but tunnelbot cannot evaluate it in JavaScript (a case-insensitive class inside a scoped flag). */
export class Re2UnsupportedError extends Error {
  override readonly name = 'Re2UnsupportedError';
}

const MISSING_REPEAT_ARGUMENT = 'missing argument to repetition operator';
const INVALID_REPEAT_OP = 'invalid nested repetition operator';
const INVALID_REPEAT_SIZE = 'invalid repeat count';
const MISSING_PAREN = 'missing closing )';
const UNEXPECTED_PAREN = 'unexpected )';
const MISSING_BRACKET = 'missing closing ]';
const INVALID_ESCAPE = 'invalid escape sequence';
const INVALID_CHAR_RANGE = 'invalid character class range';
const INVALID_PERL_OP = 'invalid or unsupported Perl syntax';
const INVALID_NAMED_CAPTURE = 'invalid named capture';
const TRAILING_BACKSLASH = 'trailing backslash at end of expression';
const NESTING_DEPTH = 'expression nests too deeply';

const MAX_REPEAT = 1000;
const MAX_NESTING = 1000;
const MAX_RUNE = 0x10ffff;

interface Flags {
  foldCase: boolean;
  multiLine: boolean;
  dotNL: boolean;
  nonGreedy: boolean;
}

type ClassItem =
  { kind: 'range'; lo: number; hi: number } | { kind: 'set'; source: string; negated: boolean };

type Node =
  | { kind: 'literal'; codePoint: number; foldCase: boolean }
  | { kind: 'class'; items: ClassItem[]; negated: boolean; foldCase: boolean }
  | { kind: 'source'; source: string }
  | { kind: 'group'; capture: boolean; alternatives: Node[][] }
  | { kind: 'repeat'; sub: Node; min: number; max: number; lazy: boolean; counted: boolean };

interface Frame {
  alternatives: Node[][];
  current: Node[];
  capture: boolean;
  /** Flags to restore when the group closes: flag changes inside a group end with it. */
  outerFlags: Flags;
}

const PERL_CLASSES: Record<string, { source: string; negated: boolean }> = {
  d: { source: '0-9', negated: false },
  D: { source: '0-9', negated: true },
  s: { source: '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}', negated: false },
  S: { source: '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}', negated: true },
  w: { source: '0-9A-Za-z_', negated: false },
  W: { source: '0-9A-Za-z_', negated: true },
};

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\u{9}\\u{20}',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '\\u{21}-\\u{7e}',
  lower: 'a-z',
  print: '\\u{20}-\\u{7e}',
  punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
  space: '\\u{9}-\\u{d}\\u{20}',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Go's unicode.Categories; scripts are checked against the JavaScript engine's Script property. */
const UNICODE_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);
/** Script long names of four letters; other four-letter names are ISO codes, which Go does not accept. */
const FOUR_LETTER_SCRIPTS = new Set(['Ahom', 'Cham', 'Kawi', 'Lisu', 'Modi', 'Newa', 'Thai', 'Toto']);

function unicodeClassSource(name: string): string | undefined {
  if (name === 'Any') return '\\u{0}-\\u{10ffff}';
  if (UNICODE_CATEGORIES.has(name)) return `\\p{${name}}`;
  if (!/^[A-Z][a-z]+(?:_[A-Z][a-z]+)*$/.test(name)) return undefined;
  if (name.length === 4 && !FOUR_LETTER_SCRIPTS.has(name)) return undefined;
  try {
    new RegExp(`\\p{Script=${name}}`, 'v');
    return `\\p{Script=${name}}`;
  } catch {
    return undefined;
  }
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

function isOctal(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '7';
}

function hexValue(char: string | undefined): number {
  if (char === undefined || !/^[0-9A-Fa-f]$/.test(char)) return -1;
  return parseInt(char, 16);
}

function isAsciiAlnum(char: string): boolean {
  return /^[0-9A-Za-z]$/.test(char);
}

function charAt(text: string, index: number): string | undefined {
  const codePoint = text.codePointAt(index);
  return codePoint === undefined ? undefined : String.fromCodePoint(codePoint);
}

/** Go's parseInt for repeat counts: no leading zeros; -1 when absurdly large (still a valid parse). */
function parseRepeatNumber(text: string, index: number): { value: number; next: number } | undefined {
  let end = index;
  while (isDigit(text[end])) end++;
  if (end === index) return undefined;
  const digits = text.slice(index, end);
  if (digits.length >= 2 && digits[0] === '0') return undefined;
  return { value: digits.length >= 8 ? -1 : Number(digits), next: end };
}

/** Go's parseRepeat: `{n}`, `{n,}`, `{n,m}`; anything else means `{` is a literal. */
function parseRepeat(text: string, index: number): { min: number; max: number; next: number } | undefined {
  const minPart = parseRepeatNumber(text, index + 1);
  if (!minPart) return undefined;
  let position = minPart.next;
  let min = minPart.value;
  let max = min;
  if (text[position] === ',') {
    position++;
    if (text[position] === '}') {
      max = -1;
    } else {
      const maxPart = parseRepeatNumber(text, position);
      if (!maxPart) return undefined;
      max = maxPart.value;
      position = maxPart.next;
      // As in Go: a too large maximum poisons the minimum, so the count is reported as invalid.
      if (max < 0) min = -1;
    }
  }
  if (text[position] !== '}') return undefined;
  return { min, max, next: position + 1 };
}

function repeatIsValid(node: Node, budget: number): boolean {
  let remaining = budget;
  if (node.kind === 'repeat' && node.counted) {
    let count = node.max;
    if (count === 0) return true;
    if (count < 0) count = node.min;
    if (count > remaining) return false;
    if (count > 0) remaining = Math.floor(remaining / count);
  }
  if (node.kind === 'repeat') return repeatIsValid(node.sub, remaining);
  if (node.kind === 'group') {
    return node.alternatives.every((alternative) =>
      alternative.every((sub) => repeatIsValid(sub, remaining)),
    );
  }
  return true;
}

class Parser {
  private position = 0;
  private flags: Flags = { foldCase: false, multiLine: false, dotNL: false, nonGreedy: false };
  private readonly frames: Frame[] = [];
  private frame: Frame;
  /** Start index of the repetition operator parsed in the previous step, for Go's "a**" rule. */
  private lastRepeat = -1;

  constructor(private readonly pattern: string) {
    this.frame = { alternatives: [], current: [], capture: false, outerFlags: this.flags };
  }

  parse(): Node {
    const text = this.pattern;
    while (this.position < text.length) {
      let repeatStart = -1;
      const char = text[this.position];
      switch (char) {
        case '(':
          if (text[this.position + 1] === '?') this.parseGroupFlags();
          else this.openGroup(true, { ...this.flags }, 1);
          break;
        case '|':
          this.frame.alternatives.push(this.frame.current);
          this.frame.current = [];
          this.position++;
          break;
        case ')':
          this.closeGroup();
          break;
        case '^':
          this.push({ kind: 'source', source: this.flags.multiLine ? '(?<![^\\u{a}])' : '^' });
          this.position++;
          break;
        case '$':
          this.push({ kind: 'source', source: this.flags.multiLine ? '(?![^\\u{a}])' : '$' });
          this.position++;
          break;
        case '.':
          this.push({ kind: 'source', source: this.flags.dotNL ? '[\\u{0}-\\u{10ffff}]' : '[^\\u{a}]' });
          this.position++;
          break;
        case '[':
          this.push(this.parseClass());
          break;
        case '*':
        case '+':
        case '?': {
          repeatStart = this.position;
          const [min, max] = char === '*' ? [0, -1] : char === '+' ? [1, -1] : [0, 1];
          this.repeat(min, max, false, this.position + 1);
          break;
        }
        case '{': {
          const counts = parseRepeat(text, this.position);
          if (!counts) {
            this.pushLiteral(0x7b);
            this.position++;
            break;
          }
          repeatStart = this.position;
          const { min, max, next } = counts;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            throw new Re2SyntaxError(INVALID_REPEAT_SIZE, text.slice(this.position, next));
          }
          this.repeat(min, max, true, next);
          break;
        }
        case '\\':
          this.parseEscapeAtom();
          break;
        default: {
          const literal = charAt(text, this.position) as string;
          this.pushLiteral(literal.codePointAt(0) as number);
          this.position += literal.length;
        }
      }
      this.lastRepeat = repeatStart;
    }
    if (this.frames.length > 0) throw new Re2SyntaxError(MISSING_PAREN, text);
    this.frame.alternatives.push(this.frame.current);
    return { kind: 'group', capture: false, alternatives: this.frame.alternatives };
  }

  private push(node: Node): void {
    this.frame.current.push(node);
  }

  private pushLiteral(codePoint: number): void {
    this.push({ kind: 'literal', codePoint, foldCase: this.flags.foldCase });
  }

  private openGroup(capture: boolean, innerFlags: Flags, length: number): void {
    if (this.frames.length >= MAX_NESTING) throw new Re2SyntaxError(NESTING_DEPTH, this.pattern);
    this.frames.push(this.frame);
    this.frame = { alternatives: [], current: [], capture, outerFlags: this.flags };
    this.flags = innerFlags;
    this.position += length;
  }

  private closeGroup(): void {
    const parent = this.frames.pop();
    if (!parent) throw new Re2SyntaxError(UNEXPECTED_PAREN, this.pattern);
    this.frame.alternatives.push(this.frame.current);
    const group: Node = { kind: 'group', capture: this.frame.capture, alternatives: this.frame.alternatives };
    this.flags = this.frame.outerFlags;
    this.frame = parent;
    this.push(group);
    this.position++;
  }

  private repeat(min: number, max: number, counted: boolean, afterOperator: number): void {
    const text = this.pattern;
    let after = afterOperator;
    let lazy = this.flags.nonGreedy;
    if (text[after] === '?') {
      after++;
      lazy = !lazy;
    }
    if (this.lastRepeat >= 0) throw new Re2SyntaxError(INVALID_REPEAT_OP, text.slice(this.lastRepeat, after));
    const sub = this.frame.current.pop();
    if (!sub) throw new Re2SyntaxError(MISSING_REPEAT_ARGUMENT, text.slice(this.position, after));
    const node: Node = { kind: 'repeat', sub, min, max, lazy, counted };
    if (counted && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      throw new Re2SyntaxError(INVALID_REPEAT_SIZE, text.slice(this.position, after));
    }
    this.push(node);
    this.position = after;
  }

  /** `(?…`: named captures, non-capturing groups and flag changes, as Go's parsePerlFlags. */
  private parseGroupFlags(): void {
    const text = this.pattern;
    const start = this.position;
    const rest = text.slice(start);
    const startsWithP = rest.length > 4 && rest[2] === 'P' && rest[3] === '<';
    const startsWithName = rest.length > 3 && rest[2] === '<';
    if (startsWithP || startsWithName) {
      const end = rest.indexOf('>');
      if (end < 0) throw new Re2SyntaxError(INVALID_NAMED_CAPTURE, rest);
      const name = rest.slice(startsWithP ? 4 : 3, end);
      if (!/^[_\p{L}\p{Nd}]+$/u.test(name)) {
        throw new Re2SyntaxError(INVALID_NAMED_CAPTURE, rest.slice(0, end + 1));
      }
      this.openGroup(true, { ...this.flags }, end + 1);
      return;
    }
    const flags = { ...this.flags };
    let negated = false;
    let sawFlag = false;
    let index = start + 2;
    while (index < text.length) {
      const char = charAt(text, index) as string;
      index += char.length;
      switch (char) {
        case 'i':
          flags.foldCase = !negated;
          sawFlag = true;
          continue;
        case 'm':
          flags.multiLine = !negated;
          sawFlag = true;
          continue;
        case 's':
          flags.dotNL = !negated;
          sawFlag = true;
          continue;
        case 'U':
          flags.nonGreedy = !negated;
          sawFlag = true;
          continue;
        case '-':
          if (negated) break;
          negated = true;
          sawFlag = false;
          continue;
        case ':':
        case ')':
          if (negated && !sawFlag) break;
          if (char === ':') {
            this.openGroup(false, flags, index - start);
          } else {
            this.flags = flags;
            this.position = index;
          }
          return;
      }
      break;
    }
    throw new Re2SyntaxError(INVALID_PERL_OP, text.slice(start, index));
  }

  private parseEscapeAtom(): void {
    const text = this.pattern;
    const next = text[this.position + 1];
    switch (next) {
      case 'A':
        this.push({ kind: 'source', source: '^' });
        this.position += 2;
        return;
      case 'z':
        this.push({ kind: 'source', source: '$' });
        this.position += 2;
        return;
      case 'b':
        this.push({ kind: 'source', source: '\\b' });
        this.position += 2;
        return;
      case 'B':
        this.push({ kind: 'source', source: '\\B' });
        this.position += 2;
        return;
      case 'C':
        throw new Re2SyntaxError(INVALID_ESCAPE, '\\C');
      case 'Q': {
        const end = text.indexOf('\\E', this.position + 2);
        const quoted = text.slice(this.position + 2, end < 0 ? text.length : end);
        for (const char of quoted) this.pushLiteral(char.codePointAt(0) as number);
        this.position = end < 0 ? text.length : end + 2;
        return;
      }
    }
    const unicode = this.parseUnicodeClass();
    if (unicode) {
      this.push({ kind: 'class', items: [unicode], negated: false, foldCase: this.flags.foldCase });
      return;
    }
    const perl = next === undefined ? undefined : PERL_CLASSES[next];
    if (perl) {
      this.push({
        kind: 'class',
        items: [{ kind: 'set', ...perl }],
        negated: false,
        foldCase: this.flags.foldCase,
      });
      this.position += 2;
      return;
    }
    this.pushLiteral(this.parseEscape());
  }

  /** `\pN`, `\p{Name}`, `\P{Name}`, `\p{^Name}` at the current position, or undefined when not there. */
  private parseUnicodeClass(): ClassItem | undefined {
    const text = this.pattern;
    const letter = text[this.position + 1];
    if (letter !== 'p' && letter !== 'P') return undefined;
    const start = this.position;
    let negated = letter === 'P';
    let name: string;
    let end: number;
    if (text[start + 2] === '{') {
      const close = text.indexOf('}', start + 2);
      if (close < 0) throw new Re2SyntaxError(INVALID_CHAR_RANGE, text.slice(start));
      name = text.slice(start + 3, close);
      end = close + 1;
    } else {
      const single = charAt(text, start + 2) ?? '';
      name = single;
      end = start + 2 + single.length;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const source = unicodeClassSource(name);
    if (source === undefined) throw new Re2SyntaxError(INVALID_CHAR_RANGE, text.slice(start, end));
    this.position = end;
    return { kind: 'set', source, negated };
  }

  /** Go's parseEscape: a single escaped character, returned as a code point. */
  private parseEscape(): number {
    const text = this.pattern;
    const start = this.position;
    if (start + 1 >= text.length) throw new Re2SyntaxError(TRAILING_BACKSLASH, '');
    const char = charAt(text, start + 1) as string;
    let index = start + 1 + char.length;
    const fail = (): never => {
      throw new Re2SyntaxError(INVALID_ESCAPE, text.slice(start, index));
    };
    if (char >= '1' && char <= '7' && !isOctal(text[index])) fail();
    if (char >= '0' && char <= '7') {
      let value = Number(char);
      for (let digits = 1; digits < 3 && isOctal(text[index]); digits++) {
        value = value * 8 + Number(text[index]);
        index++;
      }
      this.position = index;
      return value;
    }
    if (char === 'x') {
      if (index >= text.length) fail();
      const first = charAt(text, index) as string;
      index += first.length;
      if (first === '{') {
        let value = 0;
        let digits = 0;
        for (;;) {
          if (index >= text.length) fail();
          const digit = charAt(text, index) as string;
          index += digit.length;
          if (digit === '}') break;
          const nibble = hexValue(digit);
          if (nibble < 0) fail();
          value = value * 16 + nibble;
          if (value > MAX_RUNE) fail();
          digits++;
        }
        if (digits === 0) fail();
        this.position = index;
        return value;
      }
      const second = charAt(text, index);
      index += second?.length ?? 0;
      const high = hexValue(first);
      const low = hexValue(second);
      if (high < 0 || low < 0) fail();
      this.position = index;
      return high * 16 + low;
    }
    const controls: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    const control = controls[char];
    if (control !== undefined) {
      this.position = index;
      return control;
    }
    if (char.length === 1 && char.charCodeAt(0) < 0x80 && !isAsciiAlnum(char)) {
      this.position = index;
      return char.charCodeAt(0);
    }
    return fail();
  }

  /** Go's parseClass: `[…]` with ranges, POSIX names, Perl and Unicode classes. */
  private parseClass(): Node {
    const text = this.pattern;
    const wholeClass = text.slice(this.position);
    const items: ClassItem[] = [];
    let negated = false;
    this.position++;
    if (text[this.position] === '^') {
      negated = true;
      this.position++;
    }
    let first = true;
    while (this.position >= text.length || text[this.position] !== ']' || first) {
      first = false;
      if (text.startsWith('[:', this.position)) {
        const close = text.indexOf(':]', this.position + 2);
        if (close >= 0) {
          const rawName = text.slice(this.position + 2, close);
          const posixNegated = rawName.startsWith('^');
          const source = POSIX_CLASSES[posixNegated ? rawName.slice(1) : rawName];
          if (source === undefined) {
            throw new Re2SyntaxError(INVALID_CHAR_RANGE, text.slice(this.position, close + 2));
          }
          items.push({ kind: 'set', source, negated: posixNegated });
          this.position = close + 2;
          continue;
        }
      }
      if (text[this.position] === '\\') {
        const unicode = this.parseUnicodeClass();
        if (unicode) {
          items.push(unicode);
          continue;
        }
        const perl = PERL_CLASSES[text[this.position + 1] ?? ''];
        if (perl) {
          items.push({ kind: 'set', ...perl });
          this.position += 2;
          continue;
        }
      }
      const rangeStart = this.position;
      const lo = this.parseClassChar(wholeClass);
      let hi = lo;
      if (text[this.position] === '-' && this.position + 1 < text.length && text[this.position + 1] !== ']') {
        this.position++;
        hi = this.parseClassChar(wholeClass);
        if (hi < lo) throw new Re2SyntaxError(INVALID_CHAR_RANGE, text.slice(rangeStart, this.position));
      }
      items.push({ kind: 'range', lo, hi });
    }
    this.position++;
    return { kind: 'class', items, negated, foldCase: this.flags.foldCase };
  }

  private parseClassChar(wholeClass: string): number {
    const text = this.pattern;
    if (this.position >= text.length) throw new Re2SyntaxError(MISSING_BRACKET, wholeClass);
    if (text[this.position] === '\\') return this.parseEscape();
    const char = charAt(text, this.position) as string;
    this.position += char.length;
    return char.codePointAt(0) as number;
  }
}

function escapeCodePoint(codePoint: number): string {
  const char = String.fromCodePoint(codePoint);
  return isAsciiAlnum(char) ? char : `\\u{${codePoint.toString(16)}}`;
}

/** The characters a case-insensitive Go literal matches, using the engine's own simple case folding. */
function caseVariants(codePoint: number): number[] {
  const char = String.fromCodePoint(codePoint);
  const folding = new RegExp(escapeCodePoint(codePoint), 'iv');
  const candidates = new Set<number>([codePoint]);
  for (const candidate of [
    char.toLowerCase(),
    char.toUpperCase(),
    '\u212a',
    '\u017f',
    '\u212b',
    '\u1e9e',
    'ß',
  ]) {
    const single = [...candidate];
    if (single.length === 1 && folding.test(candidate)) candidates.add(candidate.codePointAt(0) as number);
  }
  return [...candidates].sort((a, b) => a - b);
}

function classItemSource(item: ClassItem): string {
  if (item.kind === 'range') {
    return item.lo === item.hi
      ? escapeCodePoint(item.lo)
      : `${escapeCodePoint(item.lo)}-${escapeCodePoint(item.hi)}`;
  }
  return item.negated ? `[^${item.source}]` : `[${item.source}]`;
}

function translate(node: Node, globalFold: boolean): string {
  switch (node.kind) {
    case 'literal':
      if (!node.foldCase || globalFold) return escapeCodePoint(node.codePoint);
      return `[${caseVariants(node.codePoint).map(escapeCodePoint).join('')}]`;
    case 'class':
      if (node.foldCase && !globalFold) {
        throw new Re2UnsupportedError(
          'a character class inside a scoped (?i) flag cannot be evaluated; put (?i) at the start of the pattern',
        );
      }
      return `[${node.negated ? '^' : ''}${node.items.map(classItemSource).join('')}]`;
    case 'source':
      return node.source;
    case 'group': {
      const body = node.alternatives
        .map((alternative) => alternative.map((sub) => translate(sub, globalFold)).join(''))
        .join('|');
      return node.capture ? `(${body})` : `(?:${body})`;
    }
    case 'repeat': {
      const sub = `(?:${translate(node.sub, globalFold)})`;
      let operator: string;
      if (node.min === 0 && node.max === -1) operator = '*';
      else if (node.min === 1 && node.max === -1) operator = '+';
      else if (node.min === 0 && node.max === 1) operator = '?';
      else if (node.max === -1) operator = `{${node.min},}`;
      else if (node.min === node.max) operator = `{${node.min}}`;
      else operator = `{${node.min},${node.max}}`;
      return `${sub}${operator}${node.lazy ? '?' : ''}`;
    }
  }
}

function foldStates(node: Node, into: Set<boolean>): void {
  if (node.kind === 'literal' || node.kind === 'class') into.add(node.foldCase);
  else if (node.kind === 'repeat') foldStates(node.sub, into);
  else if (node.kind === 'group')
    node.alternatives.forEach((alt) => alt.forEach((sub) => foldStates(sub, into)));
}

/** Throws Re2SyntaxError with Go's message when Go's regexp.Compile would reject the pattern. */
export function checkRe2Syntax(pattern: string): void {
  new Parser(pattern).parse();
}

/**
 * A JavaScript RegExp matching what Go's compiled pattern matches (unanchored `MatchString` semantics).
 * Throws Re2SyntaxError (Go rejects it) or Re2UnsupportedError (valid, but not translatable).
 */
export function compileRe2(pattern: string): RegExp {
  const tree = new Parser(pattern).parse();
  const states = new Set<boolean>();
  foldStates(tree, states);
  const globalFold = states.has(true) && !states.has(false);
  return new RegExp(translate(tree, globalFold), globalFold ? 'iv' : 'v');
}
