import { Reader, DecodeError } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { RequestHeader, ResponseHeader } from "../../../assembly/codec/header";
import { bytesOf, prefix, sameBytes } from "./helpers";

// Request header: int16 key, int16 version, int32 correlation id,
// v1+: int16-length nullable ClientId (never compact), v2+: tagged fields.
const V0 = bytesOf([0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a]);
const V1 = bytesOf([0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0x61, 0x62, 0x63]);
const V1_NULL = bytesOf([0x00, 0x03, 0x00, 0x08, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]);
const V2 = bytesOf([0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0x63, 0x31, 0x00]);
// v2 with one unknown tagged field (tag 3, 2 bytes) that must survive re-encoding.
const V2_TAGGED = bytesOf([0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x01, 0x03, 0x02, 0xde, 0xad]);

function reencode(h: RequestHeader, version: i16): ArrayBuffer {
  const w = new Writer();
  h.encode(w, version);
  expect(w.pos).toBe(h.size(version));
  return w.toArrayBuffer();
}

describe("RequestHeader", () => {
  it("decodes v0 (no ClientId)", () => {
    const h = new RequestHeader();
    const r = new Reader(V0);
    expect(h.decode(r, 0)).toBe(true);
    expect(h.apiKey).toBe(7);
    expect(h.apiVersion).toBe(0);
    expect(h.correlationId).toBe(42);
    expect(h.clientIdLength).toBe(-1);
    expect(r.remaining()).toBe(0);
    expect(sameBytes(reencode(h, 0), V0)).toBe(true);
  });

  it("decodes v1 with a ClientId as a view, materialised on demand", () => {
    const h = new RequestHeader();
    const r = new Reader(V1);
    expect(h.decode(r, 1)).toBe(true);
    expect(h.apiKey).toBe(3);
    expect(h.apiVersion).toBe(8);
    expect(h.correlationId).toBe(256);
    expect(h.clientIdOffset).toBe(10);
    expect(h.clientIdLength).toBe(3);
    expect(h.clientId(V1)).toBe("abc");
    expect(h.clientId()).toBe("abc");
    expect(sameBytes(reencode(h, 1), V1)).toBe(true);
  });

  it("decodes v1 with a null ClientId", () => {
    const h = new RequestHeader();
    expect(h.decode(new Reader(V1_NULL), 1)).toBe(true);
    expect(h.correlationId).toBe(i32.MAX_VALUE);
    expect(h.clientIdLength).toBe(-1);
    expect(h.clientId()).toBeNull();
    expect(sameBytes(reencode(h, 1), V1_NULL)).toBe(true);
  });

  it("decodes v2: ClientId keeps the int16 length, then tagged fields", () => {
    const h = new RequestHeader();
    const r = new Reader(V2);
    expect(h.decode(r, 2)).toBe(true);
    expect(h.apiKey).toBe(18);
    expect(h.apiVersion).toBe(3);
    expect(h.clientId()).toBe("c1");
    expect(h.taggedFieldsLength).toBe(1);
    expect(r.remaining()).toBe(0);
    expect(sameBytes(reencode(h, 2), V2)).toBe(true);
  });

  it("preserves unknown header tagged fields byte for byte", () => {
    const h = new RequestHeader();
    expect(h.decode(new Reader(V2_TAGGED), 2)).toBe(true);
    expect(h.clientIdLength).toBe(0);
    expect(h.clientId()).toBe("");
    expect(h.taggedFieldsLength).toBe(5);
    expect(sameBytes(reencode(h, 2), V2_TAGGED)).toBe(true);
  });

  it("decodes at an offset inside a larger buffer", () => {
    const big = new ArrayBuffer(V2.byteLength + 7);
    memory.copy(changetype<usize>(big) + 4, changetype<usize>(V2), <usize>V2.byteLength);
    const h = new RequestHeader();
    const r = new Reader(big, 4, 4 + V2.byteLength);
    expect(h.decode(r, 2)).toBe(true);
    expect(h.clientId(big)).toBe("c1");
    expect(r.pos).toBe(4 + V2.byteLength);
  });

  it("fails cleanly when split at every byte, for v0, v1 and v2", () => {
    const inputs: ArrayBuffer[] = [V0, V1, V2_TAGGED];
    for (let version: i16 = 0; version <= 2; version++) {
      const full = inputs[version];
      for (let cut = 0; cut < full.byteLength; cut++) {
        const h = new RequestHeader();
        const r = new Reader(prefix(full, cut));
        expect(h.decode(r, version)).toBe(false, "v" + version.toString() + " cut " + cut.toString());
        expect(r.ok).toBe(false);
        expect(r.errorCode == DecodeError.Truncated || r.errorCode == DecodeError.LengthTooLarge || r.errorCode == DecodeError.CountTooLarge).toBe(true);
        expect(r.errorField.startsWith("RequestHeader.")).toBe(true);
      }
      const h = new RequestHeader();
      expect(h.decode(new Reader(full), version)).toBe(true);
    }
  });

  it("rejects a negative ClientId length other than -1, and unknown header versions", () => {
    const h = new RequestHeader();
    const r = new Reader(bytesOf([0, 3, 0, 8, 0, 0, 0, 1, 0xff, 0xfe]));
    expect(h.decode(r, 1)).toBe(false);
    expect(r.errorCode).toBe(DecodeError.NegativeLength);
    expect(r.errorField).toBe("RequestHeader.ClientId");
    const r3 = new Reader(V2);
    expect(h.decode(r3, 3)).toBe(false);
    expect(r3.errorCode).toBe(DecodeError.UnsupportedVersion);
  });

  it("encodes a header built from scratch", () => {
    const h = new RequestHeader();
    h.apiKey = 18;
    h.apiVersion = 3;
    h.correlationId = 5;
    h.setClientId("c1");
    expect(sameBytes(reencode(h, 2), V2)).toBe(true);
    h.setClientId(null);
    const w = new Writer();
    h.encode(w, 1);
    expect(w.pos).toBe(10);
  });
});

describe("ResponseHeader", () => {
  it("decodes and re-encodes v0 and v1", () => {
    const v0 = bytesOf([0, 0, 1, 2]);
    const v1 = bytesOf([0, 0, 1, 2, 0x01, 0x00, 0x01, 0x7f]);
    const h = new ResponseHeader();
    expect(h.decode(new Reader(v0), 0)).toBe(true);
    expect(h.correlationId).toBe(258);
    let w = new Writer();
    h.encode(w, 0);
    expect(sameBytes(w.toArrayBuffer(), v0)).toBe(true);
    expect(h.decode(new Reader(v1), 1)).toBe(true);
    expect(h.taggedFieldsLength).toBe(4);
    w = new Writer();
    h.encode(w, 1);
    expect(w.pos).toBe(h.size(1));
    expect(sameBytes(w.toArrayBuffer(), v1)).toBe(true);
    for (let cut = 0; cut < v1.byteLength; cut++) {
      const r = new Reader(prefix(v1, cut));
      expect(h.decode(r, 1)).toBe(false);
      expect(r.errorField.startsWith("ResponseHeader.")).toBe(true);
    }
  });
});
