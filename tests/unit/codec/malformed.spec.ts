// Malformed input for representative messages: every truncation and every single-byte
// corruption must end in either a clean decode or a reported error, never a trap (a
// trap would abort the whole test module). Targeted corruptions of lengths and counts
// must report the specific error.

import { Reader, DecodeError } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { Message } from "../../../assembly/codec/message";
import { decodeRequestBody, decodeResponseBody } from "../../../assembly/codec/generated/index";
import { buildRequest, buildResponse } from "./generated/builders";
import { prefix } from "./helpers";
import { API_VERSIONS, FETCH, METADATA, PRODUCE } from "../../../assembly/codec/generated/apis";

function encoded(apiKey: i16, version: i16, isResponse: bool): ArrayBuffer {
  const m = isResponse ? buildResponse(apiKey, version, 0) : buildRequest(apiKey, version, 0);
  const w = new Writer();
  m!.encode(w, version);
  assert(w.ok);
  return w.toArrayBuffer();
}

function decode(apiKey: i16, version: i16, isResponse: bool, r: Reader): Message | null {
  return isResponse ? decodeResponseBody(apiKey, version, r) : decodeRequestBody(apiKey, version, r);
}

function checkEveryTruncation(apiKey: i16, version: i16, isResponse: bool): void {
  const full = encoded(apiKey, version, isResponse);
  for (let cut = 0; cut < full.byteLength; cut++) {
    const r = new Reader(prefix(full, cut));
    const m = decode(apiKey, version, isResponse, r);
    expect(m === null).toBe(true, "cut " + cut.toString() + " decoded");
    expect(r.ok).toBe(false);
    expect(r.errorField.length > 0).toBe(true, "no field named at cut " + cut.toString());
    expect(r.errorOffset).toBeLessThanOrEqual(cut);
  }
  const r = new Reader(full);
  expect(decode(apiKey, version, isResponse, r) !== null).toBe(true);
  expect(r.remaining()).toBe(0);
}

/** Overwrites each byte in turn with values that turn lengths/counts huge or negative. */
function checkEveryCorruption(apiKey: i16, version: i16, isResponse: bool): void {
  const full = encoded(apiKey, version, isResponse);
  const patterns: u8[] = [0xff, 0x7f, 0x80, 0x00];
  for (let at = 0; at < full.byteLength; at++) {
    for (let p = 0; p < patterns.length; p++) {
      const bad = full.slice(0);
      store<u8>(changetype<usize>(bad) + <usize>at, patterns[p]);
      const r = new Reader(bad);
      const m = decode(apiKey, version, isResponse, r);
      if (m === null) {
        expect(r.errorCode != DecodeError.None).toBe(true);
        expect(r.errorField.length > 0).toBe(true);
      }
    }
  }
}

function patchInt32(buffer: ArrayBuffer, at: i32, value: i32): ArrayBuffer {
  const copy = buffer.slice(0);
  store<u32>(changetype<usize>(copy) + <usize>at, bswap<u32>(<u32>value));
  return copy;
}

function patchInt16(buffer: ArrayBuffer, at: i32, value: i16): ArrayBuffer {
  const copy = buffer.slice(0);
  store<u16>(changetype<usize>(copy) + <usize>at, bswap<u16>(<u16>value));
  return copy;
}

/** Replaces the single-byte compact length at `at` with a 5-byte varint of `value`. */
function patchVarint(buffer: ArrayBuffer, at: i32, value: u32): ArrayBuffer {
  const w = new Writer();
  w.writeRawBytes(buffer, 0, at);
  w.writeUnsignedVarint(value);
  w.writeRawBytes(buffer, at + 1, buffer.byteLength - at - 1);
  return w.toArrayBuffer();
}

function expectError(apiKey: i16, version: i16, isResponse: bool, input: ArrayBuffer, code: DecodeError, field: string): void {
  const r = new Reader(input);
  expect(decode(apiKey, version, isResponse, r) === null).toBe(true);
  expect(r.errorCode).toBe(code);
  expect(r.errorField).toBe(field);
}

describe("malformed input", () => {
  it("Produce request: every truncation and corruption, v3, v8 and v13", () => {
    checkEveryTruncation(PRODUCE, 3, false);
    checkEveryTruncation(PRODUCE, 8, false);
    checkEveryTruncation(PRODUCE, 13, false);
    checkEveryCorruption(PRODUCE, 8, false);
    checkEveryCorruption(PRODUCE, 13, false);
  });

  it("Fetch response: every truncation and corruption, v4, v11 and v18", () => {
    checkEveryTruncation(FETCH, 4, true);
    checkEveryTruncation(FETCH, 11, true);
    checkEveryTruncation(FETCH, 18, true);
    checkEveryCorruption(FETCH, 11, true);
    checkEveryCorruption(FETCH, 18, true);
  });

  it("Metadata response: every truncation and corruption, v0, v8 and v13", () => {
    checkEveryTruncation(METADATA, 0, true);
    checkEveryTruncation(METADATA, 8, true);
    checkEveryTruncation(METADATA, 13, true);
    checkEveryCorruption(METADATA, 8, true);
    checkEveryCorruption(METADATA, 13, true);
  });

  it("ApiVersions request and response: every truncation and corruption, v0 and v4", () => {
    checkEveryTruncation(API_VERSIONS, 0, true);
    checkEveryTruncation(API_VERSIONS, 4, true);
    checkEveryTruncation(API_VERSIONS, 4, false);
    checkEveryCorruption(API_VERSIONS, 0, true);
    checkEveryCorruption(API_VERSIONS, 4, true);
    checkEveryCorruption(API_VERSIONS, 4, false);
  });

  it("reports oversize and negative lengths and counts with the field name", () => {
    // ProduceRequest v3: TransactionalId is the first field (int16 length).
    const produce = encoded(PRODUCE, 3, false);
    expectError(PRODUCE, 3, false, patchInt16(produce, 0, 0x7fff), DecodeError.LengthTooLarge, "ProduceRequest.TransactionalId");
    expectError(PRODUCE, 3, false, patchInt16(produce, 0, -3), DecodeError.NegativeLength, "ProduceRequest.TransactionalId");

    // ApiVersionsResponse v0: ErrorCode int16, then the ApiKeys array count (int32).
    const av0 = encoded(API_VERSIONS, 0, true);
    expectError(API_VERSIONS, 0, true, patchInt32(av0, 2, 0x7fffffff), DecodeError.CountTooLarge, "ApiVersionsResponse.ApiKeys");
    expectError(API_VERSIONS, 0, true, patchInt32(av0, 2, -1), DecodeError.NullNotAllowed, "ApiVersionsResponse.ApiKeys");
    expectError(API_VERSIONS, 0, true, patchInt32(av0, 2, -7), DecodeError.NegativeLength, "ApiVersionsResponse.ApiKeys");
    // v3 (flexible): the count is a compact varint.
    const av3 = encoded(API_VERSIONS, 3, true);
    expectError(API_VERSIONS, 3, true, patchVarint(av3, 2, 0xfffffff0), DecodeError.CountTooLarge, "ApiVersionsResponse.ApiKeys");

    // MetadataResponse v0: Brokers count first; v13: ThrottleTimeMs then compact Brokers.
    const md0 = encoded(METADATA, 0, true);
    expectError(METADATA, 0, true, patchInt32(md0, 0, 1000000), DecodeError.CountTooLarge, "MetadataResponse.Brokers");
    const md13 = encoded(METADATA, 13, true);
    expectError(METADATA, 13, true, patchVarint(md13, 4, 5000000), DecodeError.CountTooLarge, "MetadataResponse.Brokers");

    // FetchResponse v11: ThrottleTimeMs, ErrorCode, SessionId, then the Responses count.
    const fetch = encoded(FETCH, 11, true);
    expectError(FETCH, 11, true, patchInt32(fetch, 10, 0x10000000), DecodeError.CountTooLarge, "FetchResponse.Responses");
  });

  it("reports an element's field when a nested struct is cut", () => {
    // MetadataResponse v0: count 1, then Brokers[0].NodeId (int32), Host (string)...
    const md0 = encoded(METADATA, 0, true);
    // count (4), NodeId (4), Host length (2) + 4 of its >= 5 bytes: enough for the count check.
    const r = new Reader(prefix(md0, 14));
    expect(decode(METADATA, 0, true, r) === null).toBe(true);
    expect(r.errorCode).toBe(DecodeError.LengthTooLarge);
    expect(r.errorField).toBe("MetadataResponse.MetadataResponseBroker.Host");
  });

  it("rejects a known tagged field whose size does not match its content", () => {
    // FetchResponse v18 partition: tagged CurrentLeader etc.; find a tagged-field size
    // byte by corrupting every byte and requiring at least one InvalidTaggedField.
    const full = encoded(FETCH, 18, true);
    let seen = false;
    for (let at = 0; at < full.byteLength && !seen; at++) {
      const bad = full.slice(0);
      store<u8>(changetype<usize>(bad) + <usize>at, load<u8>(changetype<usize>(bad) + <usize>at) + 1);
      const r = new Reader(bad);
      if (decode(FETCH, 18, true, r) === null && r.errorCode == DecodeError.InvalidTaggedField) seen = true;
    }
    expect(seen).toBe(true);
  });
});
