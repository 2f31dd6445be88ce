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

// Deep nesting is never meaningful in this configuration; the cap keeps recursion bounded.
const MAX_DEPTH = 64;

/** Parses the configuration text (RFC 8259 JSON); nesting deeper than 64 levels is an error, never a trap. */
export class JsonParser {
  private text: string = "";
  private pos: i32 = 0;
  error: string = "";

  /** Parses a complete document; returns null and sets `error` on failure. */
  parse(text: string): JsonValue | null {
    this.text = text;
    this.pos = 0;
    this.error = "";
    const value = this.parseValue(0);
    if (value == null) return null;
    this.skipWhitespace();
    if (this.pos < this.text.length) return this.fail("unexpected text after the JSON value");
    return value;
  }

  private fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + " at offset " + this.pos.toString();
    return null;
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
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.fail("expected a member name");
      const key = this.parseString();
      if (key == null) return null;
      for (let i = 0; i < value.keys.length; i++) {
        if (value.keys[i] == key) return this.fail("duplicate member \"" + key + "\"");
      }
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const member = this.parseValue(depth + 1);
      if (member == null) return null;
      value.keys.push(key);
      value.items.push(member);
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x7d) return value;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}'"); }
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
      const item = this.parseValue(depth + 1);
      if (item == null) return null;
      value.items.push(item);
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.fail("unterminated array");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x5d) return value;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or ']'"); }
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
        let code: i32 = 0;
        for (let i = 0; i < 4; i++) {
          if (this.pos >= this.text.length) { this.fail("truncated \\u escape"); return null; }
          const digit = hexDigit(this.text.charCodeAt(this.pos++));
          if (digit < 0) { this.fail("invalid \\u escape"); return null; }
          code = (code << 4) | digit;
        }
        result += String.fromCharCode(code);
      } else { this.pos--; this.fail("invalid escape"); return null; }
      runStart = this.pos;
    }
    this.fail("unterminated string");
    return null;
  }

  private parseNumber(): JsonValue | null {
    const start = this.pos;
    if (this.text.charCodeAt(this.pos) == 0x2d) this.pos++;
    let digits = 0;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39)) digits++;
      else if (c != 0x2e && c != 0x65 && c != 0x45 && c != 0x2b && c != 0x2d) break;
      this.pos++;
    }
    const literal = this.text.substring(start, this.pos);
    const parsed = parseFloat(literal);
    if (digits == 0 || isNaN(parsed)) { this.pos = start; return this.fail("invalid number"); }
    const value = new JsonValue();
    value.kind = JsonKind.Number;
    value.numberValue = parsed;
    return value;
  }
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
