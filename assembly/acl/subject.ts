// A certificate subject as Kafka names it. Kafka's default principal builder
// (ssl.principal.mapping.rules=DEFAULT) takes X500Principal.getName(), Java's RFC 2253
// form. Envoy's connection.subject_peer_certificate is RFC 2253 too, but as BoringSSL
// writes it (X509_NAME_print_ex with XN_FLAG_RFC2253); both put the most specific RDN
// first and escape , + " \ < > ; and a leading # or a leading or trailing space alike,
// yet differ in four ways this module evens out:
//  - bytes above 0x7F: Envoy writes each UTF-8 byte as \XX, Java the character itself;
//  - "=" in a value: Java escapes it ("\="), Envoy does not;
//  - a multi-valued RDN: Envoy lists its values in reverse, Java in the certificate's order;
//  - types outside RFC 2253's keywords: Java writes the OID and the DER value in hex.
//    Only emailAddress (1.2.840.113549.1.9.1, an IA5String per RFC 5280) is converted,
//    and `street` becomes STREET; other such types keep Envoy's short name (README,
//    "Principals", lists this difference).
// The observed Envoy form is pinned in tests/integration/envoy-semantics.test.mjs.

const BACKSLASH: u8 = 0x5c;
const COMMA: u8 = 0x2c;
const PLUS: u8 = 0x2b;
const EQUALS: u8 = 0x3d;
const HASH: u8 = 0x23;
const EMAIL_ADDRESS_OID = "1.2.840.113549.1.9.1";
/** The DER tag of an IA5String. */
const IA5_STRING_TAG: u8 = 0x16;
const HEX_DIGITS = "0123456789abcdef";

function hexValue(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The byte a "\XX" escape at `i` stands for, or -1 when none starts there. */
function hexEscapeAt(bytes: Uint8Array, i: i32, end: i32): i32 {
  if (i + 2 >= end || bytes[i] != BACKSLASH) return -1;
  const high = hexValue(bytes[i + 1]);
  const low = hexValue(bytes[i + 2]);
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

/** Length of the escape or character at `i`: 3 for "\XX", 2 for "\c", else 1. */
function unitLength(bytes: Uint8Array, i: i32, end: i32): i32 {
  if (bytes[i] != BACKSLASH) return 1;
  if (hexEscapeAt(bytes, i, end) >= 0) return 3;
  return i + 1 < end ? 2 : 1;
}

/** Growable output bytes. */
class Output {
  bytes: Uint8Array = new Uint8Array(64);
  length: i32 = 0;

  push(b: u8): void {
    if (this.length == this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b;
  }

  pushRange(source: Uint8Array, start: i32, end: i32): void {
    for (let i = start; i < end; i++) this.push(source[i]);
  }

  pushString(text: string): void {
    for (let i = 0; i < text.length; i++) this.push(<u8>text.charCodeAt(i));
  }

  pushHex(b: u8): void {
    this.push(<u8>HEX_DIGITS.charCodeAt(b >> 4));
    this.push(<u8>HEX_DIGITS.charCodeAt(b & 15));
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.bytes.dataStart, <usize>this.length);
  }
}

function typeIs(bytes: Uint8Array, start: i32, end: i32, name: string): bool {
  if (end - start != name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] != <u8>name.charCodeAt(i)) return false;
  return true;
}

/** A value with "\XX" escapes of bytes above 0x7F turned back into those bytes, and "=" escaped. */
function writeValue(out: Output, bytes: Uint8Array, start: i32, end: i32): void {
  for (let i = start; i < end;) {
    const length = unitLength(bytes, i, end);
    const escaped = length == 3 ? hexEscapeAt(bytes, i, end) : -1;
    if (escaped >= 0x80) out.push(<u8>escaped);
    else if (length == 1 && bytes[i] == EQUALS) { out.push(BACKSLASH); out.push(EQUALS); }
    else out.pushRange(bytes, i, i + length);
    i += length;
  }
}

/** An emailAddress value as Java writes it: the OID, "=#", then the IA5String's DER in hex. */
function writeEmailAddress(out: Output, bytes: Uint8Array, start: i32, end: i32): void {
  const raw = new Output();
  for (let i = start; i < end;) {
    const length = unitLength(bytes, i, end);
    if (length == 3) raw.push(<u8>hexEscapeAt(bytes, i, end));
    else raw.push(bytes[i + length - 1]);
    i += length;
  }
  out.pushString(EMAIL_ADDRESS_OID);
  out.push(EQUALS);
  out.push(HASH);
  out.pushHex(IA5_STRING_TAG);
  const n = raw.length;
  // DER length: short form below 128, else the count of length bytes (0x81, 0x82) first.
  if (n >= 256) { out.pushHex(0x82); out.pushHex(<u8>(n >> 8)); }
  else if (n >= 128) out.pushHex(0x81);
  out.pushHex(<u8>(n & 0xff));
  for (let i = 0; i < n; i++) out.pushHex(raw.bytes[i]);
}

/** One attribute type and value, bytes[start, end). */
function writeAttribute(out: Output, bytes: Uint8Array, start: i32, end: i32): void {
  let equals = start;
  while (equals < end && bytes[equals] != EQUALS) equals += unitLength(bytes, equals, end);
  if (equals >= end) { out.pushRange(bytes, start, end); return; }
  const valueStart = equals + 1;
  // A value Envoy dumped as "#<DER hex>" is already in Java's form.
  const dumped = valueStart < end && bytes[valueStart] == HASH;
  if (!dumped && typeIs(bytes, start, equals, "emailAddress")) {
    writeEmailAddress(out, bytes, valueStart, end);
    return;
  }
  if (typeIs(bytes, start, equals, "street")) out.pushString("STREET");
  else out.pushRange(bytes, start, equals);
  out.push(EQUALS);
  writeValue(out, bytes, valueStart, end);
}

/**
 * Envoy's connection.subject_peer_certificate ("CN=Zo\C3\AB,UID=42+OU=eng,O=Example")
 * as Java's X500Principal.getName() gives it, which Kafka's default principal builder
 * uses ("CN=Zoë,OU=eng+UID=42,O=Example"). An empty string stays empty. Runs once per
 * connection; text it cannot split is kept as it is.
 */
export function kafkaSubjectName(envoySubject: string): string {
  if (envoySubject.length == 0) return envoySubject;
  const encoded = String.UTF8.encode(envoySubject);
  const bytes = Uint8Array.wrap(encoded);
  const end = bytes.length;
  const out = new Output();
  // The values of one RDN, as [start, end) pairs, to write them in reverse.
  const values = new Array<i32>();
  let valueStart = 0;
  for (let i = 0; i <= end;) {
    const atEnd = i == end;
    const c: u8 = atEnd ? COMMA : bytes[i];
    if (c == PLUS || c == COMMA) {
      values.push(valueStart);
      values.push(i);
      valueStart = i + 1;
      if (c == COMMA) {
        for (let v = values.length - 2; v >= 0; v -= 2) {
          writeAttribute(out, bytes, values[v], values[v + 1]);
          if (v > 0) out.push(PLUS);
        }
        values.length = 0;
        if (!atEnd) out.push(COMMA);
      }
      i++;
      continue;
    }
    i += unitLength(bytes, i, end);
  }
  return out.toString();
}
