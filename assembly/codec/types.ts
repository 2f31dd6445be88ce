// Small value types used by the Reader, the Writer and the generated messages.

/** A Kafka UUID: 128 bits, big-endian on the wire, kept as two 64-bit halves. */
export class Uuid {
  hi: u64;
  lo: u64;

  /** `hi` holds the UUID's first 8 bytes on the wire, `lo` the last 8. */
  constructor(hi: u64 = 0, lo: u64 = 0) {
    this.hi = hi;
    this.lo = lo;
  }

  /** The zero UUID, which Kafka uses for "no topic id" (Uuid.ZERO_UUID). */
  @inline isZero(): bool {
    return (this.hi | this.lo) == 0;
  }

  /** Same 128 bits. */
  @inline equals(other: Uuid): bool {
    return this.hi == other.hi && this.lo == other.lo;
  }

  /** Overwrites in place, so a reused Uuid need not be reallocated. */
  @inline set(hi: u64, lo: u64): void {
    this.hi = hi;
    this.lo = lo;
  }

  /** A copy the caller may keep past this Uuid's reuse. */
  clone(): Uuid {
    return new Uuid(this.hi, this.lo);
  }

  /** Canonical 8-4-4-4-12 hex form; for logs and tests only. */
  toString(): string {
    const hex = hex64(this.hi) + hex64(this.lo);
    return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" +
      hex.substring(16, 20) + "-" + hex.substring(20, 32);
  }
}

function hex64(value: u64): string {
  const s = value.toString(16);
  return s.length >= 16 ? s : "0000000000000000".substring(0, 16 - s.length) + s;
}

/**
 * A tagged field whose tag this codec version does not know. Kept verbatim so that a
 * proxy built against an older protocol forwards newer peers' fields unchanged.
 */
export class RawTaggedField {
  tag: u32;
  data: ArrayBuffer;

  /** `data` is the field's payload without its tag and size varints. */
  constructor(tag: u32, data: ArrayBuffer) {
    this.tag = tag;
    this.data = data;
  }
}

/**
 * A `records` field: a view (offset + length) into the buffer it was decoded from.
 * Record batches are never copied on decode; encode copies the range.
 */
export class RecordsView {
  buffer: ArrayBuffer;
  offset: i32;
  length: i32;

  /** The view covers `buffer[offset, offset + length)` in bytes; the buffer is not copied. */
  constructor(buffer: ArrayBuffer, offset: i32, length: i32) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
  }

  /** A view of zero bytes over a fresh buffer. */
  static empty(): RecordsView {
    return new RecordsView(new ArrayBuffer(0), 0, 0);
  }

  /** A view of the whole of `buffer`. */
  static of(buffer: ArrayBuffer): RecordsView {
    return new RecordsView(buffer, 0, buffer.byteLength);
  }

  /** Copies the viewed bytes out; for tests and callers that outlive the input. */
  toArrayBuffer(): ArrayBuffer {
    return this.buffer.slice(this.offset, this.offset + this.length);
  }
}
