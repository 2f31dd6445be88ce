import { Reader, DecodeError } from "../../../assembly/codec/reader";
import { Writer, sizeOfUnsignedVarint, sizeOfVarint, sizeOfVarlong } from "../../../assembly/codec/writer";
import { Uuid } from "../../../assembly/codec/types";
import { bytesOf, prefix, sameBytes } from "./helpers";

describe("Reader primitives", () => {
  it("reads big-endian fixed-size integers", () => {
    const r = new Reader(bytesOf([
      0xff,                                           // int8 -1
      0x80, 0x01,                                     // int16 -32767
      0xfe, 0xdc,                                     // uint16 65244
      0x12, 0x34, 0x56, 0x78,                         // int32
      0xff, 0xff, 0xff, 0xfe,                         // uint32
      0x80, 0, 0, 0, 0, 0, 0, 0x01,                   // int64 min + 1
      0x3f, 0xf8, 0, 0, 0, 0, 0, 0,                   // float64 1.5
      0x01, 0x00,                                     // bool true, false
    ]));
    expect(r.readInt8()).toBe(-1);
    expect(r.readInt16()).toBe(-32767);
    expect(r.readUint16()).toBe(65244);
    expect(r.readInt32()).toBe(0x12345678);
    expect(r.readUint32()).toBe(0xfffffffe);
    expect(r.readInt64()).toBe(i64.MIN_VALUE + 1);
    expect(r.readFloat64()).toBe(1.5);
    expect(r.readBool()).toBe(true);
    expect(r.readBool()).toBe(false);
    expect(r.ok).toBe(true);
    expect(r.remaining()).toBe(0);
  });

  it("reads a uuid as two big-endian halves, into a caller object", () => {
    const r = new Reader(bytesOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
    const u = new Uuid();
    r.readUuidInto(u);
    expect(u.hi).toBe(0x0102030405060708);
    expect(u.lo).toBe(0x090a0b0c0d0e0f10);
    expect(u.toString()).toBe("01020304-0506-0708-090a-0b0c0d0e0f10");
  });

  it("reads unsigned varints up to 5 bytes and zigzag varints", () => {
    const r = new Reader(bytesOf([0x00, 0x7f, 0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x03, 0x04]));
    expect(r.readUnsignedVarint()).toBe(0);
    expect(r.readUnsignedVarint()).toBe(127);
    expect(r.readUnsignedVarint()).toBe(128);
    expect(r.readUnsignedVarint()).toBe(0xffffffff);
    expect(r.readVarint()).toBe(-1);
    expect(r.readVarint()).toBe(-2);
    expect(r.readVarint()).toBe(2);
    expect(r.ok).toBe(true);
  });

  it("rejects a varint longer than 5 bytes", () => {
    const r = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(r.readUnsignedVarint()).toBe(0);
    expect(r.errorCode).toBe(DecodeError.InvalidVarint);
    expect(r.pos).toBe(0);
  });

  it("rejects a 5th varint byte with bits beyond 32", () => {
    const r = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0x10]));
    r.readUnsignedVarint();
    expect(r.errorCode).toBe(DecodeError.InvalidVarint);
  });

  it("reads varlongs up to 10 bytes", () => {
    const w = new Writer();
    w.writeVarlong(i64.MIN_VALUE);
    w.writeVarlong(i64.MAX_VALUE);
    w.writeVarlong(-300);
    w.writeUnsignedVarlong(u64.MAX_VALUE);
    const r = new Reader(w.toArrayBuffer());
    expect(r.readVarlong()).toBe(i64.MIN_VALUE);
    expect(r.readVarlong()).toBe(i64.MAX_VALUE);
    expect(r.readVarlong()).toBe(-300);
    expect(r.readUnsignedVarlong()).toBe(u64.MAX_VALUE);
    expect(r.ok).toBe(true);
    const bad = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]));
    bad.readUnsignedVarlong();
    expect(bad.errorCode).toBe(DecodeError.InvalidVarint);
  });

  it("reads strings: classic, compact, nullable", () => {
    const r = new Reader(bytesOf([
      0x00, 0x02, 0x68, 0x69,     // "hi"
      0xff, 0xff,                 // null
      0x03, 0x6f, 0x6b,           // compact "ok"
      0x00,                       // compact null
      0x01,                       // compact ""
      0x00, 0x00,                 // ""
    ]));
    expect(r.readString()).toBe("hi");
    expect(r.readNullableString()).toBeNull();
    expect(r.readCompactString()).toBe("ok");
    expect(r.readCompactNullableString()).toBeNull();
    expect(r.readCompactString()).toBe("");
    expect(r.readString()).toBe("");
    expect(r.ok).toBe(true);
  });

  it("decodes multi-byte UTF-8", () => {
    const w = new Writer();
    w.writeString("héllo €𝄞");
    const r = new Reader(w.toArrayBuffer());
    expect(r.readString()).toBe("héllo €𝄞");
  });

  it("reads bytes: classic, compact, nullable", () => {
    const r = new Reader(bytesOf([0, 0, 0, 2, 9, 8, 0xff, 0xff, 0xff, 0xff, 0x02, 7, 0x00]));
    const b = r.readBytes();
    expect(b.byteLength).toBe(2);
    expect(load<u8>(changetype<usize>(b))).toBe(9);
    expect(r.readNullableBytes()).toBeNull();
    expect(r.readCompactBytes().byteLength).toBe(1);
    expect(r.readCompactNullableBytes()).toBeNull();
    expect(r.ok).toBe(true);
  });

  it("reads array lengths and rejects nulls where not nullable", () => {
    const r = new Reader(bytesOf([0, 0, 0, 1, 5, 0xff, 0xff, 0xff, 0xff]));
    expect(r.readArrayLength(false, false, 1)).toBe(1);
    r.skip(1);
    expect(r.readArrayLength(false, true, 1)).toBe(-1);
    const r2 = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff]));
    expect(r2.readArrayLength(false, false, 1)).toBe(0);
    expect(r2.errorCode).toBe(DecodeError.NullNotAllowed);
    const r3 = new Reader(bytesOf([0x00]));
    expect(r3.readCompactNullableArrayLength()).toBe(-1);
    const r4 = new Reader(bytesOf([0x00]));
    r4.readCompactArrayLength();
    expect(r4.errorCode).toBe(DecodeError.NullNotAllowed);
  });
});

describe("Reader malformed input", () => {
  it("fails with Truncated at every cut of a primitive sequence and never moves afterwards", () => {
    const w = new Writer();
    w.writeInt8(1);
    w.writeInt16(2);
    w.writeInt32(3);
    w.writeInt64(4);
    w.writeFloat64(5.5);
    w.writeUuid(new Uuid(6, 7));
    w.writeUnsignedVarint(300);
    w.writeVarlong(-1000000000000);
    w.writeString("abc");
    w.writeCompactString("de");
    w.writeBytes(bytesOf([1, 2]));
    w.writeCompactBytes(bytesOf([3]));
    const full = w.toArrayBuffer();
    for (let cut = 0; cut < full.byteLength; cut++) {
      const r = new Reader(prefix(full, cut));
      r.readInt8();
      r.readInt16();
      r.readInt32();
      r.readInt64();
      r.readFloat64();
      r.readUuid();
      r.readUnsignedVarint();
      r.readVarlong();
      r.readString();
      r.readCompactString();
      r.readBytes();
      r.readCompactBytes();
      expect(r.ok).toBe(false, "cut at " + cut.toString());
      const code = r.errorCode;
      expect(code == DecodeError.Truncated || code == DecodeError.LengthTooLarge).toBe(true);
      const pos = r.pos;
      expect(r.readInt64()).toBe(0);
      expect(r.readString()).toBe("");
      expect(r.readNullableBytes()).toBeNull();
      expect(r.pos).toBe(pos);
      expect(r.errorOffset).toBeLessThanOrEqual(cut);
    }
    const r = new Reader(full);
    r.readInt8(); r.readInt16(); r.readInt32(); r.readInt64(); r.readFloat64(); r.readUuid();
    expect(r.readUnsignedVarint()).toBe(300);
    expect(r.readVarlong()).toBe(-1000000000000);
    expect(r.readString()).toBe("abc");
    expect(r.readCompactString()).toBe("de");
    r.readBytes(); r.readCompactBytes();
    expect(r.ok).toBe(true);
    expect(r.remaining()).toBe(0);
  });

  it("rejects negative lengths other than -1", () => {
    const r = new Reader(bytesOf([0xff, 0xfe, 0x61]));
    expect(r.readNullableString()).toBeNull();
    expect(r.errorCode).toBe(DecodeError.NegativeLength);
    const b = new Reader(bytesOf([0x80, 0, 0, 0]));
    b.readNullableBytes();
    expect(b.errorCode).toBe(DecodeError.NegativeLength);
    const a = new Reader(bytesOf([0xff, 0xff, 0xff, 0xf0]));
    a.readNullableArrayLength();
    expect(a.errorCode).toBe(DecodeError.NegativeLength);
    const s = new Reader(bytesOf([1]));
    s.skip(-1);
    expect(s.errorCode).toBe(DecodeError.NegativeLength);
  });

  it("rejects -1 for a non-nullable string", () => {
    const r = new Reader(bytesOf([0xff, 0xff]));
    expect(r.readString()).toBe("");
    expect(r.errorCode).toBe(DecodeError.NullNotAllowed);
  });

  it("rejects string and bytes lengths past the end", () => {
    const r = new Reader(bytesOf([0x00, 0x05, 0x61, 0x62]));
    r.readString();
    expect(r.errorCode).toBe(DecodeError.LengthTooLarge);
    expect(r.errorOffset).toBe(2);
    const c = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0x0f]));
    c.readCompactBytes();
    expect(c.errorCode).toBe(DecodeError.LengthTooLarge);
  });

  it("rejects array counts the remaining bytes cannot hold, before any allocation", () => {
    const r = new Reader(bytesOf([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(r.readArrayLength(false, false, 1)).toBe(0);
    expect(r.errorCode).toBe(DecodeError.CountTooLarge);
    // 2 elements of at least 4 bytes need 8 bytes; only 7 remain.
    const r2 = new Reader(bytesOf([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
    r2.readArrayLength(false, false, 4);
    expect(r2.errorCode).toBe(DecodeError.CountTooLarge);
    const r3 = new Reader(bytesOf([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(r3.readArrayLength(false, false, 4)).toBe(2);
    const c = new Reader(bytesOf([0xff, 0xff, 0xff, 0xff, 0x0f]));
    c.readCompactArrayLength();
    expect(c.errorCode).toBe(DecodeError.CountTooLarge);
  });

  it("keeps the first error and its field", () => {
    const r = new Reader(bytesOf([0x00]));
    r.readInt32();
    r.failedAt("Inner.Field");
    r.failedAt("Outer.Field");
    r.fail(DecodeError.InvalidVarint, "Other");
    expect(r.errorCode).toBe(DecodeError.Truncated);
    expect(r.errorField).toBe("Inner.Field");
    expect(r.errorOffset).toBe(0);
  });

  it("resets onto a sub-range without allocating and clears the error", () => {
    const buffer = bytesOf([9, 0, 0, 0, 7, 9]);
    const r = new Reader(buffer, 0, 1);
    r.readInt32();
    expect(r.ok).toBe(false);
    r.reset(buffer, 1, 5);
    expect(r.ok).toBe(true);
    expect(r.remaining()).toBe(4);
    expect(r.readInt32()).toBe(7);
    r.readInt8();
    expect(r.errorCode).toBe(DecodeError.Truncated);
  });
});

describe("Reader tagged fields", () => {
  it("reads, skips and preserves tagged-field sections", () => {
    const section = bytesOf([0x02, 0x00, 0x01, 0xaa, 0x05, 0x02, 0xbb, 0xcc, 0x42]);
    const r = new Reader(section);
    r.skipTaggedFields();
    expect(r.ok).toBe(true);
    expect(r.readInt8()).toBe(0x42);
    const r2 = new Reader(section);
    const fields = r2.readUnknownTaggedFields();
    expect(fields === null).toBe(false);
    expect(fields!.length).toBe(2);
    expect(fields![1].tag).toBe(5);
    expect(fields![1].data.byteLength).toBe(2);
    const w = new Writer();
    w.writeUnsignedVarint(2);
    w.writeRawTaggedField(fields![0]);
    w.writeRawTaggedField(fields![1]);
    w.writeInt8(0x42);
    expect(sameBytes(w.toArrayBuffer(), section)).toBe(true);
  });

  it("rejects tagged-field counts and sizes past the end", () => {
    const r = new Reader(bytesOf([0x05, 0x00, 0x00]));
    r.skipTaggedFields();
    expect(r.errorCode).toBe(DecodeError.CountTooLarge);
    const r2 = new Reader(bytesOf([0x01, 0x00, 0x09, 0x00]));
    r2.skipTaggedFields();
    expect(r2.errorCode).toBe(DecodeError.LengthTooLarge);
  });
});

describe("Writer", () => {
  it("grows and mirrors every Reader primitive", () => {
    const w = new Writer(16);
    for (let i = 0; i < 100; i++) {
      w.writeInt8(<i8>-i);
      w.writeInt16(<i16>(-i * 300));
      w.writeUint16(<u16>(i * 600));
      w.writeInt32(-i * 100000);
      w.writeUint32(<u32>i * 40000000);
      w.writeInt64(<i64>-i * 10000000000);
      w.writeFloat64(<f64>i / 3);
      w.writeBool(i % 2 == 0);
      w.writeVarint(-i * 1000);
      w.writeUnsignedVarint(<u32>i * 50000000);
      w.writeVarlong(<i64>i * -1000000000000);
      w.writeCompactString(i % 3 == 0 ? null : "s" + i.toString());
    }
    const r = new Reader(w.toArrayBuffer());
    for (let i = 0; i < 100; i++) {
      expect(r.readInt8()).toBe(<i8>-i);
      expect(r.readInt16()).toBe(<i16>(-i * 300));
      expect(r.readUint16()).toBe(<u16>(i * 600));
      expect(r.readInt32()).toBe(-i * 100000);
      expect(r.readUint32()).toBe(<u32>i * 40000000);
      expect(r.readInt64()).toBe(<i64>-i * 10000000000);
      expect(r.readFloat64()).toBe(<f64>i / 3);
      expect(r.readBool()).toBe(i % 2 == 0);
      expect(r.readVarint()).toBe(-i * 1000);
      expect(r.readUnsignedVarint()).toBe(<u32>i * 50000000);
      expect(r.readVarlong()).toBe(<i64>i * -1000000000000);
      const s = r.readCompactNullableString();
      if (i % 3 == 0) expect(s).toBeNull();
      else expect(s).toBe("s" + i.toString());
    }
    expect(r.ok).toBe(true);
    expect(r.remaining()).toBe(0);
  });

  it("computes varint sizes exactly", () => {
    const values: u32[] = [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 0xffffffff];
    for (let i = 0; i < values.length; i++) {
      const w = new Writer();
      w.writeUnsignedVarint(values[i]);
      expect(w.pos).toBe(sizeOfUnsignedVarint(values[i]));
    }
    expect(sizeOfVarint(-1)).toBe(1);
    expect(sizeOfVarint(i32.MIN_VALUE)).toBe(5);
    expect(sizeOfVarlong(i64.MIN_VALUE)).toBe(10);
  });

  it("reports strings too long for an int16 length instead of trapping", () => {
    const w = new Writer();
    w.writeString("x".repeat(40000));
    expect(w.ok).toBe(false);
  });
});
