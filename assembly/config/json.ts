// A small JSON reader for the plugin configuration. Operators type this text, so
// every error says where it is; nothing in it traps, whatever the input.

/** The JSON value kinds. */
export const enum JsonKind { Null, Bool, Number, String, Array, Object }

/**
 * A parsed JSON value; only the members of its `kind` are meaningful. An object keeps
 * `keys[i]` ↔ `items[i]` in document order; an array uses `items` alone.
 */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  stringValue: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  /** A finite number with no fractional part (JSON has one number type; integer fields need this). */
  get isInteger(): bool {
    return this.kind == JsonKind.Number && Math.floor(this.numberValue) == this.numberValue && isFinite(this.numberValue);
  }

  /** The member named `key` of an object, or null. */
  member(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

/** The kind as error messages spell it ("a string", "an object", ...). */
export function jsonKindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "a boolean";
    case JsonKind.Number: return "a number";
    case JsonKind.String: return "a string";
    case JsonKind.Array: return "an array";
    default: return "an object";
  }
}

/**
 * The offset of the first byte of `bytes` that is not part of well-formed UTF-8
 * (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF),
 * or -1 when all of it is. A NUL byte is well-formed; the JSON reader refuses it.
 */
export function invalidUtf8Offset(bytes: ArrayBuffer): i32 {
  const view = Uint8Array.wrap(bytes);
  const n = view.length;
  let i = 0;
  while (i < n) {
    const b = <i32>view[i];
    if (b < 0x80) { i++; continue; }
    let need = 0;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b == 0xe0) low = 0xa0;
      else if (b == 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b == 0xf0) low = 0x90;
      else if (b == 0xf4) high = 0x8f;
    } else return i;
    if (i + need >= n) return i;
    const second = <i32>view[i + 1];
    if (second < low || second > high) return i;
    for (let k = 2; k <= need; k++) {
      const c = <i32>view[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

// Deep nesting is never meaningful in this configuration; the cap keeps recursion bounded.
const MAX_DEPTH = 64;
// Objects with more members than this check repeated names in a set, not by a scan of
// the names so far: a 1 MB object of 50,000 members would otherwise take minutes.
const SCAN_MEMBERS = 16;

/** Parses the configuration text (RFC 8259 JSON); nesting deeper than 64 levels is an error, never a trap. */
export class JsonParser {
  private text: string = "";
  private pos: i32 = 0;
  /** Where the parser is, for errors: member names, with -1 in pathIndexes, or array indexes. */
  private pathKeys: string[] = [];
  private pathIndexes: i32[] = [];
  error: string = "";

  /** Parses a complete document; returns null and sets `error` on failure. */
  parse(text: string): JsonValue | null {
    this.text = text;
    this.pos = 0;
    this.error = "";
    this.pathKeys = [];
    this.pathIndexes = [];
    const value = this.parseValue(0);
    if (value == null) return null;
    this.skipWhitespace();
    if (this.pos < this.text.length) return this.fail("unexpected text after the JSON value");
    return value;
  }

  /**
   * Records the first error: what, the offset (in UTF-16 code units of the text) and,
   * inside the document, the path of the value being read in the configuration errors'
   * notation, e.g. `... at offset 45 (at consumer_lag.expiry_ms)`.
   */
  private fail(message: string): JsonValue | null {
    if (this.error.length > 0) return null;
    this.error = message + " at offset " + this.pos.toString();
    if (this.pathKeys.length > 0) this.error += " (at " + this.path() + ")";
    return null;
  }

  private path(): string {
    let path = "";
    for (let i = 0; i < this.pathKeys.length; i++) {
      const index = this.pathIndexes[i];
      if (index >= 0) { path += "[" + index.toString() + "]"; continue; }
      const key = this.pathKeys[i];
      if (i > 0) path += ".";
      path += isPlainName(key) ? key : "\"" + key + "\"";
    }
    return path;
  }

  private enter(key: string, index: i32): void {
    this.pathKeys.push(key);
    this.pathIndexes.push(index);
  }

  private leave(): void {
    this.pathKeys.pop();
    this.pathIndexes.pop();
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private parseValue(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.skipWhitespace();
    if (this.pos >= this.text.length) return this.fail("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.parseObject(depth);
    if (c == 0x5b) return this.parseArray(depth);
    if (c == 0x22) {
      const s = this.parseString();
      if (s == null) return null;
      const value = new JsonValue();
      value.kind = JsonKind.String;
      value.stringValue = s;
      return value;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.consumeWord("true")) return boolValue(true);
    if (this.consumeWord("false")) return boolValue(false);
    if (this.consumeWord("null")) return new JsonValue();
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
  }

  private consumeWord(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  private parseObject(depth: i32): JsonValue | null {
    const value = new JsonValue();
    value.kind = JsonKind.Object;
    this.pos++;
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) { this.pos++; return value; }
    let seen: Set<string> | null = null;
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.fail("expected a member name");
      const key = this.parseString();
      if (key == null) return null;
      this.enter(key, -1);
      if (seen == null && value.keys.length >= SCAN_MEMBERS) seen = setOf(value.keys);
      const repeated = seen != null ? seen.has(key) : value.keys.includes(key);
      if (repeated) return this.fail("duplicate member \"" + key + "\"");
      if (seen != null) seen.add(key);
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const member = this.parseValue(depth + 1);
      if (member == null) return null;
      value.keys.push(key);
      value.items.push(member);
      // The member stays on the path until its separator: an error there is "after" it.
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.pos++);
      if (c != 0x7d && c != 0x2c) { this.pos--; return this.fail("expected ',' or '}'"); }
      this.leave();
      if (c == 0x7d) return value;
    }
    return null; // unreachable; AssemblyScript's flow analysis wants an exit
  }

  private parseArray(depth: i32): JsonValue | null {
    const value = new JsonValue();
    value.kind = JsonKind.Array;
    this.pos++;
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) { this.pos++; return value; }
    for (;;) {
      this.enter("", value.items.length);
      const item = this.parseValue(depth + 1);
      if (item == null) return null;
      value.items.push(item);
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated array");
      const c = this.text.charCodeAt(this.pos++);
      if (c != 0x5d && c != 0x2c) { this.pos--; return this.fail("expected ',' or ']'"); }
      this.leave();
      if (c == 0x5d) return value;
    }
    return null; // unreachable; AssemblyScript's flow analysis wants an exit
  }

  private parseString(): string | null {
    this.pos++; // opening quote
    let result = "";
    let runStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        result += this.text.substring(runStart, this.pos);
        this.pos++;
        return result;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      result += this.text.substring(runStart, this.pos);
      this.pos++;
      if (this.pos >= this.text.length) break;
      const escape = this.text.charCodeAt(this.pos++);
      if (escape == 0x22) result += "\"";
      else if (escape == 0x5c) result += "\\";
      else if (escape == 0x2f) result += "/";
      else if (escape == 0x62) result += "\b";
      else if (escape == 0x66) result += "\f";
      else if (escape == 0x6e) result += "\n";
      else if (escape == 0x72) result += "\r";
      else if (escape == 0x74) result += "\t";
      else if (escape == 0x75) {
        const code = this.hex4();
        if (code < 0) return null;
        // A surrogate escape must be a pair, high then low: a lone one is no character, and a
        // string holding it could match no principal or client id (those arrive as UTF-8).
        if (code >= 0xdc00 && code <= 0xdfff) { this.fail("lone surrogate in \\u escape"); return null; }
        if (code >= 0xd800 && code <= 0xdbff) {
          if (this.text.substr(this.pos, 2) != "\\u") { this.fail("lone surrogate in \\u escape"); return null; }
          this.pos += 2;
          const low = this.hex4();
          if (low < 0) return null;
          if (low < 0xdc00 || low > 0xdfff) { this.fail("lone surrogate in \\u escape"); return null; }
          result += String.fromCharCode(code, low);
        } else {
          result += String.fromCharCode(code);
        }
      } else { this.pos--; this.fail("invalid escape"); return null; }
      runStart = this.pos;
    }
    this.fail("unterminated string");
    return null;
  }

  /** The 4 hex digits of a \u escape; -1 (with the error set) when they are not. */
  private hex4(): i32 {
    let code: i32 = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.text.length) { this.fail("truncated \\u escape"); return -1; }
      const digit = hexDigit(this.text.charCodeAt(this.pos++));
      if (digit < 0) { this.fail("invalid \\u escape"); return -1; }
      code = (code << 4) | digit;
    }
    return code;
  }

  /**
   * RFC 8259's number grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
   * A looser scan let parseFloat read a prefix ("100-5" as 100, "1e+" as 1), so a typo
   * became a different value instead of an error.
   */
  private parseNumber(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
      if (isDigit(this.peek())) { this.pos = start; return this.fail("invalid number (no leading zeros)"); }
    } else if (!this.skipDigits()) {
      this.pos = start;
      return this.fail("invalid number");
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!this.skipDigits()) { this.pos = start; return this.fail("invalid number (digits must follow '.')"); }
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      this.pos++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.pos++;
      if (!this.skipDigits()) { this.pos = start; return this.fail("invalid number (digits must follow the exponent)"); }
    }
    const value = new JsonValue();
    value.kind = JsonKind.Number;
    value.numberValue = parseFloat(this.text.substring(start, this.pos));
    return value;
  }

  /** The character at the current position, or -1 at the end. */
  private peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  /** Skips a run of digits; false when there is none. */
  private skipDigits(): bool {
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    return this.pos > start;
  }
}

function setOf(keys: string[]): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i < keys.length; i++) set.add(keys[i]);
  return set;
}

/** A member name the path shows bare: letters, digits and '_', not starting with a digit. */
function isPlainName(key: string): bool {
  if (key.length == 0 || isDigit(key.charCodeAt(0))) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!(isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f)) return false;
  }
  return true;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function boolValue(b: bool): JsonValue {
  const value = new JsonValue();
  value.kind = JsonKind.Bool;
  value.boolValue = b;
  return value;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
