import { Writer } from "../../../assembly/codec/writer";
import {
  Compression, RecordBatchHeader, RecordHeaderIterator, RecordIterator, RECORD_BATCH_HEADER_SIZE, crc32c,
} from "../../../assembly/codec/records";
import { DecodeError } from "../../../assembly/codec/errors";
import { prefix } from "./helpers";

// Hand-built magic v2 batches. Records: key "k<i>" (null for i == 1), value of i+1
// bytes, one header "h" -> "v<i>" on even records.
function writeRecord(w: Writer, i: i32): void {
  const body = new Writer();
  body.writeInt8(0);                         // attributes
  body.writeVarlong(<i64>i * 5);             // timestampDelta
  body.writeVarint(i);                       // offsetDelta
  if (i == 1) {
    body.writeVarint(-1);
  } else {
    const key = String.UTF8.encode("k" + i.toString());
    body.writeVarint(key.byteLength);
    body.writeRawBytes(key, 0, key.byteLength);
  }
  body.writeVarint(i + 1);
  for (let j = 0; j <= i; j++) body.writeInt8(<i8>j);
  if (i % 2 == 0) {
    body.writeVarint(1);
    body.writeVarint(1);
    body.writeInt8(0x68);                    // "h"
    const v = String.UTF8.encode("v" + i.toString());
    body.writeVarint(v.byteLength);
    body.writeRawBytes(v, 0, v.byteLength);
  } else {
    body.writeVarint(0);
  }
  w.writeVarint(body.pos);
  w.writeRawBytes(body.buffer, 0, body.pos);
}

function buildBatch(recordCount: i32, attributes: i16): ArrayBuffer {
  const records = new Writer();
  for (let i = 0; i < recordCount; i++) writeRecord(records, i);
  const w = new Writer();
  w.writeInt64(1000);                        // baseOffset
  w.writeInt32(RECORD_BATCH_HEADER_SIZE - 12 + records.pos);
  w.writeInt32(7);                           // partitionLeaderEpoch
  w.writeInt8(2);                            // magic
  const crcAt = w.pos;
  w.writeUint32(0);                          // crc, patched below
  w.writeInt16(attributes);
  w.writeInt32(recordCount - 1);             // lastOffsetDelta
  w.writeInt64(1700000000000);               // baseTimestamp
  w.writeInt64(1700000000099);               // maxTimestamp
  w.writeInt64(42);                          // producerId
  w.writeInt16(3);                           // producerEpoch
  w.writeInt32(11);                          // baseSequence
  w.writeInt32(recordCount);
  w.writeRawBytes(records.buffer, 0, records.pos);
  const crc = crc32c(w.buffer, crcAt + 4, w.pos - crcAt - 4);
  w.patchInt32(crcAt, <i32>crc);
  return w.toArrayBuffer();
}

describe("record batches", () => {
  it("computes CRC-32C (check value of \"123456789\")", () => {
    expect(crc32c(String.UTF8.encode("123456789"), 0, 9)).toBe(0xe3069283);
  });

  it("reads the v2 batch header without touching the records", () => {
    const batch = buildBatch(3, 0x10 | 0x08);
    const h = new RecordBatchHeader();
    expect(h.read(batch, 0, batch.byteLength)).toBe(true);
    expect(h.baseOffset).toBe(1000);
    expect(h.totalSize()).toBe(batch.byteLength);
    expect(h.partitionLeaderEpoch).toBe(7);
    expect(h.magic).toBe(2);
    expect(h.crc).toBe(h.computeCrc());
    expect(h.compression()).toBe(Compression.None);
    expect(h.timestampType()).toBe(1);
    expect(h.isTransactional()).toBe(true);
    expect(h.isControl()).toBe(false);
    expect(h.lastOffsetDelta).toBe(2);
    expect(h.baseTimestamp).toBe(1700000000000);
    expect(h.maxTimestamp).toBe(1700000000099);
    expect(h.producerId).toBe(42);
    expect(h.producerEpoch).toBe(3);
    expect(h.baseSequence).toBe(11);
    expect(h.recordCount).toBe(3);
  });

  it("iterates uncompressed records as views, headers included", () => {
    const batch = buildBatch(4, 0);
    const h = new RecordBatchHeader();
    h.read(batch, 0, batch.byteLength);
    const it = new RecordIterator();
    expect(it.reset(batch, h)).toBe(true);
    const headers = new RecordHeaderIterator();
    let i = 0;
    while (it.next()) {
      expect(it.offsetDelta).toBe(i);
      expect(it.timestampDelta).toBe(<i64>i * 5);
      if (i == 1) {
        expect(it.keyLength).toBe(-1);
      } else {
        expect(String.UTF8.decodeUnsafe(changetype<usize>(batch) + <usize>it.keyOffset, <usize>it.keyLength)).toBe("k" + i.toString());
      }
      expect(it.valueLength).toBe(i + 1);
      expect(load<u8>(changetype<usize>(batch) + <usize>it.valueOffset + <usize>i)).toBe(<u8>i);
      expect(it.headerCount).toBe(i % 2 == 0 ? 1 : 0);
      headers.reset(it);
      if (i % 2 == 0) {
        expect(headers.next()).toBe(true);
        expect(headers.key()).toBe("h");
        expect(headers.valueLength).toBe(2);
      }
      expect(headers.next()).toBe(false);
      i++;
    }
    expect(it.ok).toBe(true);
    expect(i).toBe(4);
  });

  it("walks consecutive batches", () => {
    const a = buildBatch(2, 0);
    const b = buildBatch(5, 0);
    const w = new Writer();
    w.writeRawBytes(a, 0, a.byteLength);
    w.writeRawBytes(b, 0, b.byteLength);
    const all = w.toArrayBuffer();
    const h = new RecordBatchHeader();
    const it = new RecordIterator();
    let offset = 0;
    let records = 0;
    let batches = 0;
    while (offset < all.byteLength) {
      expect(h.read(all, offset, all.byteLength - offset)).toBe(true);
      it.reset(all, h);
      while (it.next()) records++;
      offset += h.totalSize();
      batches++;
    }
    expect(batches).toBe(2);
    expect(records).toBe(7);
  });

  it("reports compressed batches' attributes but refuses to iterate them", () => {
    const batch = buildBatch(2, <i16>Compression.Zstd | 0x20);
    const h = new RecordBatchHeader();
    expect(h.read(batch, 0, batch.byteLength)).toBe(true);
    expect(h.compression()).toBe(Compression.Zstd);
    expect(h.isControl()).toBe(true);
    const it = new RecordIterator();
    expect(it.reset(batch, h)).toBe(false);
    expect(it.next()).toBe(false);
    expect(it.errorCode).toBe(DecodeError.InvalidRecord);
  });

  it("fails cleanly on every truncation", () => {
    const batch = buildBatch(3, 0);
    for (let cut = 0; cut < batch.byteLength; cut++) {
      const h = new RecordBatchHeader();
      expect(h.read(prefix(batch, cut), 0, cut)).toBe(false);
      expect(h.errorCode).toBe(DecodeError.Truncated);
    }
  });

  it("rejects wrong magic and corrupt record lengths", () => {
    const batch = buildBatch(3, 0);
    const badMagic = batch.slice(0);
    store<u8>(changetype<usize>(badMagic) + 16, 1);
    const h = new RecordBatchHeader();
    expect(h.read(badMagic, 0, badMagic.byteLength)).toBe(false);
    expect(h.errorCode).toBe(DecodeError.InvalidRecord);
    // Every single-byte corruption inside the records: iteration ends, never traps.
    for (let at = RECORD_BATCH_HEADER_SIZE; at < batch.byteLength; at++) {
      const bad = batch.slice(0);
      store<u8>(changetype<usize>(bad) + <usize>at, 0x7f);
      const hb = new RecordBatchHeader();
      expect(hb.read(bad, 0, bad.byteLength)).toBe(true);
      const it = new RecordIterator();
      it.reset(bad, hb);
      let n = 0;
      while (it.next()) n++;
      expect(n <= 3).toBe(true);
    }
    // A record length beyond the batch.
    const bad = batch.slice(0);
    store<u8>(changetype<usize>(bad) + <usize>RECORD_BATCH_HEADER_SIZE, 0x7e);
    const hb = new RecordBatchHeader();
    hb.read(bad, 0, bad.byteLength);
    const it = new RecordIterator();
    it.reset(bad, hb);
    expect(it.next()).toBe(false);
    expect(it.errorCode).toBe(DecodeError.InvalidRecord);
  });
});
