// Big-endian cursor over an ArrayBuffer implementing Kafka's wire primitives.
//
// Nothing here traps on malformed input: the first failure sets a sticky error
// (code, field, offset) and from then on every read returns 0/null/empty without
// moving, so callers may check `ok` once per field instead of after every read.

import { DecodeError } from "./errors";
import { RawTaggedField, Uuid } from "./types";

export { DecodeError } from "./errors";

const EMPTY_BUFFER = new ArrayBuffer(0);

/**
 * Reads Kafka's protocol primitive types (https://kafka.apache.org/protocol#protocol_types)
 * from `buffer[pos, end)`. Every read fails softly: on a short or invalid input it sets
 * the sticky error (`errorCode`, `errorField`, `errorOffset`) and returns 0, "" or null.
 */
export class Reader {
  buffer: ArrayBuffer = EMPTY_BUFFER;
  /** Address of `buffer`'s first byte; cached so loads are one add away. */
  private base: usize = 0;
  pos: i32 = 0;
  end: i32 = 0;

  errorCode: DecodeError = DecodeError.None;
  /** Static literal naming the innermost field that failed, e.g. "ProduceRequest.TopicData.Name". */
  errorField: string = "";
  errorOffset: i32 = -1;

  /** See reset(); with no buffer the reader reads nothing until reset. */
  constructor(buffer: ArrayBuffer | null = null, start: i32 = 0, end: i32 = -1) {
    if (buffer) this.reset(buffer, start, end);
  }

  /** Points the reader at `buffer[start, end)` (end = -1: to the end) and clears any error. */
  reset(buffer: ArrayBuffer, start: i32 = 0, end: i32 = -1): void {
    const length = buffer.byteLength;
    if (end < 0 || end > length) end = length;
    if (start < 0) start = 0;
    if (start > end) start = end;
    this.buffer = buffer;
    this.base = changetype<usize>(buffer);
    this.pos = start;
    this.end = end;
    this.errorCode = DecodeError.None;
    this.errorField = "";
    this.errorOffset = -1;
  }

  /** True until the first failure. */
  @inline get ok(): bool {
    return this.errorCode == DecodeError.None;
  }

  /** Bytes left before `end`. */
  @inline remaining(): i32 {
    return this.end - this.pos;
  }

  /** Records the first error only; later failures are consequences of it. */
  fail(code: DecodeError, field: string = ""): void {
    if (this.errorCode != DecodeError.None) return;
    this.errorCode = code;
    this.errorField = field;
    this.errorOffset = this.pos;
  }

  /**
   * Names the field after a primitive read failed. Nested decoders name the innermost
   * field first, so an outer struct never overwrites it. Returns false so generated
   * code can `return r.failedAt("X.Y")`.
   */
  failedAt(field: string): bool {
    if (this.errorField.length == 0) this.errorField = field;
    return false;
  }

  /** Fails with `code` at `field` unless an error is already recorded; returns false. */
  failWith(code: DecodeError, field: string): bool {
    this.fail(code, field);
    return this.failedAt(field);
  }

  // Bounds check for a fixed-size read; on failure the reader is poisoned.
  @inline private need(size: i32): bool {
    if (this.errorCode != DecodeError.None) return false;
    if (<u32>size > <u32>(this.end - this.pos)) {
      this.fail(DecodeError.Truncated);
      return false;
    }
    return true;
  }

  @inline private addr(): usize {
    return this.base + <usize>this.pos;
  }

  /** Moves `n` bytes on; NegativeLength for n < 0, Truncated when fewer remain. */
  skip(n: i32): void {
    if (n < 0) {
      this.fail(DecodeError.NegativeLength);
      return;
    }
    if (!this.need(n)) return;
    this.pos += n;
  }

  // ---- fixed-size integers -------------------------------------------------------

  /** INT8; 0 and Truncated past the end (as every fixed-size read below). */
  readInt8(): i8 {
    if (!this.need(1)) return 0;
    const v = load<i8>(this.addr());
    this.pos += 1;
    return v;
  }

  /** One unsigned byte. */
  readUint8(): u8 {
    if (!this.need(1)) return 0;
    const v = load<u8>(this.addr());
    this.pos += 1;
    return v;
  }

  /** BOOLEAN: any non-zero byte is true, as Kafka's reader takes it. */
  readBool(): bool {
    return this.readInt8() != 0;
  }

  /** INT16, big-endian. */
  readInt16(): i16 {
    if (!this.need(2)) return 0;
    const v = bswap<u16>(load<u16>(this.addr()));
    this.pos += 2;
    return <i16>v;
  }

  /** UINT16, big-endian. */
  readUint16(): u16 {
    if (!this.need(2)) return 0;
    const v = bswap<u16>(load<u16>(this.addr()));
    this.pos += 2;
    return v;
  }

  /** INT32, big-endian. */
  readInt32(): i32 {
    if (!this.need(4)) return 0;
    const v = bswap<u32>(load<u32>(this.addr()));
    this.pos += 4;
    return <i32>v;
  }

  /** UINT32, big-endian (e.g. a record batch CRC). */
  readUint32(): u32 {
    if (!this.need(4)) return 0;
    const v = bswap<u32>(load<u32>(this.addr()));
    this.pos += 4;
    return v;
  }

  /** INT64, big-endian. */
  readInt64(): i64 {
    if (!this.need(8)) return 0;
    const v = bswap<u64>(load<u64>(this.addr()));
    this.pos += 8;
    return <i64>v;
  }

  /** FLOAT64: an IEEE 754 double, big-endian. */
  readFloat64(): f64 {
    if (!this.need(8)) return 0;
    const v = bswap<u64>(load<u64>(this.addr()));
    this.pos += 8;
    return reinterpret<f64>(v);
  }

  /** Reads a UUID into `out` (no allocation). */
  readUuidInto(out: Uuid): void {
    if (!this.need(16)) {
      out.set(0, 0);
      return;
    }
    const p = this.addr();
    out.set(bswap<u64>(load<u64>(p)), bswap<u64>(load<u64>(p, 8)));
    this.pos += 16;
  }

  /** UUID as a new Uuid; the zero UUID and Truncated past the end. */
  readUuid(): Uuid {
    const u = new Uuid();
    this.readUuidInto(u);
    return u;
  }

  // ---- varints -------------------------------------------------------------------

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  readUnsignedVarint(): u32 {
    if (this.errorCode != DecodeError.None) return 0;
    let value: u32 = 0;
    let shift: u32 = 0;
    let p = this.pos;
    const end = this.end;
    const base = this.base;
    while (true) {
      if (p >= end) {
        this.fail(DecodeError.Truncated);
        return 0;
      }
      const b = <u32>load<u8>(base + <usize>p);
      p++;
      if (shift == 28 && (b & 0xF0) != 0) {
        // A 5th byte may only carry the top 4 bits and must end the varint.
        this.fail(DecodeError.InvalidVarint);
        return 0;
      }
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
      shift += 7;
    }
    this.pos = p;
    return value;
  }

  /** Zigzag-encoded signed 32-bit varint. */
  readVarint(): i32 {
    const v = this.readUnsignedVarint();
    return <i32>((v >>> 1) ^ (0 - (v & 1)));
  }

  /** Unsigned LEB128, at most 10 bytes (64 bits). */
  readUnsignedVarlong(): u64 {
    if (this.errorCode != DecodeError.None) return 0;
    let value: u64 = 0;
    let shift: u64 = 0;
    let p = this.pos;
    const end = this.end;
    const base = this.base;
    while (true) {
      if (p >= end) {
        this.fail(DecodeError.Truncated);
        return 0;
      }
      const b = <u64>load<u8>(base + <usize>p);
      p++;
      if (shift == 63 && (b & 0xFE) != 0) {
        this.fail(DecodeError.InvalidVarint);
        return 0;
      }
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
      shift += 7;
    }
    this.pos = p;
    return value;
  }

  /** Zigzag-encoded signed 64-bit varint. */
  readVarlong(): i64 {
    const v = this.readUnsignedVarlong();
    return <i64>((v >>> 1) ^ (0 - (v & 1)));
  }

  // ---- lengths -------------------------------------------------------------------

  /**
   * Reads a string/bytes length prefix and validates it against the remaining input.
   * Returns -1 for null (only when `nullable`), the length otherwise, 0 after an error.
   * compact: unsigned varint N+1 (0 = null); otherwise int16 (strings) or int32 (bytes).
   */
  private readLength(compact: bool, nullable: bool, wide: bool): i32 {
    let length: i32;
    if (compact) {
      const n = this.readUnsignedVarint();
      if (this.errorCode != DecodeError.None) return 0;
      length = <i32>n - 1; // n <= 0xFFFFFFFF: values above i32 max become negative and are rejected below
      if (n > <u32>i32.MAX_VALUE) {
        this.fail(DecodeError.LengthTooLarge);
        return 0;
      }
    } else {
      length = wide ? this.readInt32() : <i32>this.readInt16();
      if (this.errorCode != DecodeError.None) return 0;
    }
    if (length < 0) {
      if (length == -1) {
        if (nullable) return -1;
        this.fail(DecodeError.NullNotAllowed);
        return 0;
      }
      this.fail(DecodeError.NegativeLength);
      return 0;
    }
    if (length > this.end - this.pos) {
      this.fail(DecodeError.LengthTooLarge);
      return 0;
    }
    return length;
  }

  /**
   * Reads an array count (compact: varint N+1, 0 = null; otherwise int32, -1 = null).
   * Returns -1 for null, the count otherwise, 0 after an error. The count is rejected
   * when `count * minElementSize` exceeds the remaining bytes, so callers can allocate
   * the array up front without letting a 4-byte lie reserve gigabytes.
   */
  readArrayLength(compact: bool, nullable: bool, minElementSize: i32 = 1): i32 {
    let count: i32;
    if (compact) {
      const n = this.readUnsignedVarint();
      if (this.errorCode != DecodeError.None) return 0;
      if (n > <u32>i32.MAX_VALUE) {
        this.fail(DecodeError.CountTooLarge);
        return 0;
      }
      count = <i32>n - 1;
    } else {
      count = this.readInt32();
      if (this.errorCode != DecodeError.None) return 0;
    }
    if (count < 0) {
      if (count == -1) {
        if (nullable) return -1;
        this.fail(DecodeError.NullNotAllowed);
        return 0;
      }
      this.fail(DecodeError.NegativeLength);
      return 0;
    }
    const unit = minElementSize < 1 ? 1 : minElementSize;
    if (<i64>count * <i64>unit > <i64>(this.end - this.pos)) {
      this.fail(DecodeError.CountTooLarge);
      return 0;
    }
    return count;
  }

  /** COMPACT_ARRAY count; see readArrayLength (null not allowed). */
  @inline readCompactArrayLength(minElementSize: i32 = 1): i32 {
    return this.readArrayLength(true, false, minElementSize);
  }

  /** Nullable COMPACT_ARRAY count (-1 = null); see readArrayLength. */
  @inline readCompactNullableArrayLength(minElementSize: i32 = 1): i32 {
    return this.readArrayLength(true, true, minElementSize);
  }

  /** Nullable ARRAY count (int32, -1 = null); see readArrayLength. */
  @inline readNullableArrayLength(minElementSize: i32 = 1): i32 {
    return this.readArrayLength(false, true, minElementSize);
  }

  // ---- strings -------------------------------------------------------------------

  /** A string as UTF-8, or null when `nullable` and the length is -1. */
  readStringOf(compact: bool, nullable: bool): string | null {
    const length = this.readLength(compact, nullable, false);
    if (length < 0) return null;
    if (this.errorCode != DecodeError.None) return nullable ? null : "";
    if (length == 0) return "";
    const s = String.UTF8.decodeUnsafe(this.addr(), <usize>length);
    this.pos += length;
    return s;
  }

  /**
   * Reads a string length and skips its bytes without decoding them; returns the start
   * offset in `buffer` and leaves the length in `lastLength` (-1 = null). For zero-copy
   * access such as the request header's ClientId.
   */
  readStringView(compact: bool, nullable: bool): i32 {
    const length = this.readLength(compact, nullable, false);
    const start = this.pos;
    this.lastLength = this.errorCode == DecodeError.None ? length : 0;
    if (length > 0) this.pos += length;
    return start;
  }

  /** Length produced by the last *View read; -1 = null. */
  lastLength: i32 = 0;

  /** STRING (int16 length); "" after an error, NullNotAllowed for a -1 length. */
  readString(): string {
    const s = this.readStringOf(false, false);
    return s === null ? "" : s;
  }

  /** NULLABLE_STRING (int16 length, -1 = null). */
  @inline readNullableString(): string | null {
    return this.readStringOf(false, true);
  }

  /** COMPACT_STRING (varint length + 1); "" after an error, NullNotAllowed for a 0 prefix. */
  readCompactString(): string {
    const s = this.readStringOf(true, false);
    return s === null ? "" : s;
  }

  /** COMPACT_NULLABLE_STRING (varint length + 1, 0 = null). */
  @inline readCompactNullableString(): string | null {
    return this.readStringOf(true, true);
  }

  // ---- bytes ---------------------------------------------------------------------

  /** A copy of a bytes field, or null when `nullable` and the length is -1. */
  readBytesOf(compact: bool, nullable: bool): ArrayBuffer | null {
    const length = this.readLength(compact, nullable, true);
    if (length < 0) return null;
    if (this.errorCode != DecodeError.None) return nullable ? null : EMPTY_BUFFER;
    const out = new ArrayBuffer(length);
    memory.copy(changetype<usize>(out), this.addr(), <usize>length);
    this.pos += length;
    return out;
  }

  /** Like readStringView for bytes/records: returns the start offset, length in `lastLength`. */
  readBytesView(compact: bool, nullable: bool): i32 {
    const length = this.readLength(compact, nullable, true);
    const start = this.pos;
    this.lastLength = this.errorCode == DecodeError.None ? length : 0;
    if (length > 0) this.pos += length;
    return start;
  }

  /** BYTES (int32 length) as a copy; empty after an error. */
  readBytes(): ArrayBuffer {
    const b = this.readBytesOf(false, false);
    return b === null ? EMPTY_BUFFER : b;
  }

  /** NULLABLE_BYTES (int32 length, -1 = null) as a copy. */
  @inline readNullableBytes(): ArrayBuffer | null {
    return this.readBytesOf(false, true);
  }

  /** COMPACT_BYTES (varint length + 1) as a copy; empty after an error. */
  readCompactBytes(): ArrayBuffer {
    const b = this.readBytesOf(true, false);
    return b === null ? EMPTY_BUFFER : b;
  }

  /** COMPACT_NULLABLE_BYTES (varint length + 1, 0 = null) as a copy. */
  @inline readCompactNullableBytes(): ArrayBuffer | null {
    return this.readBytesOf(true, true);
  }

  // ---- tagged fields -------------------------------------------------------------
  //
  // A tagged-field section is: varint count, then per field varint tag, varint size,
  // `size` bytes. Generated decoders drive the loop themselves so known tags can be
  // decoded in place:
  //
  //   let n = r.readTaggedFieldCount();
  //   while (n-- > 0 && r.ok) { const tag = r.readUnsignedVarint(); const size = r.readTaggedFieldSize(); ... }

  /** Number of tagged fields; each needs at least 2 bytes, so larger counts are rejected. */
  readTaggedFieldCount(): i32 {
    const n = this.readUnsignedVarint();
    if (this.errorCode != DecodeError.None) return 0;
    if (<u64>n * 2 > <u64>(this.end - this.pos)) {
      this.fail(DecodeError.CountTooLarge);
      return 0;
    }
    return <i32>n;
  }

  /** Payload size of the current tagged field, validated against the remaining bytes. */
  readTaggedFieldSize(): i32 {
    const n = this.readUnsignedVarint();
    if (this.errorCode != DecodeError.None) return 0;
    if (<u64>n > <u64>(this.end - this.pos)) {
      this.fail(DecodeError.LengthTooLarge);
      return 0;
    }
    return <i32>n;
  }

  /** Copies the next `size` bytes as an unknown tagged field. */
  readRawTaggedField(tag: u32, size: i32): RawTaggedField | null {
    if (!this.need(size)) return null;
    const data = new ArrayBuffer(size);
    memory.copy(changetype<usize>(data), this.addr(), <usize>size);
    this.pos += size;
    return new RawTaggedField(tag, data);
  }

  /** Skips a whole tagged-field section without interpreting it. */
  skipTaggedFields(): void {
    let n = this.readTaggedFieldCount();
    while (n-- > 0 && this.errorCode == DecodeError.None) {
      this.readUnsignedVarint();
      const size = this.readTaggedFieldSize();
      this.skip(size);
    }
  }

  /** Reads a whole tagged-field section keeping every field raw (no known tags). */
  readUnknownTaggedFields(): Array<RawTaggedField> | null {
    let n = this.readTaggedFieldCount();
    if (n == 0) return null;
    const out = new Array<RawTaggedField>();
    while (n-- > 0 && this.errorCode == DecodeError.None) {
      const tag = this.readUnsignedVarint();
      const size = this.readTaggedFieldSize();
      const f = this.readRawTaggedField(tag, size);
      if (f) out.push(f);
    }
    return out;
  }
}
