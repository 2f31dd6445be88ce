// A small backtracking matcher for a subset of java.util.regex, enough for the
// patterns people write in Kafka's ssl.principal.mapping.rules (principal-mapping.ts).
// No AssemblyScript regex library builds with this compiler, and the rules must match
// as Java matches, so the semantics here follow java.util.regex.Pattern and Matcher:
// leftmost match, alternatives and quantifiers tried in priority order (greedy: more
// first; lazy: fewer first), the last iteration's text in a repeated group, `.` stopping
// at line terminators, `$` also before one final line terminator.
//
// Supported (anything else is refused when the pattern is compiled, with its position):
//   literals; `\` before a non-alphanumeric character (that character); \t \n \r \f \a \e
//   \xhh \uhhhh \cX; `.`; \d \D \w \W \s \S (ASCII, as Java without UNICODE_CHARACTER_CLASS);
//   classes [abc] [a-z] [^...] holding literals, escapes, ranges and \d \w \s \D \W \S;
//   groups (...) and (?:...); alternation |; anchors ^ $; quantifiers * + ? {n} {n,} {n,m},
//   greedy or lazy (a trailing ?), on anything that cannot match the empty string
//   (`?` on anything).
//   (?i) at the very start: Java's CASE_INSENSITIVE, which folds ASCII letters only.
// Refused: backreferences, lookaround, named groups, other inline flags, possessive
// quantifiers, \b \B \A \z \Z \G \p \Q..\E, nested or intersected classes.
//
// Matching is bounded: every step spends one unit of a StepBudget and every pending
// alternative one slot of a fixed stack; running out of either stops the match as
// GAVE_UP, never traps. Runs at connection setup, not per request.
//
// Within one matches() or find() call, a branch point (split instruction) reached again
// at a text position it was already tried at is not tried again: with no
// backreferences, what can follow from an instruction and a position does not depend on
// how it was reached, and a repeat visit can only come after the first one's every
// continuation failed (no loop may match the empty string, so no visit is reached from
// itself). This keeps patterns like (a|aa)*b linear in the text where plain backtracking
// is exponential; the result is the same, as the pruned paths all fail. Java prunes
// some of these loops too (Pattern.Loop remembers failed positions since JDK 9).

/** What a match attempt ended with. */
export const enum MatchResult { NoMatch = 0, Matched = 1, GaveUp = 2 }

/** Longest pattern compiled, in UTF-16 code units. */
export const MAX_PATTERN_CHARS: i32 = 4096;
/** Most capturing groups in one pattern. */
export const MAX_GROUPS: i32 = 99;
/** Largest bound in {n,m}. */
export const MAX_REPEAT: i32 = 1000;
/** Deepest nesting of groups (the parser and compiler recurse once per level). */
export const MAX_NESTING: i32 = 64;
/** Most instructions one pattern compiles to ({n,m} copies its operand). */
export const MAX_PROGRAM: i32 = 20000;
/** Most alternatives (backtrack points and capture restores) pending at once. */
export const MAX_BACKTRACK: i32 = 100000;
/** Most (branch point, text position) pairs remembered as tried; beyond it, plain backtracking. */
export const MAX_MEMO_BITS: i32 = 1 << 20;

const OP_CHAR: i32 = 0;
const OP_ANY: i32 = 1;
const OP_CLASS: i32 = 2;
const OP_NOT_CLASS: i32 = 3;
const OP_SPLIT: i32 = 4;
const OP_JMP: i32 = 5;
const OP_SAVE: i32 = 6;
const OP_BEGIN: i32 = 7;
const OP_END: i32 = 8;
const OP_MATCH: i32 = 9;
/** Words per instruction: opcode and two operands. */
const WORDS: i32 = 3;

const NODE_CHAR: i32 = 0;
const NODE_ANY: i32 = 1;
const NODE_CLASS: i32 = 2;
const NODE_GROUP: i32 = 3;
const NODE_CONCAT: i32 = 4;
const NODE_ALTERNATION: i32 = 5;
const NODE_REPEAT: i32 = 6;
const NODE_BEGIN: i32 = 7;
const NODE_END: i32 = 8;
const UNBOUNDED: i32 = -1;

/** How many steps a caller allows; shared by every match made for one decision. */
export class StepBudget {
  /** Whether some match stopped because this budget (or the backtrack stack) ran out. */
  exhausted: bool = false;
  constructor(public remaining: i64) {}
}

class Node {
  children: Node[] = [];
  /** NODE_CHAR: the code point; NODE_CLASS: index of its ranges; NODE_GROUP: group number, 0 when not capturing. */
  value: i32 = 0;
  negated: bool = false;
  min: i32 = 0;
  max: i32 = 0;
  greedy: bool = true;
  constructor(public kind: i32) {}
}

/** A pattern compiled, or why it was refused. */
export class RegexCompileResult {
  regex: Regex | null = null;
  error: string = "";
  /** Where in the pattern (UTF-16 index) the error is. */
  position: i32 = 0;
}

function isLineTerminator(c: i32): bool {
  return c == 0x0a || c == 0x0d || c == 0x85 || c == 0x2028 || c == 0x2029;
}

function isAsciiLetter(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The code point at `i` of `text` (a surrogate pair as one) and, through `width`, its length. */
function codePointAt(text: string, i: i32, length: i32): i32 {
  const c = <i32>text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
    const d = <i32>text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return c;
}

function widthOf(codePoint: i32): i32 {
  return codePoint > 0xffff ? 2 : 1;
}

/** Parses a pattern into nodes; the first error stops it. */
class Parser {
  pos: i32 = 0;
  error: string = "";
  errorAt: i32 = 0;
  groups: i32 = 0;
  depth: i32 = 0;
  /** Class ranges, pairs of inclusive code points, one array per class. */
  classes: Array<Array<i32>> = [];
  readonly length: i32;

  constructor(readonly text: string) {
    this.length = text.length;
  }

  fail(message: string, at: i32): Node {
    if (this.error.length == 0) { this.error = message; this.errorAt = at; }
    return new Node(NODE_CONCAT);
  }

  get failed(): bool { return this.error.length > 0; }

  peek(): i32 { return this.pos < this.length ? <i32>this.text.charCodeAt(this.pos) : -1; }

  alternation(): Node {
    const first = this.concat();
    if (this.peek() != 0x7c) return first; // '|'
    const node = new Node(NODE_ALTERNATION);
    node.children.push(first);
    while (!this.failed && this.peek() == 0x7c) {
      this.pos++;
      node.children.push(this.concat());
    }
    return node;
  }

  concat(): Node {
    const node = new Node(NODE_CONCAT);
    while (!this.failed && this.pos < this.length) {
      const c = this.peek();
      if (c == 0x7c || c == 0x29) break; // '|' ')'
      const start = this.pos;
      const atom = this.atom();
      if (this.failed) break;
      node.children.push(this.quantified(atom, start));
    }
    return node;
  }

  atom(): Node {
    const start = this.pos;
    const c = this.peek();
    if (c == 0x28) return this.group(); // '('
    if (c == 0x5b) return this.charClass(); // '['
    this.pos++;
    if (c == 0x2e) return new Node(NODE_ANY); // '.'
    if (c == 0x5e) return new Node(NODE_BEGIN); // '^'
    if (c == 0x24) return new Node(NODE_END); // '$'
    if (c == 0x2a || c == 0x2b || c == 0x3f) return this.fail("dangling quantifier '" + String.fromCharCode(c) + "': nothing to repeat", start);
    if (c == 0x7b) return this.fail("'{' must be escaped outside a quantifier", start); // '{'
    if (c == 0x5c) return this.escape(start, false); // '\'
    this.pos = start;
    const codePoint = codePointAt(this.text, start, this.length);
    this.pos = start + widthOf(codePoint);
    return charNode(codePoint);
  }

  group(): Node {
    const start = this.pos;
    if (this.depth >= MAX_NESTING) return this.fail("groups nested more than " + MAX_NESTING.toString() + " deep", start);
    this.pos++;
    const node = new Node(NODE_GROUP);
    if (this.peek() == 0x3f) { // '?'
      if (this.pos + 1 < this.length && this.text.charCodeAt(this.pos + 1) == 0x3a) { // "?:"
        this.pos += 2;
        node.value = 0;
      } else {
        return this.fail("unsupported group construct \"(?\" (only \"(?:\", and \"(?i)\" at the start, are supported: no lookaround, named groups or other inline flags)", start);
      }
    } else {
      this.groups++;
      if (this.groups > MAX_GROUPS) return this.fail("more than " + MAX_GROUPS.toString() + " capturing groups", start);
      node.value = this.groups;
    }
    this.depth++;
    node.children.push(this.alternation());
    this.depth--;
    if (this.failed) return node;
    if (this.peek() != 0x29) return this.fail("unclosed group", start);
    this.pos++;
    return node;
  }

  /** After a backslash at `start` (pos is past it): the escaped character or class. */
  escape(start: i32, inClass: bool): Node {
    if (this.pos >= this.length) return this.fail("trailing backslash", start);
    const c = <i32>this.text.charCodeAt(this.pos);
    this.pos++;
    if (c == 0x74) return charNode(0x09); // \t
    if (c == 0x6e) return charNode(0x0a); // \n
    if (c == 0x72) return charNode(0x0d); // \r
    if (c == 0x66) return charNode(0x0c); // \f
    if (c == 0x61) return charNode(0x07); // \a
    if (c == 0x65) return charNode(0x1b); // \e
    if (c == 0x64 || c == 0x44) return this.shorthand(DIGIT_RANGES, c == 0x44, start, inClass); // \d \D
    if (c == 0x77 || c == 0x57) return this.shorthand(WORD_RANGES, c == 0x57, start, inClass); // \w \W
    if (c == 0x73 || c == 0x53) return this.shorthand(SPACE_RANGES, c == 0x53, start, inClass); // \s \S
    if (c == 0x78) return this.hexEscape(2, start); // \xhh
    if (c == 0x75) return this.hexEscape(4, start); // \uhhhh
    if (c == 0x63) { // \cX
      if (this.pos >= this.length) return this.fail("\\c needs a control letter", start);
      const x = <i32>this.text.charCodeAt(this.pos);
      this.pos++;
      return charNode(x ^ 64);
    }
    if (isAsciiLetter(c) || isDigit(c)) {
      return this.fail("unsupported escape \"\\" + String.fromCharCode(c) + "\"", start);
    }
    const codePoint = codePointAt(this.text, this.pos - 1, this.length);
    this.pos += widthOf(codePoint) - 1;
    return charNode(codePoint);
  }

  hexEscape(digits: i32, start: i32): Node {
    if (digits == 2 && this.peek() == 0x7b) return this.fail("\\x{...} is not supported; use \\xhh or \\uhhhh", start);
    let value = 0;
    for (let i = 0; i < digits; i++) {
      const h = this.pos < this.length ? hexValue(<i32>this.text.charCodeAt(this.pos)) : -1;
      if (h < 0) return this.fail("escape needs " + digits.toString() + " hex digits", start);
      value = (value << 4) | h;
      this.pos++;
    }
    return charNode(value);
  }

  /**
   * \d \w \s (or, `negated`, \D \W \S) as a class node. Inside a class a negated
   * shorthand becomes its complement's ranges, so [\s\S] is any character.
   */
  shorthand(ranges: StaticArray<i32>, negated: bool, start: i32, inClass: bool): Node {
    const node = new Node(NODE_CLASS);
    const copy = new Array<i32>();
    if (inClass && negated) {
      let next = 0;
      for (let i = 0; i < ranges.length; i += 2) {
        if (ranges[i] > next) { copy.push(next); copy.push(ranges[i] - 1); }
        next = ranges[i + 1] + 1;
      }
      copy.push(next);
      copy.push(0x10ffff);
    } else {
      for (let i = 0; i < ranges.length; i++) copy.push(ranges[i]);
      node.negated = negated;
    }
    node.value = this.classes.length;
    this.classes.push(copy);
    return node;
  }

  charClass(): Node {
    const start = this.pos;
    this.pos++;
    const node = new Node(NODE_CLASS);
    if (this.peek() == 0x5e) { node.negated = true; this.pos++; }
    const ranges = new Array<i32>();
    const first = this.pos;
    while (true) {
      if (this.pos >= this.length) return this.fail("unclosed character class", start);
      const itemStart = this.pos;
      const c = this.peek();
      if (c == 0x5d) { // ']'
        if (itemStart == first) return this.fail("']' first in a class must be escaped", itemStart);
        this.pos++;
        break;
      }
      if (c == 0x5b) return this.fail("nested classes are not supported ('[' in a class must be escaped)", itemStart);
      if (c == 0x26 && this.pos + 1 < this.length && this.text.charCodeAt(this.pos + 1) == 0x26) {
        return this.fail("class intersection \"&&\" is not supported", itemStart);
      }
      const low = this.classChar(itemStart, ranges);
      if (this.failed) return node;
      if (low < 0) continue; // a shorthand, already added
      // A '-' between two characters makes a range; first or last in the class, it is literal.
      if (this.peek() == 0x2d && this.pos + 1 < this.length && this.text.charCodeAt(this.pos + 1) != 0x5d) {
        const dash = this.pos;
        this.pos++;
        if (this.peek() == 0x5b) return this.fail("nested classes are not supported ('[' in a class must be escaped)", this.pos);
        const high = this.classChar(this.pos, ranges);
        if (this.failed) return node;
        if (high < 0) return this.fail("a range cannot end in a shorthand class", dash);
        if (high < low) return this.fail("illegal character range (end before start)", dash);
        ranges.push(low);
        ranges.push(high);
        continue;
      }
      if (c == 0x2d && itemStart != first && this.peek() != 0x5d) {
        return this.fail("'-' inside a class must be first, last or escaped", itemStart);
      }
      ranges.push(low);
      ranges.push(low);
    }
    node.value = this.classes.length;
    this.classes.push(ranges);
    return node;
  }

  /** One class member at `itemStart`: its code point, or -1 when it was a shorthand (added to `ranges`). */
  classChar(itemStart: i32, ranges: Array<i32>): i32 {
    const c = this.peek();
    if (c == 0x5c) {
      this.pos++;
      const escaped = this.escape(itemStart, true);
      if (this.failed) return 0;
      if (escaped.kind == NODE_CHAR) return escaped.value;
      const shorthand = this.classes.pop();
      for (let i = 0; i < shorthand.length; i++) ranges.push(shorthand[i]);
      return -1;
    }
    const codePoint = codePointAt(this.text, this.pos, this.length);
    this.pos += widthOf(codePoint);
    return codePoint;
  }

  quantified(atom: Node, atomStart: i32): Node {
    const c = this.peek();
    let min = 0;
    let max = 0;
    const at = this.pos;
    if (c == 0x2a) { min = 0; max = UNBOUNDED; this.pos++; } // '*'
    else if (c == 0x2b) { min = 1; max = UNBOUNDED; this.pos++; } // '+'
    else if (c == 0x3f) { min = 0; max = 1; this.pos++; } // '?'
    else if (c == 0x7b) { // '{'
      this.pos++;
      min = this.number();
      if (min < 0) { this.fail("'{' must start a quantifier {n}, {n,} or {n,m} of at most " + MAX_REPEAT.toString(), at); return atom; }
      max = min;
      if (this.peek() == 0x2c) {
        this.pos++;
        if (this.peek() == 0x7d) max = UNBOUNDED;
        else {
          max = this.number();
          if (max < 0) { this.fail("'{' must start a quantifier {n}, {n,} or {n,m} of at most " + MAX_REPEAT.toString(), at); return atom; }
          if (max < min) { this.fail("quantifier {n,m} with m < n", at); return atom; }
        }
      }
      if (this.peek() != 0x7d) { this.fail("unclosed quantifier", at); return atom; }
      this.pos++;
    } else {
      return atom;
    }
    let greedy = true;
    if (this.peek() == 0x3f) { greedy = false; this.pos++; }
    else if (this.peek() == 0x2b) { this.fail("possessive quantifiers are not supported", this.pos); return atom; }
    const next = this.peek();
    if (next == 0x2a || next == 0x2b || next == 0x3f || next == 0x7b) {
      this.fail("a quantifier cannot follow a quantifier", this.pos);
      return atom;
    }
    if (atom.kind == NODE_BEGIN || atom.kind == NODE_END) { this.fail("an anchor cannot be repeated", at); return atom; }
    if (!(min == 0 && max == 1) && nullable(atom)) {
      this.fail("a repeated sub-pattern must not match the empty string (only '?' may follow one)", atomStart);
      return atom;
    }
    const node = new Node(NODE_REPEAT);
    node.children.push(atom);
    node.min = min;
    node.max = max;
    node.greedy = greedy;
    return node;
  }

  /** A decimal number of at most MAX_REPEAT, or -1. */
  number(): i32 {
    let value = 0;
    let digits = 0;
    while (this.pos < this.length && isDigit(this.peek())) {
      value = value * 10 + (this.peek() - 0x30);
      if (value > MAX_REPEAT) return -1;
      this.pos++;
      digits++;
    }
    return digits == 0 ? -1 : value;
  }
}

const DIGIT_RANGES: StaticArray<i32> = [0x30, 0x39];
const WORD_RANGES: StaticArray<i32> = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE_RANGES: StaticArray<i32> = [0x09, 0x0d, 0x20, 0x20];

function charNode(codePoint: i32): Node {
  const node = new Node(NODE_CHAR);
  node.value = codePoint;
  return node;
}

function nullable(node: Node): bool {
  const kind = node.kind;
  if (kind == NODE_CHAR || kind == NODE_ANY || kind == NODE_CLASS) return false;
  if (kind == NODE_BEGIN || kind == NODE_END) return true;
  if (kind == NODE_REPEAT) return node.min == 0 || nullable(node.children[0]);
  if (kind == NODE_ALTERNATION) {
    for (let i = 0; i < node.children.length; i++) if (nullable(node.children[i])) return true;
    return false;
  }
  for (let i = 0; i < node.children.length; i++) if (!nullable(node.children[i])) return false;
  return true;
}

/** Emits instructions; `overflow` once the program passes MAX_PROGRAM. */
class Emitter {
  code: Array<i32> = [];
  overflow: bool = false;

  get next(): i32 { return this.code.length / WORDS; }

  emit(op: i32, a: i32, b: i32): i32 {
    const at = this.next;
    if (at >= MAX_PROGRAM) { this.overflow = true; return at; }
    this.code.push(op);
    this.code.push(a);
    this.code.push(b);
    return at;
  }

  patch(at: i32, a: i32, b: i32): void {
    if (this.overflow) return;
    this.code[at * WORDS + 1] = a;
    this.code[at * WORDS + 2] = b;
  }

  node(node: Node): void {
    if (this.overflow) return;
    const kind = node.kind;
    if (kind == NODE_CHAR) { this.emit(OP_CHAR, node.value, 0); return; }
    if (kind == NODE_ANY) { this.emit(OP_ANY, 0, 0); return; }
    if (kind == NODE_CLASS) { this.emit(node.negated ? OP_NOT_CLASS : OP_CLASS, node.value, 0); return; }
    if (kind == NODE_BEGIN) { this.emit(OP_BEGIN, 0, 0); return; }
    if (kind == NODE_END) { this.emit(OP_END, 0, 0); return; }
    if (kind == NODE_CONCAT) {
      for (let i = 0; i < node.children.length; i++) this.node(node.children[i]);
      return;
    }
    if (kind == NODE_GROUP) {
      if (node.value > 0) this.emit(OP_SAVE, node.value * 2, 0);
      this.node(node.children[0]);
      if (node.value > 0) this.emit(OP_SAVE, node.value * 2 + 1, 0);
      return;
    }
    if (kind == NODE_ALTERNATION) {
      // split L1, next; L1: a; jmp end; next: split L2, next2; ... last alternative.
      const jumps = new Array<i32>();
      const count = node.children.length;
      for (let i = 0; i < count - 1; i++) {
        const split = this.emit(OP_SPLIT, 0, 0);
        this.node(node.children[i]);
        jumps.push(this.emit(OP_JMP, 0, 0));
        this.patch(split, split + 1, this.next);
      }
      this.node(node.children[count - 1]);
      for (let i = 0; i < jumps.length; i++) this.patch(jumps[i], this.next, 0);
      return;
    }
    // NODE_REPEAT: the operand `min` times, then either a loop or (max - min) nested optionals.
    const body = node.children[0];
    for (let i = 0; i < node.min; i++) this.node(body);
    if (node.max == UNBOUNDED) {
      const split = this.emit(OP_SPLIT, 0, 0);
      this.node(body);
      this.emit(OP_JMP, split, 0);
      this.patchSplit(split, split + 1, this.next, node.greedy);
      return;
    }
    const splits = new Array<i32>();
    for (let i = node.min; i < node.max; i++) {
      splits.push(this.emit(OP_SPLIT, 0, 0));
      this.node(body);
    }
    const end = this.next;
    for (let i = 0; i < splits.length; i++) this.patchSplit(splits[i], splits[i] + 1, end, node.greedy);
  }

  /** A split that prefers `take` (one more iteration) when greedy, `skip` when lazy. */
  patchSplit(at: i32, take: i32, skip: i32, greedy: bool): void {
    if (greedy) this.patch(at, take, skip);
    else this.patch(at, skip, take);
  }
}

/** The pending alternatives of a match: [kind, a, b] triples; kind 0 a thread (pc, pos), 1 a capture restore (slot, value). */
let backtrack = new StaticArray<i32>(1024);
/** Tried (branch point, position) pairs of the current call, one bit each. */
let memo = new StaticArray<u32>(1024);

/**
 * A compiled pattern. `matches` and `find` follow java.util.regex.Matcher.matches() and
 * find(); after a Matched result, `start(g)` / `end(g)` give group g's span in the text
 * (-1 when the group took no part), group 0 being the whole match.
 */
export class Regex {
  /** The capture slots of the last successful match: 2 per group, group 0 first. */
  private readonly captures: StaticArray<i32>;
  private readonly startsAnchored: bool;
  /** Per instruction: its index among the split instructions, -1 for others. */
  private readonly splitIndex: StaticArray<i32>;
  private readonly splitCount: i32;
  /** Whether `memo` serves the current call (the text is short enough). */
  private memoized: bool = false;

  constructor(
    /** The pattern's text, as written. */
    readonly pattern: string,
    private readonly program: StaticArray<i32>,
    private readonly ranges: StaticArray<StaticArray<i32>>,
    /** Capturing groups in the pattern, as Matcher.groupCount(). */
    readonly groupCount: i32,
    /** A leading (?i): ASCII letters match either case (Pattern.CASE_INSENSITIVE without UNICODE_CASE). */
    readonly caseInsensitive: bool = false,
  ) {
    this.captures = new StaticArray<i32>((groupCount + 1) * 2);
    this.startsAnchored = program.length > 0 && program[0] == OP_BEGIN;
    const instructions = program.length / WORDS;
    const splitIndex = new StaticArray<i32>(instructions);
    let splits = 0;
    for (let pc = 0; pc < instructions; pc++) splitIndex[pc] = program[pc * WORDS] == OP_SPLIT ? splits++ : -1;
    this.splitIndex = splitIndex;
    this.splitCount = splits;
  }

  /** Forgets the tried pairs, before a matches() or find() call on `text`. */
  private resetMemo(text: string): void {
    const bits = <i64>this.splitCount * <i64>(text.length + 1);
    this.memoized = bits > 0 && bits <= <i64>MAX_MEMO_BITS;
    if (!this.memoized) return;
    const words = <i32>((bits + 31) >> 5);
    if (memo.length < words) memo = new StaticArray<u32>(max(words, memo.length * 2));
    memory.fill(changetype<usize>(memo), 0, <usize>words << 2);
  }

  /** Start index (UTF-16) of `group` in the last successful match; -1 when the group took no part. */
  start(group: i32): i32 { return unchecked(this.captures[group * 2]); }
  /** End index (exclusive) of `group` in the last successful match; -1 when the group took no part. */
  end(group: i32): i32 { return unchecked(this.captures[group * 2 + 1]); }

  /** Whether the whole of `text` matches (Matcher.matches()). */
  matches(text: string, budget: StepBudget): MatchResult {
    this.resetMemo(text);
    return this.run(text, 0, true, budget);
  }

  /**
   * The leftmost match starting at or after `from` (Matcher.find() from there); a start
   * past the text's end finds nothing.
   */
  find(text: string, from: i32, budget: StepBudget): MatchResult {
    const length = text.length;
    this.resetMemo(text);
    for (let start = from; start <= length; start++) {
      if (this.startsAnchored && start > 0) return MatchResult.NoMatch;
      const result = this.run(text, start, false, budget);
      if (result != MatchResult.NoMatch) return result;
    }
    return MatchResult.NoMatch;
  }

  private run(text: string, start: i32, wholeText: bool, budget: StepBudget): MatchResult {
    const captures = this.captures;
    for (let i = 0; i < captures.length; i++) unchecked(captures[i] = -1);
    unchecked(captures[0] = start);
    const program = this.program;
    const length = text.length;
    let top = 0;
    top = push(top, 0, 0, start);
    if (top < 0) { budget.exhausted = true; return MatchResult.GaveUp; }
    while (top > 0) {
      top -= 3;
      const kind = unchecked(backtrack[top]);
      const a = unchecked(backtrack[top + 1]);
      const b = unchecked(backtrack[top + 2]);
      if (kind == 1) { unchecked(captures[a] = b); continue; }
      let pc = a;
      let pos = b;
      while (true) {
        if (--budget.remaining < 0) { budget.exhausted = true; return MatchResult.GaveUp; }
        const at = pc * WORDS;
        const op = unchecked(program[at]);
        if (op == OP_CHAR) {
          if (pos >= length) break;
          const want = unchecked(program[at + 1]);
          const got = codePointAt(text, pos, length);
          if (want > 0xffff) {
            if (got != want) break;
          } else {
            const unit = <i32>text.charCodeAt(pos);
            if (unit != want && !(this.caseInsensitive && asciiLower(unit) == asciiLower(want))) break;
          }
          pos += widthOf(want);
          pc++;
        } else if (op == OP_ANY) {
          if (pos >= length) break;
          const got = codePointAt(text, pos, length);
          if (isLineTerminator(got)) break;
          pos += widthOf(got);
          pc++;
        } else if (op == OP_CLASS || op == OP_NOT_CLASS) {
          if (pos >= length) break;
          const got = codePointAt(text, pos, length);
          const ranges = unchecked(this.ranges[unchecked(program[at + 1])]);
          let inside = inRanges(ranges, got);
          // Java's CIRange: the character or its other ASCII case.
          if (!inside && this.caseInsensitive && got < 0x80) inside = inRanges(ranges, asciiLower(got)) || inRanges(ranges, asciiUpper(got));
          if (inside != (op == OP_CLASS)) break;
          pos += widthOf(got);
          pc++;
        } else if (op == OP_SPLIT) {
          if (this.memoized) {
            const bit = unchecked(this.splitIndex[pc]) * (length + 1) + pos;
            const word = unchecked(memo[bit >>> 5]);
            const mask: u32 = 1 << (bit & 31);
            if (word & mask) break;
            unchecked(memo[bit >>> 5] = word | mask);
          }
          top = push(top, 0, unchecked(program[at + 2]), pos);
          if (top < 0) { budget.exhausted = true; return MatchResult.GaveUp; }
          pc = unchecked(program[at + 1]);
        } else if (op == OP_JMP) {
          pc = unchecked(program[at + 1]);
        } else if (op == OP_SAVE) {
          const slot = unchecked(program[at + 1]);
          top = push(top, 1, slot, unchecked(captures[slot]));
          if (top < 0) { budget.exhausted = true; return MatchResult.GaveUp; }
          unchecked(captures[slot] = pos);
          pc++;
        } else if (op == OP_BEGIN) {
          if (pos != 0) break;
          pc++;
        } else if (op == OP_END) {
          if (!atJavaDollar(text, pos, length)) break;
          pc++;
        } else { // OP_MATCH
          if (wholeText && pos != length) break;
          unchecked(captures[1] = pos);
          return MatchResult.Matched;
        }
      }
    }
    return MatchResult.NoMatch;
  }
}

/** Pushes a triple; returns the new top, or -1 when MAX_BACKTRACK entries are pending. */
function push(top: i32, kind: i32, a: i32, b: i32): i32 {
  if (top + 3 > backtrack.length) {
    if (backtrack.length >= MAX_BACKTRACK * 3) return -1;
    const grown = new StaticArray<i32>(min(backtrack.length * 2, MAX_BACKTRACK * 3));
    memory.copy(changetype<usize>(grown), changetype<usize>(backtrack), <usize>top << 2);
    backtrack = grown;
  }
  unchecked(backtrack[top] = kind);
  unchecked(backtrack[top + 1] = a);
  unchecked(backtrack[top + 2] = b);
  return top + 3;
}

function asciiLower(c: i32): i32 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function asciiUpper(c: i32): i32 {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

function inRanges(ranges: StaticArray<i32>, c: i32): bool {
  for (let i = 0; i < ranges.length; i += 2) {
    if (c >= unchecked(ranges[i]) && c <= unchecked(ranges[i + 1])) return true;
  }
  return false;
}

/**
 * Java's `$` without MULTILINE: at the end of the text, or before a line terminator
 * that ends it ("\r\n" counting as one; no match between its "\r" and "\n").
 */
function atJavaDollar(text: string, pos: i32, length: i32): bool {
  if (pos == length) return true;
  if (pos < length - 2) return false;
  const c = <i32>text.charCodeAt(pos);
  if (pos == length - 2) return c == 0x0d && text.charCodeAt(pos + 1) == 0x0a;
  if (c == 0x0a) return !(pos > 0 && text.charCodeAt(pos - 1) == 0x0d);
  return c == 0x0d || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/**
 * Compiles `pattern` (java.util.regex syntax, the subset described at the top of this
 * file). Refused patterns come back with `error` and the `position` of the offending
 * construct.
 */
export function compileRegex(pattern: string): RegexCompileResult {
  const result = new RegexCompileResult();
  if (pattern.length > MAX_PATTERN_CHARS) {
    result.error = "longer than " + MAX_PATTERN_CHARS.toString() + " characters";
    return result;
  }
  const parser = new Parser(pattern);
  // (?i) is taken only as the pattern's first four characters, where it covers all of it.
  const caseInsensitive = pattern.startsWith("(?i)");
  if (caseInsensitive) parser.pos = 4;
  const root = parser.alternation();
  if (!parser.failed && parser.pos < parser.length) parser.fail("unmatched ')'", parser.pos);
  if (parser.failed) {
    result.error = parser.error;
    result.position = parser.errorAt;
    return result;
  }
  const emitter = new Emitter();
  emitter.node(root);
  emitter.emit(OP_MATCH, 0, 0);
  if (emitter.overflow) {
    result.error = "compiles to more than " + MAX_PROGRAM.toString() + " instructions (large {n,m} bounds repeat their operand)";
    return result;
  }
  const program = new StaticArray<i32>(emitter.code.length);
  for (let i = 0; i < program.length; i++) program[i] = emitter.code[i];
  const ranges = new StaticArray<StaticArray<i32>>(parser.classes.length);
  for (let i = 0; i < ranges.length; i++) {
    const source = parser.classes[i];
    const copy = new StaticArray<i32>(source.length);
    for (let j = 0; j < source.length; j++) copy[j] = source[j];
    ranges[i] = copy;
  }
  result.regex = new Regex(pattern, program, ranges, parser.groups, caseInsensitive);
  return result;
}
