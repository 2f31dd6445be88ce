// IP addresses and CIDR ranges, for mapping source addresses to principals and for
// rules limited to hosts. Addresses come from Envoy ("source.address") and ranges from
// the operator's configuration; parsing reads index ranges of the text, so nothing in
// it slices strings or traps on malformed input.

/** An IPv4 or IPv6 address as 128 bits; IPv4 lives in the low 32 bits of `lo`. */
export class IpAddress {
  constructor(public family: i32 = 4, public hi: u64 = 0, public lo: u64 = 0) {}

  /** Dotted quad for IPv4; for IPv6 eight hex groups, uncompressed (no "::"). */
  toString(): string {
    if (this.family == 4) {
      const v = <u32>this.lo;
      return (v >>> 24).toString() + "." + ((v >>> 16) & 0xff).toString() + "." + ((v >>> 8) & 0xff).toString() + "." + (v & 0xff).toString();
    }
    let out = "";
    for (let i = 0; i < 8; i++) {
      const word = i < 4 ? this.hi : this.lo;
      const group = <u32>((word >>> (<u64>(48 - (i & 3) * 16))) & 0xffff);
      if (i > 0) out += ":";
      out += group.toString(16);
    }
    return out;
  }
}

/** A range of addresses of one family: the first `prefixLength` bits fixed. */
export class Cidr {
  constructor(
    public readonly family: i32,
    public readonly prefixLength: i32,
    public readonly networkHi: u64,
    public readonly networkLo: u64,
    public readonly maskHi: u64,
    public readonly maskLo: u64,
  ) {}

  /** True when `address` is in the range. Families never mix: 10.0.0.0/8 holds no IPv6 address. */
  contains(address: IpAddress): bool {
    return address.family == this.family &&
      (address.hi & this.maskHi) == this.networkHi &&
      (address.lo & this.maskLo) == this.networkLo;
  }
}

/** The result of parseCidr: a range, or an error that says what is wrong. */
export class CidrResult {
  cidr: Cidr | null = null;
  error: string = "";
}

/**
 * Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Bits set
 * beyond the prefix are an error: "10.1.2.3/8" is a typo more often than a wish.
 */
export function parseCidr(text: string): CidrResult {
  const result = new CidrResult();
  const slash = text.indexOf("/");
  const addressEnd = slash < 0 ? text.length : slash;
  const address = parseIpRange(text, 0, addressEnd);
  if (address == null) {
    result.error = "not an IPv4 or IPv6 address";
    return result;
  }
  const bits = address.family == 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    prefix = parseDecimal(text, slash + 1, text.length, bits);
    if (prefix < 0) {
      result.error = "prefix length must be a number from 0 to " + bits.toString();
      return result;
    }
  }
  let maskHi: u64 = 0;
  let maskLo: u64 = 0;
  if (address.family == 4) {
    maskLo = prefix == 0 ? 0 : (<u64>0xffffffff << <u64>(32 - prefix)) & 0xffffffff;
  } else {
    maskHi = prefixMask(min(prefix, 64));
    maskLo = prefixMask(max(prefix - 64, 0));
  }
  if ((address.hi & ~maskHi) != 0 || (address.lo & ~maskLo) != 0) {
    result.error = "address has bits set beyond the /" + prefix.toString() + " prefix";
    return result;
  }
  result.cidr = new Cidr(address.family, prefix, address.hi, address.lo, maskHi, maskLo);
  return result;
}

function prefixMask(bits: i32): u64 {
  if (bits <= 0) return 0;
  if (bits >= 64) return u64.MAX_VALUE;
  return u64.MAX_VALUE << <u64>(64 - bits);
}

/**
 * The peer address of an Envoy "source.address" property: "ip:port" or "[v6]:port".
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, which dual-stack listeners report) become
 * IPv4, so IPv4 ranges hold them. Anything else (a pipe path, garbage) is null.
 */
export function parseSocketAddress(text: string): IpAddress | null {
  const length = text.length;
  if (length == 0) return null;
  let address: IpAddress | null = null;
  if (text.charCodeAt(0) == 0x5b) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    if (close + 1 < length && text.charCodeAt(close + 1) != 0x3a) return null;
    address = parseIpRange(text, 1, close);
  } else {
    const colon = text.lastIndexOf(":");
    // A bare IPv6 address has several colons and no port.
    if (colon >= 0 && text.indexOf(":") == colon) address = parseIpRange(text, 0, colon);
    else address = parseIpRange(text, 0, length);
  }
  if (address == null) return null;
  if (address.family == 6 && address.hi == 0 && (address.lo >>> 32) == 0xffff) {
    return new IpAddress(4, 0, address.lo & 0xffffffff);
  }
  return address;
}

/** Parses an address written in text[start, end); null when it is not one. */
export function parseIpRange(text: string, start: i32, end: i32): IpAddress | null {
  if (start >= end) return null;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) == 0x3a) return parseIpv6(text, start, end);
  }
  const v4 = parseIpv4(text, start, end);
  if (v4 < 0) return null;
  return new IpAddress(4, 0, <u64>v4);
}

/** Dotted quad to its 32-bit value, or -1. Leading zeros are refused: some parsers read them as octal. */
function parseIpv4(text: string, start: i32, end: i32): i64 {
  let value: i64 = 0;
  let octets = 0;
  let pos = start;
  while (octets < 4) {
    let digitsEnd = pos;
    while (digitsEnd < end && isDigit(text.charCodeAt(digitsEnd))) digitsEnd++;
    const count = digitsEnd - pos;
    if (count == 0 || count > 3) return -1;
    if (count > 1 && text.charCodeAt(pos) == 0x30) return -1;
    const octet = parseDecimal(text, pos, digitsEnd, 255);
    if (octet < 0) return -1;
    value = (value << 8) | <i64>octet;
    octets++;
    pos = digitsEnd;
    if (octets < 4) {
      if (pos >= end || text.charCodeAt(pos) != 0x2e) return -1;
      pos++;
    }
  }
  return pos == end ? value : -1;
}

function parseIpv6(text: string, start: i32, end: i32): IpAddress | null {
  // Groups before and after "::"; a trailing dotted quad counts as two groups.
  const groups = new StaticArray<u32>(8);
  let count = 0;
  let gapAt = -1;
  let pos = start;
  if (end - start >= 2 && text.charCodeAt(start) == 0x3a && text.charCodeAt(start + 1) == 0x3a) {
    gapAt = 0;
    pos = start + 2;
    if (pos == end) return new IpAddress(6, 0, 0);
  } else if (text.charCodeAt(start) == 0x3a) {
    return null;
  }
  for (;;) {
    if (count >= 8) return null;
    let groupEnd = pos;
    while (groupEnd < end && hexValue(text.charCodeAt(groupEnd)) >= 0) groupEnd++;
    if (groupEnd < end && text.charCodeAt(groupEnd) == 0x2e) {
      // An embedded IPv4 tail ends the address.
      if (count > 6) return null;
      const v4 = parseIpv4(text, pos, end);
      if (v4 < 0) return null;
      groups[count++] = <u32>(v4 >>> 16);
      groups[count++] = <u32>(v4 & 0xffff);
      break;
    }
    const digits = groupEnd - pos;
    if (digits == 0 || digits > 4) return null;
    let group: u32 = 0;
    for (let i = pos; i < groupEnd; i++) group = (group << 4) | <u32>hexValue(text.charCodeAt(i));
    groups[count++] = group;
    pos = groupEnd;
    if (pos == end) break;
    if (text.charCodeAt(pos) != 0x3a) return null;
    pos++;
    if (pos < end && text.charCodeAt(pos) == 0x3a) {
      if (gapAt >= 0) return null;
      gapAt = count;
      pos++;
      if (pos == end) break;
    } else if (pos == end) {
      return null;
    }
  }
  if (gapAt < 0 && count != 8) return null;
  if (gapAt >= 0 && count > 7) return null;
  const words = new StaticArray<u32>(8);
  if (gapAt < 0) {
    for (let i = 0; i < 8; i++) words[i] = groups[i];
  } else {
    for (let i = 0; i < gapAt; i++) words[i] = groups[i];
    const tail = count - gapAt;
    for (let i = 0; i < tail; i++) words[8 - tail + i] = groups[gapAt + i];
  }
  let hi: u64 = 0;
  let lo: u64 = 0;
  for (let i = 0; i < 4; i++) hi = (hi << 16) | <u64>words[i];
  for (let i = 4; i < 8; i++) lo = (lo << 16) | <u64>words[i];
  return new IpAddress(6, hi, lo);
}

/** A decimal number in text[start, end) no larger than `maximum`, or -1. */
function parseDecimal(text: string, start: i32, end: i32, maximum: i32): i32 {
  if (start >= end || end - start > 10) return -1;
  let value: i64 = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + <i64>(c - 0x30);
  }
  return value > <i64>maximum ? -1 : <i32>value;
}

@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
