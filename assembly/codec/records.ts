// Record batches (magic v2) read in place: the batch header without decompressing,
// and the records of uncompressed batches as offset/length views. Nothing here
// allocates per batch or per record; the caller reuses one header and one iterator.
//
// Batch layout (big-endian):
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
//   crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
//   maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
//   recordCount int32 | records...
// batchLength counts the bytes after the batchLength field; the CRC (CRC-32C) covers
// attributes to the end of the batch.
//
// Record layout (varints are zigzag):
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value | headerCount varint |
//   headers: keyLength varint | key | valueLength varint | value

import { Reader } from "./reader";
import { DecodeError } from "./errors";

/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_SIZE: i32 = 61;
/** Bytes of baseOffset + batchLength, which batchLength does not count. */
export const LOG_OVERHEAD: i32 = 12;
const CRC_START: i32 = 21; // offset of attributes within the batch

/** The codec in a batch's attributes bits 0-2 (Kafka's CompressionType ids). */
export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/**
 * The fixed 61-byte header of one magic v2 record batch (layout above), read in place;
 * reusable, and `ok`/`errorCode` say whether the last read() succeeded.
 */
export class RecordBatchHeader {
  buffer: ArrayBuffer = new ArrayBuffer(0);
  /** Offset of the batch (its baseOffset field) in `buffer`. */
  offset: i32 = 0;

  baseOffset: i64 = 0;
  batchLength: i32 = 0;
  partitionLeaderEpoch: i32 = 0;
  magic: i8 = 0;
  crc: u32 = 0;
  attributes: i16 = 0;
  lastOffsetDelta: i32 = 0;
  baseTimestamp: i64 = 0;
  maxTimestamp: i64 = 0;
  producerId: i64 = 0;
  producerEpoch: i16 = 0;
  baseSequence: i32 = 0;
  recordCount: i32 = 0;

  errorCode: DecodeError = DecodeError.None;

  /** True when the last read() succeeded. */
  @inline get ok(): bool {
    return this.errorCode == DecodeError.None;
  }

  /**
   * Reads the header of the batch at `buffer[offset]`, of which `available` bytes are
   * present. Fails (Truncated) unless the whole batch is available, and (InvalidRecord)
   * for magic other than 2 or a batchLength too small to hold the header.
   */
  read(buffer: ArrayBuffer, offset: i32, available: i32): bool {
    this.buffer = buffer;
    this.offset = offset;
    this.errorCode = DecodeError.None;
    if (offset < 0 || available < 0 || offset > buffer.byteLength || available > buffer.byteLength - offset) {
      this.errorCode = DecodeError.Truncated;
      return false;
    }
    if (available < RECORD_BATCH_HEADER_SIZE) {
      this.errorCode = DecodeError.Truncated;
      return false;
    }
    const r = scratch;
    r.reset(buffer, offset, offset + available);
    this.baseOffset = r.readInt64();
    this.batchLength = r.readInt32();
    this.partitionLeaderEpoch = r.readInt32();
    this.magic = r.readInt8();
    this.crc = r.readUint32();
    this.attributes = r.readInt16();
    this.lastOffsetDelta = r.readInt32();
    this.baseTimestamp = r.readInt64();
    this.maxTimestamp = r.readInt64();
    this.producerId = r.readInt64();
    this.producerEpoch = r.readInt16();
    this.baseSequence = r.readInt32();
    this.recordCount = r.readInt32();
    if (this.magic != 2 || this.batchLength < RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD || this.recordCount < 0) {
      this.errorCode = DecodeError.InvalidRecord;
      return false;
    }
    if (<i64>this.batchLength + LOG_OVERHEAD > <i64>available) {
      this.errorCode = DecodeError.Truncated;
      return false;
    }
    return true;
  }

  /** Bytes of the whole batch, header included: where the next batch starts. */
  @inline totalSize(): i32 {
    return this.batchLength + LOG_OVERHEAD;
  }

  /** Offset in `buffer` of the first record. */
  @inline recordsOffset(): i32 {
    return this.offset + RECORD_BATCH_HEADER_SIZE;
  }

  /** Offset in `buffer` just past the batch. */
  @inline end(): i32 {
    return this.offset + LOG_OVERHEAD + this.batchLength;
  }

  /** Compression codec (attributes bits 0-2): a Compression value. */
  @inline compression(): i32 {
    return this.attributes & 0x07;
  }

  /** 0 = CreateTime, 1 = LogAppendTime (attributes bit 3). */
  @inline timestampType(): i32 {
    return (this.attributes >> 3) & 1;
  }

  /** Attributes bit 4: written by a transactional producer. */
  @inline isTransactional(): bool {
    return (this.attributes & 0x10) != 0;
  }

  /** Attributes bit 5: a control batch (transaction commit/abort markers), no user records. */
  @inline isControl(): bool {
    return (this.attributes & 0x20) != 0;
  }

  /** The batch's base timestamp is a delete horizon (attributes bit 6, compacted topics). */
  @inline hasDeleteHorizon(): bool {
    return (this.attributes & 0x40) != 0;
  }

  /** CRC-32C over attributes..end, to compare with `crc`. */
  computeCrc(): u32 {
    const start = this.offset + CRC_START;
    return crc32c(this.buffer, start, this.end() - start);
  }
}

/** One record of an uncompressed batch; key/value/headers are views into the buffer. */
export class RecordIterator {
  private r: Reader = new Reader();
  private left: i32 = 0;
  private batchEnd: i32 = 0;

  buffer: ArrayBuffer = new ArrayBuffer(0);
  /** Offset of the current record's length varint. */
  recordOffset: i32 = 0;
  /** The record's length field: bytes after it. */
  length: i32 = 0;
  attributes: i8 = 0;
  timestampDelta: i64 = 0;
  offsetDelta: i32 = 0;
  keyOffset: i32 = 0;
  /** -1 = null key. */
  keyLength: i32 = -1;
  valueOffset: i32 = 0;
  /** -1 = null value (a tombstone). */
  valueLength: i32 = -1;
  headerCount: i32 = 0;
  /** Range of the encoded headers; walk it with RecordHeaderIterator. */
  headersOffset: i32 = 0;
  headersLength: i32 = 0;

  errorCode: DecodeError = DecodeError.None;

  /** True until reset() or next() failed. */
  @inline get ok(): bool {
    return this.errorCode == DecodeError.None;
  }

  /**
   * Starts iterating the records of `batch` (read from `buffer`). Fails with
   * InvalidRecord for compressed batches, whose records need decompressing first.
   */
  reset(buffer: ArrayBuffer, batch: RecordBatchHeader): bool {
    this.buffer = buffer;
    this.errorCode = DecodeError.None;
    this.left = 0;
    if (!batch.ok) {
      this.errorCode = batch.errorCode;
      return false;
    }
    if (batch.compression() != Compression.None) {
      this.errorCode = DecodeError.InvalidRecord;
      return false;
    }
    this.batchEnd = batch.end();
    this.r.reset(buffer, batch.recordsOffset(), this.batchEnd);
    this.left = batch.recordCount;
    return true;
  }

  /** Advances to the next record; false at the end or on error (check `ok`). */
  next(): bool {
    if (this.left <= 0 || this.errorCode != DecodeError.None) return false;
    const r = this.r;
    this.recordOffset = r.pos;
    const length = r.readVarint();
    if (!r.ok) return this.failFrom(r);
    if (length < 0 || length > r.remaining()) {
      this.errorCode = DecodeError.InvalidRecord;
      return false;
    }
    const recordEnd = r.pos + length;
    this.length = length;
    this.attributes = r.readInt8();
    this.timestampDelta = r.readVarlong();
    this.offsetDelta = r.readVarint();
    this.keyLength = this.readView(r, recordEnd);
    this.keyOffset = this.viewStart;
    this.valueLength = this.readView(r, recordEnd);
    this.valueOffset = this.viewStart;
    this.headerCount = r.readVarint();
    if (!r.ok) return this.failFrom(r);
    if (this.headerCount < 0 || this.headerCount > recordEnd - r.pos) {
      this.errorCode = DecodeError.InvalidRecord;
      return false;
    }
    this.headersOffset = r.pos;
    this.headersLength = recordEnd - r.pos;
    // Validate the headers now so a consumer of headersOffset never sees a bad range.
    for (let i = 0; i < this.headerCount; i++) {
      this.readView(r, recordEnd);
      this.readView(r, recordEnd);
    }
    if (!r.ok) return this.failFrom(r);
    if (r.pos != recordEnd) {
      this.errorCode = DecodeError.InvalidRecord;
      return false;
    }
    this.left--;
    return true;
  }

  private viewStart: i32 = 0;

  // A varint length (-1 = null) followed by that many bytes, which must stay in the record.
  private readView(r: Reader, recordEnd: i32): i32 {
    const n = r.readVarint();
    this.viewStart = r.pos;
    if (!r.ok) return -1;
    if (n < -1 || n > recordEnd - r.pos) {
      r.fail(DecodeError.InvalidRecord);
      return -1;
    }
    if (n > 0) r.skip(n);
    return n;
  }

  private failFrom(r: Reader): bool {
    this.errorCode = r.errorCode != DecodeError.None ? r.errorCode : DecodeError.InvalidRecord;
    return false;
  }
}

/** Walks the headers of one record (after RecordIterator.next() succeeded). */
export class RecordHeaderIterator {
  private r: Reader = new Reader();
  private left: i32 = 0;
  keyOffset: i32 = 0;
  keyLength: i32 = 0;
  valueOffset: i32 = 0;
  /** -1 = null value. */
  valueLength: i32 = -1;

  /** Starts on the headers of `record`, the current record of a RecordIterator. */
  reset(record: RecordIterator): void {
    this.r.reset(record.buffer, record.headersOffset, record.headersOffset + record.headersLength);
    this.left = record.headerCount;
  }

  /**
   * Advances to the next header; false at the end or when the headers are malformed
   * (RecordIterator.next already validated their ranges).
   */
  next(): bool {
    if (this.left <= 0) return false;
    const r = this.r;
    this.keyLength = r.readVarint();
    this.keyOffset = r.pos;
    if (this.keyLength > 0) r.skip(this.keyLength);
    this.valueLength = r.readVarint();
    this.valueOffset = r.pos;
    if (this.valueLength > 0) r.skip(this.valueLength);
    if (!r.ok) return false;
    this.left--;
    return true;
  }

  /** Header key as a string (allocates). */
  key(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.r.buffer) + <usize>this.keyOffset, <usize>max(this.keyLength, 0));
  }
}

const scratch = new Reader();

// ---- CRC-32C (Castagnoli), as used by record batches ------------------------------

let crcTable: StaticArray<u32> | null = null;

function crcTableInstance(): StaticArray<u32> {
  let table = crcTable;
  if (table === null) {
    table = new StaticArray<u32>(256);
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      unchecked(table[i] = c);
    }
    crcTable = table;
  }
  return table;
}

/**
 * CRC-32C (Castagnoli) of `length` bytes at `buffer[offset]`, as record batches carry it.
 * Not bounds-checked: callers pass a range already validated (RecordBatchHeader.read).
 */
export function crc32c(buffer: ArrayBuffer, offset: i32, length: i32): u32 {
  const table = crcTableInstance();
  let crc: u32 = 0xffffffff;
  const base = changetype<usize>(buffer) + <usize>offset;
  for (let i = 0; i < length; i++) {
    crc = unchecked(table[(crc ^ <u32>load<u8>(base + <usize>i)) & 0xff]) ^ (crc >>> 8);
  }
  return crc ^ 0xffffffff;
}
