// Big-endian growable output buffer implementing Kafka's wire primitives; the mirror
// of Reader. Encoding never traps either: values that cannot be represented set a
// sticky EncodeError (the bytes written so far are then meaningless).

import { EncodeError } from "./errors";
import { RawTaggedField, RecordsView, Uuid } from "./types";

export { EncodeError } from "./errors";

/**
 * Writes Kafka's protocol primitive types (https://kafka.apache.org/protocol#protocol_types)
 * big-endian into a buffer that grows by doubling; `pos` is the bytes written so far. A
 * value it cannot represent sets the sticky `errorCode`/`errorField` (see file comment).
 */
export class Writer {
  buffer: ArrayBuffer;
  pos: i32 = 0;

  errorCode: EncodeError = EncodeError.None;
  errorField: string = "";

  /** `initialCapacity` in bytes (at least 16); the buffer grows as needed. */
  constructor(initialCapacity: i32 = 256) {
    this.buffer = new ArrayBuffer(initialCapacity < 16 ? 16 : initialCapacity);
  }

  /** Starts over, keeping the allocated capacity. */
  reset(): void {
    this.pos = 0;
    this.errorCode = EncodeError.None;
    this.errorField = "";
  }

  /** True until the first failure. */
  @inline get ok(): bool {
    return this.errorCode == EncodeError.None;
  }

  /** Records the first failure only, naming `field`; later ones are its consequences. */
  fail(code: EncodeError, field: string): void {
    if (this.errorCode != EncodeError.None) return;
    this.errorCode = code;
    this.errorField = field;
  }

  /** Makes room for `n` more bytes, doubling so that appends are amortised O(1). */
  ensure(n: i32): void {
    const needed = this.pos + n;
    const capacity = this.buffer.byteLength;
    if (needed <= capacity) return;
    let next = capacity << 1;
    if (next < needed) next = needed;
    const grown = new ArrayBuffer(next);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>this.pos);
    this.buffer = grown;
  }

  @inline private addr(): usize {
    return changetype<usize>(this.buffer) + <usize>this.pos;
  }

  /** The bytes written so far, as a fresh buffer. */
  toArrayBuffer(): ArrayBuffer {
    return this.buffer.slice(0, this.pos);
  }

  // ---- fixed-size ----------------------------------------------------------------

  /** INT8 (as every fixed-size write below: big-endian, growing the buffer as needed). */
  writeInt8(v: i8): void {
    this.ensure(1);
    store<i8>(this.addr(), v);
    this.pos += 1;
  }

  /** One unsigned byte. */
  writeUint8(v: u8): void {
    this.ensure(1);
    store<u8>(this.addr(), v);
    this.pos += 1;
  }

  /** BOOLEAN: 1 for true, 0 for false. */
  @inline writeBool(v: bool): void {
    this.writeInt8(v ? 1 : 0);
  }

  /** INT16. */
  writeInt16(v: i16): void {
    this.ensure(2);
    store<u16>(this.addr(), bswap<u16>(<u16>v));
    this.pos += 2;
  }

  /** UINT16. */
  writeUint16(v: u16): void {
    this.ensure(2);
    store<u16>(this.addr(), bswap<u16>(v));
    this.pos += 2;
  }

  /** INT32. */
  writeInt32(v: i32): void {
    this.ensure(4);
    store<u32>(this.addr(), bswap<u32>(<u32>v));
    this.pos += 4;
  }

  /** UINT32. */
  writeUint32(v: u32): void {
    this.ensure(4);
    store<u32>(this.addr(), bswap<u32>(v));
    this.pos += 4;
  }

  /** INT64. */
  writeInt64(v: i64): void {
    this.ensure(8);
    store<u64>(this.addr(), bswap<u64>(<u64>v));
    this.pos += 8;
  }

  /** FLOAT64 (IEEE 754 double). */
  writeFloat64(v: f64): void {
    this.ensure(8);
    store<u64>(this.addr(), bswap<u64>(reinterpret<u64>(v)));
    this.pos += 8;
  }

  /** UUID: `hi` then `lo`, 16 bytes. */
  writeUuid(v: Uuid): void {
    this.ensure(16);
    const p = this.addr();
    store<u64>(p, bswap<u64>(v.hi));
    store<u64>(p, bswap<u64>(v.lo), 8);
    this.pos += 16;
  }

  /** Overwrites 4 bytes at an earlier position, e.g. a length prefix known only afterwards. */
  patchInt32(at: i32, v: i32): void {
    store<u32>(changetype<usize>(this.buffer) + <usize>at, bswap<u32>(<u32>v));
  }

  // ---- varints -------------------------------------------------------------------

  /** UNSIGNED_VARINT: LEB128, 1-5 bytes. */
  writeUnsignedVarint(v: u32): void {
    this.ensure(5);
    let p = this.addr();
    const start = p;
    while (v >= 0x80) {
      store<u8>(p++, <u8>(v | 0x80));
      v >>>= 7;
    }
    store<u8>(p++, <u8>v);
    this.pos += <i32>(p - start);
  }

  /** VARINT: zigzag then LEB128, 1-5 bytes. */
  @inline writeVarint(v: i32): void {
    this.writeUnsignedVarint(<u32>((v << 1) ^ (v >> 31)));
  }

  /** Unsigned LEB128 of 64 bits, 1-10 bytes. */
  writeUnsignedVarlong(v: u64): void {
    this.ensure(10);
    let p = this.addr();
    const start = p;
    while (v >= 0x80) {
      store<u8>(p++, <u8>(v | 0x80));
      v >>>= 7;
    }
    store<u8>(p++, <u8>v);
    this.pos += <i32>(p - start);
  }

  /** VARLONG: zigzag then LEB128, 1-10 bytes. */
  @inline writeVarlong(v: i64): void {
    this.writeUnsignedVarlong(<u64>((v << 1) ^ (v >> 63)));
  }

  // ---- lengths -------------------------------------------------------------------

  /** compact: varint N+1 (0 = null); otherwise int32 (-1 = null). Pass -1 for null. */
  writeArrayLength(compact: bool, count: i32): void {
    if (compact) this.writeUnsignedVarint(<u32>(count + 1));
    else this.writeInt32(count);
  }

  private writeRaw(src: usize, length: i32): void {
    this.ensure(length);
    memory.copy(this.addr(), src, <usize>length);
    this.pos += length;
  }

  // ---- strings -------------------------------------------------------------------

  /** Writes a string (null allowed; the generated code checks nullability first). */
  writeStringOf(s: string | null, compact: bool): void {
    if (s === null) {
      this.writeStringLength(-1, compact);
      return;
    }
    const length = String.UTF8.byteLength(s);
    if (!this.writeStringLength(length, compact)) return;
    this.ensure(length);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.addr());
    this.pos += length;
  }

  /** Copies raw string bytes from `buffer[offset, offset+length)`; length -1 = null. */
  writeStringBytes(buffer: ArrayBuffer | null, offset: i32, length: i32, compact: bool): void {
    if (length < 0 || buffer === null) {
      this.writeStringLength(-1, compact);
      return;
    }
    if (!this.writeStringLength(length, compact)) return;
    this.writeRaw(changetype<usize>(buffer) + <usize>offset, length);
  }

  /**
   * A string's length prefix for `length` bytes, or null when `length` is negative:
   * varint length + 1 (0 = null) when `compact`, else int16 (-1 = null). A classic
   * string over 32767 bytes fails with ValueTooLarge and returns false (an int16 cast
   * would wrap it to a negative length); the caller then writes no bytes.
   */
  private writeStringLength(length: i32, compact: bool): bool {
    if (compact) {
      this.writeUnsignedVarint(length < 0 ? 0 : <u32>length + 1);
      return true;
    }
    if (length > i16.MAX_VALUE) {
      this.fail(EncodeError.ValueTooLarge, "");
      return false;
    }
    this.writeInt16(<i16>(length < 0 ? -1 : length));
    return true;
  }

  /** STRING / NULLABLE_STRING (int16 length, -1 = null); ValueTooLarge above 32767 UTF-8 bytes. */
  @inline writeString(s: string | null): void {
    this.writeStringOf(s, false);
  }

  /** COMPACT_STRING / COMPACT_NULLABLE_STRING (varint length + 1, 0 = null). */
  @inline writeCompactString(s: string | null): void {
    this.writeStringOf(s, true);
  }

  // ---- bytes ---------------------------------------------------------------------

  /** A bytes field: int32 length (-1 = null) or, `compact`, varint length + 1 (0 = null); then the bytes. */
  writeBytesOf(b: ArrayBuffer | null, compact: bool): void {
    if (b === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt32(-1);
      return;
    }
    const length = b.byteLength;
    if (compact) this.writeUnsignedVarint(<u32>length + 1);
    else this.writeInt32(length);
    this.writeRaw(changetype<usize>(b), length);
  }

  /** BYTES / NULLABLE_BYTES (int32 length, -1 = null). */
  @inline writeBytes(b: ArrayBuffer | null): void {
    this.writeBytesOf(b, false);
  }

  /** COMPACT_BYTES / COMPACT_NULLABLE_BYTES (varint length + 1, 0 = null). */
  @inline writeCompactBytes(b: ArrayBuffer | null): void {
    this.writeBytesOf(b, true);
  }

  /** A records field: same framing as bytes, payload copied from the view. */
  writeRecords(v: RecordsView | null, compact: bool): void {
    if (v === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt32(-1);
      return;
    }
    if (compact) this.writeUnsignedVarint(<u32>v.length + 1);
    else this.writeInt32(v.length);
    this.writeRaw(changetype<usize>(v.buffer) + <usize>v.offset, v.length);
  }

  /** Appends bytes verbatim (no length prefix). */
  writeRawBytes(buffer: ArrayBuffer, offset: i32, length: i32): void {
    this.writeRaw(changetype<usize>(buffer) + <usize>offset, length);
  }

  // ---- tagged fields -------------------------------------------------------------

  /** One tagged field as kept: varint tag, varint size, payload. */
  writeRawTaggedField(f: RawTaggedField): void {
    this.writeUnsignedVarint(f.tag);
    this.writeUnsignedVarint(<u32>f.data.byteLength);
    this.writeRaw(changetype<usize>(f.data), f.data.byteLength);
  }

  /** An empty tagged-field section (count 0). */
  @inline writeEmptyTaggedFields(): void {
    this.writeUint8(0);
  }
}

// ---- sizes -----------------------------------------------------------------------
// Used by generated size() methods so that encoders can size buffers exactly.

/** Bytes (1-5) writeUnsignedVarint uses for `v`. */
export function sizeOfUnsignedVarint(v: u32): i32 {
  // Each byte carries 7 bits: 1 + floor((bits - 1) / 7), with at least one byte.
  const bits = 32 - clz<u32>(v | 1);
  return (bits + 6) / 7;
}

/** Bytes (1-5) writeVarint uses for `v`. */
export function sizeOfVarint(v: i32): i32 {
  return sizeOfUnsignedVarint(<u32>((v << 1) ^ (v >> 31)));
}

/** Bytes (1-10) writeUnsignedVarlong uses for `v`. */
export function sizeOfUnsignedVarlong(v: u64): i32 {
  const bits = 64 - <i32>clz<u64>(v | 1);
  return (bits + 6) / 7;
}

/** Bytes (1-10) writeVarlong uses for `v`. */
export function sizeOfVarlong(v: i64): i32 {
  return sizeOfUnsignedVarlong(<u64>((v << 1) ^ (v >> 63)));
}

/** Bytes of a string field including its length prefix. */
export function sizeOfString(s: string | null, compact: bool): i32 {
  if (s === null) return compact ? 1 : 2;
  const length = String.UTF8.byteLength(s);
  return (compact ? sizeOfUnsignedVarint(<u32>length + 1) : 2) + length;
}

/** Bytes of a bytes field including its length prefix. */
export function sizeOfBytes(b: ArrayBuffer | null, compact: bool): i32 {
  if (b === null) return compact ? 1 : 4;
  const length = b.byteLength;
  return (compact ? sizeOfUnsignedVarint(<u32>length + 1) : 4) + length;
}

/** Bytes of a records field including its length prefix (as bytes; null: the prefix alone). */
export function sizeOfRecords(v: RecordsView | null, compact: bool): i32 {
  if (v === null) return compact ? 1 : 4;
  return (compact ? sizeOfUnsignedVarint(<u32>v.length + 1) : 4) + v.length;
}

/** Bytes of an array length prefix; count -1 = null. */
export function sizeOfArrayLength(count: i32, compact: bool): i32 {
  return compact ? sizeOfUnsignedVarint(<u32>(count + 1)) : 4;
}

/** Bytes writeRawTaggedField writes for `f`. */
export function sizeOfRawTaggedField(f: RawTaggedField): i32 {
  const length = f.data.byteLength;
  return sizeOfUnsignedVarint(f.tag) + sizeOfUnsignedVarint(<u32>length) + length;
}
