// Round trip of every (api key, version, direction) in the API table: a builder sets
// every field of that version to a non-default value; encode -> decode -> encode must
// reproduce the bytes exactly, and size() must match what encode wrote.

import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { Message } from "../../../assembly/codec/message";
import { decodeErrorName, encodeErrorName } from "../../../assembly/codec/errors";
import {
  API_COUNT, apiKeyAt, apiMaxVersion, apiMinVersion, apiName, decodeRequestBody, decodeResponseBody,
  newRequest, newResponse,
} from "../../../assembly/codec/generated/index";
import {
  DATA_MESSAGE_COUNT, ROUND_TRIP_TRIPLES, buildDataMessage, buildRequest, buildResponse, dataMaxVersion,
  dataMessageName, dataMinVersion, newDataMessage,
} from "./generated/builders";
import { sameBytes } from "./helpers";

function label(apiKey: i16, version: i16, isResponse: bool, variant: i32): string {
  return apiName(apiKey) + (isResponse ? "Response" : "Request") + " v" + version.toString() + " variant " + variant.toString();
}

/** Returns an empty string on success, otherwise what went wrong. */
function roundTrip(message: Message, apiKey: i16, version: i16, isResponse: bool): string {
  const w = new Writer(64);
  message.encode(w, version);
  if (!w.ok) return "encode failed: " + encodeErrorName(w.errorCode) + " at " + w.errorField;
  if (message.size(version) != w.pos) return "size() " + message.size(version).toString() + " != written " + w.pos.toString();
  const first = w.toArrayBuffer();

  // The populated encoding must differ from a default instance's, or the builder set
  // nothing. Versions without fields (e.g. ApiVersionsRequest v0-2) encode to nothing.
  const blank = isResponse ? newResponse(apiKey) : newRequest(apiKey);
  const wb = new Writer(64);
  blank!.encode(wb, version);
  if (first.byteLength > 0 && sameBytes(wb.toArrayBuffer(), first)) return "populated instance encodes like a default one";

  const r = new Reader(first);
  const decoded = isResponse ? decodeResponseBody(apiKey, version, r) : decodeRequestBody(apiKey, version, r);
  if (decoded === null) {
    return "decode failed: " + decodeErrorName(r.errorCode) + " at " + r.errorField + " offset " + r.errorOffset.toString();
  }
  if (r.remaining() != 0) return "decode left " + r.remaining().toString() + " bytes";
  const w2 = new Writer(64);
  decoded.encode(w2, version);
  if (!w2.ok) return "re-encode failed: " + encodeErrorName(w2.errorCode) + " at " + w2.errorField;
  if (!sameBytes(w2.toArrayBuffer(), first)) return "re-encoding differs";
  if (decoded.size(version) != w2.pos) return "size() after decode differs";
  return "";
}

describe("generated messages", () => {
  it("round-trip every (api key, version, direction) of the API table", () => {
    let triples = 0;
    let failures = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        for (let direction = 0; direction < 2; direction++) {
          const isResponse = direction == 1;
          for (let variant = 0; variant < 2; variant++) {
            const message = isResponse ? buildResponse(apiKey, version, variant) : buildRequest(apiKey, version, variant);
            const name = label(apiKey, version, isResponse, variant);
            if (message === null) {
              log("no round-trip case for " + name);
              failures++;
              continue;
            }
            const problem = roundTrip(message, apiKey, version, isResponse);
            if (problem.length > 0) {
              log(name + ": " + problem);
              failures++;
            }
          }
          triples++;
        }
      }
    }
    expect(failures).toBe(0);
    expect(triples).toBe(ROUND_TRIP_TRIPLES);
  });

  it("round-trip every version of the generated \"data\" messages", () => {
    let failures = 0;
    for (let i = 0; i < DATA_MESSAGE_COUNT; i++) {
      for (let version = dataMinVersion(i); version <= dataMaxVersion(i); version++) {
        for (let variant = 0; variant < 2; variant++) {
          const name = dataMessageName(i) + " v" + version.toString() + " variant " + variant.toString();
          const w = new Writer();
          buildDataMessage(i, version, variant)!.encode(w, version);
          const bytes = w.toArrayBuffer();
          const decoded = newDataMessage(i)!;
          const r = new Reader(bytes);
          const w2 = new Writer();
          if (w.ok && decoded.decode(r, version) && r.remaining() == 0) decoded.encode(w2, version);
          if (!w.ok || !w2.ok || !sameBytes(w2.toArrayBuffer(), bytes) || decoded.size(version) != bytes.byteLength) {
            log(name + ": round trip failed");
            failures++;
          }
        }
      }
    }
    expect(DATA_MESSAGE_COUNT).toBe(10);
    expect(failures).toBe(0);
  });

  it("rejects versions outside the valid range on decode and encode", () => {
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      const r = new Reader(new ArrayBuffer(64));
      expect(decodeRequestBody(apiKey, apiMaxVersion(apiKey) + 1, r) === null).toBe(true);
      const w = new Writer();
      newResponse(apiKey)!.encode(w, apiMinVersion(apiKey) - 1);
      expect(w.ok).toBe(false);
    }
  });
});

describe("Writer string bytes", () => {
  // A classic string's length is an int16: 32767 bytes fit, 32768 must fail rather than wrap to -32768 (null).
  test("writeStringBytes writes 32767 bytes and refuses 32768 with ValueTooLarge, as writeStringOf does", () => {
    const source = new ArrayBuffer(32768);
    const fits = new Writer();
    fits.writeStringBytes(source, 0, 32767, false);
    expect(fits.ok).toBe(true);
    expect(fits.pos).toBe(2 + 32767);
    const over = new Writer();
    over.writeStringBytes(source, 0, 32768, false);
    expect(over.ok).toBe(false);
    expect(encodeErrorName(over.errorCode)).toBe("ValueTooLarge");
    const compact = new Writer();
    compact.writeStringBytes(source, 0, 32768, true);
    expect(compact.ok).toBe(true);
    expect(compact.pos).toBe(3 + 32768);
  });
});
