// collectResponseErrorCodes (the generated allocation-free walker) against the
// reference it replaces on the hot path: decodeResponseBody + collectErrorCodes. For
// every response (api key, version) the walker must report the same codes in the same
// order, consume the same bytes, and fail exactly where decode fails, including on
// every truncation and on a corrupted byte at every offset.

import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { ErrorCodeSink } from "../../../assembly/codec/message";
import {
  API_COUNT, apiKeyAt, apiMaxVersion, apiMinVersion, apiName, collectResponseErrorCodes, decodeResponseBody,
} from "../../../assembly/codec/generated/index";
import { buildResponse } from "./generated/builders";

class CodeList extends ErrorCodeSink {
  codes: Array<i16> = new Array<i16>();
  errorCode(code: i16): void {
    this.codes.push(code);
  }
  clear(): void {
    this.codes.length = 0;
  }
}

const walked = new CodeList();
const collected = new CodeList();
const walkReader = new Reader();
const decodeReader = new Reader();

function sameCodes(a: Array<i16>, b: Array<i16>): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/**
 * Runs both over `body[0, end)`; returns "" when they agree (outcome, codes, bytes
 * consumed), otherwise what differs. `walkedOk` reports the walker's outcome.
 */
let walkedOk = false;
function compare(apiKey: i16, version: i16, body: ArrayBuffer, end: i32): string {
  walked.clear();
  collected.clear();
  walkReader.reset(body, 0, end);
  decodeReader.reset(body, 0, end);
  walkedOk = collectResponseErrorCodes(apiKey, version, walkReader, walked);
  const decoded = decodeResponseBody(apiKey, version, decodeReader);
  if (walkedOk != (decoded !== null)) return "walker " + (walkedOk ? "succeeded" : "failed") + " where decode did not";
  if (decoded === null) {
    if (walkReader.errorCode != decodeReader.errorCode) return "different decode errors";
    return "";
  }
  decoded.collectErrorCodes(collected);
  if (!sameCodes(walked.codes, collected.codes)) {
    return "codes differ: walked " + walked.codes.length.toString() + ", collected " + collected.codes.length.toString();
  }
  if (walkReader.pos != decodeReader.pos) return "walker stopped at " + walkReader.pos.toString() + ", decode at " + decodeReader.pos.toString();
  return "";
}

function encoded(apiKey: i16, version: i16, variant: i32): ArrayBuffer | null {
  const message = buildResponse(apiKey, version, variant);
  if (message === null) return null;
  const w = new Writer(64);
  message.encode(w, version);
  return w.ok ? w.toArrayBuffer() : null;
}

function label(apiKey: i16, version: i16, variant: i32): string {
  return apiName(apiKey) + "Response v" + version.toString() + " variant " + variant.toString();
}

describe("collectResponseErrorCodes", () => {
  it("reports the codes decode + collectErrorCodes report, for every response version", () => {
    let cases = 0;
    let codes = 0;
    let failures = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        for (let variant = 0; variant < 2; variant++) {
          const body = encoded(apiKey, version, variant);
          if (body === null) {
            log("no encodable sample for " + label(apiKey, version, variant));
            failures++;
            continue;
          }
          const problem = compare(apiKey, version, body, body.byteLength);
          if (problem.length > 0 || !walkedOk) {
            log(label(apiKey, version, variant) + ": " + (problem.length > 0 ? problem : "walker failed on a valid body"));
            failures++;
          }
          codes += walked.codes.length;
          cases++;
        }
      }
    }
    expect(failures).toBe(0);
    expect(cases).toBe(604);
    // The builders set error codes to non-default values, so the walk must find many.
    expect(codes).toBeGreaterThan(cases);
  });

  it("fails exactly where decode fails when the body is cut at every offset", () => {
    let failures = 0;
    let cuts = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        const body = encoded(apiKey, version, 0);
        if (body === null) continue;
        for (let end = 0; end < body.byteLength; end++) {
          const problem = compare(apiKey, version, body, end);
          if (problem.length > 0) {
            log(label(apiKey, version, 0) + " cut at " + end.toString() + ": " + problem);
            failures++;
          }
          cuts++;
        }
      }
    }
    expect(failures).toBe(0);
    expect(cuts).toBeGreaterThan(10000);
  });

  it("agrees with decode when any single byte is replaced by 0xFF or 0x80", () => {
    let failures = 0;
    let rejected = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        const body = encoded(apiKey, version, 1);
        if (body === null) continue;
        const at = changetype<usize>(body);
        for (let offset = 0; offset < body.byteLength; offset++) {
          const original = load<u8>(at + <usize>offset);
          for (let k = 0; k < 2; k++) {
            store<u8>(at + <usize>offset, k == 0 ? 0xFF : 0x80);
            const problem = compare(apiKey, version, body, body.byteLength);
            if (problem.length > 0) {
              log(label(apiKey, version, 1) + " byte " + offset.toString() + " corrupted: " + problem);
              failures++;
            }
            if (!walkedOk) rejected++;
          }
          store<u8>(at + <usize>offset, original);
        }
      }
    }
    expect(failures).toBe(0);
    expect(rejected).toBeGreaterThan(1000);
  });

  it("rejects unknown api keys and unsupported versions", () => {
    const body = new ArrayBuffer(16);
    walkReader.reset(body);
    expect(collectResponseErrorCodes(-1, 0, walkReader, walked)).toBe(false);
    walkReader.reset(body);
    expect(collectResponseErrorCodes(0, 999, walkReader, walked)).toBe(false);
  });
});
