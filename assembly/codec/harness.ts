// Test/benchmark entry point: exposes the codec to JavaScript through raw bindings
// (build/codec-harness.js). Built by `npm run build:harness`. Another test suite feeds
// Kafka's own serialisations through roundTrip, so these exports are a contract.

import { Reader } from "./reader";
import { Writer } from "./writer";
import { decodeErrorName, encodeErrorName } from "./errors";
import { Message } from "./message";
import {
  API_COUNT, apiKeyAt as tableApiKeyAt, apiMaxVersion, apiMinVersion, newRequest, newResponse,
} from "./generated/index";
import { RecordBatchHeader, RecordIterator } from "./records";
import { RequestHeader, ResponseHeader } from "./header";
import { requestHeaderVersion, responseHeaderVersion } from "./generated/apis";

const reader = new Reader();
const writer = new Writer(64 * 1024);
let lastErrorText = "";

const EMPTY = new ArrayBuffer(0);

function decodeBody(apiKey: i32, version: i32, isResponse: bool, input: ArrayBuffer): Message | null {
  reader.reset(input, 0, input.byteLength);
  const message = isResponse ? newResponse(apiKey, false) : newRequest(apiKey, false);
  if (message === null) {
    lastErrorText = "UnknownApi: api key " + apiKey.toString();
    return null;
  }
  if (version < i16.MIN_VALUE || version > i16.MAX_VALUE || !message.decode(reader, <i16>version)) {
    lastErrorText = decodeErrorName(reader.errorCode) + " at " + reader.errorField + " (offset " + reader.errorOffset.toString() + ")";
    if (reader.ok) lastErrorText = "UnsupportedVersion: " + version.toString();
    return null;
  }
  if (reader.remaining() != 0) {
    lastErrorText = "TrailingBytes: " + reader.remaining().toString() + " bytes after the body (offset " + reader.pos.toString() + ")";
    return null;
  }
  return message;
}

/**
 * Decodes a message body (no header) of (apiKey, version, direction) and re-encodes it.
 * Returns the encoding, or a zero-length buffer with lastError() set.
 */
export function roundTrip(apiKey: i32, version: i32, isResponse: bool, input: ArrayBuffer): ArrayBuffer {
  lastErrorText = "";
  const message = decodeBody(apiKey, version, isResponse, input);
  if (message === null) return EMPTY;
  writer.reset();
  message.encode(writer, <i16>version);
  if (!writer.ok) {
    lastErrorText = "encode " + encodeErrorName(writer.errorCode) + " at " + writer.errorField;
    return EMPTY;
  }
  const expected = message.size(<i16>version);
  if (expected != writer.pos) {
    lastErrorText = "size() said " + expected.toString() + " but encode wrote " + writer.pos.toString();
    return EMPTY;
  }
  return writer.toArrayBuffer();
}

const requestHeader = new RequestHeader();
const responseHeader = new ResponseHeader();

/**
 * Decodes a whole frame (header and body, without the size field) and re-encodes it.
 * A response carries no api key, so the caller passes its request's key and version.
 * Returns the encoding, or a zero-length buffer with lastError() set.
 */
export function roundTripFrame(isResponse: bool, apiKey: i32, version: i32, frame: ArrayBuffer): ArrayBuffer {
  lastErrorText = "";
  const headerVersion = isResponse ? responseHeaderVersion(<i16>apiKey, <i16>version) : requestHeaderVersion(<i16>apiKey, <i16>version);
  if (headerVersion < 0) {
    lastErrorText = "UnsupportedVersion: api key " + apiKey.toString() + " v" + version.toString();
    return EMPTY;
  }
  reader.reset(frame, 0, frame.byteLength);
  const headerOk = isResponse ? responseHeader.decode(reader, headerVersion) : requestHeader.decode(reader, headerVersion);
  if (!headerOk) {
    lastErrorText = "header: " + decodeErrorName(reader.errorCode) + " at " + reader.errorField + " (offset " + reader.errorOffset.toString() + ")";
    return EMPTY;
  }
  const bodyStart = reader.pos;
  const body = roundTrip(apiKey, version, isResponse, frame.slice(bodyStart));
  if (body.byteLength == 0 && lastErrorText.length > 0) return EMPTY;
  writer.reset();
  if (isResponse) responseHeader.encode(writer, headerVersion);
  else requestHeader.encode(writer, headerVersion);
  if (!writer.ok) {
    lastErrorText = "header encode " + encodeErrorName(writer.errorCode) + " at " + writer.errorField;
    return EMPTY;
  }
  const header = writer.toArrayBuffer();
  const out = new Uint8Array(header.byteLength + body.byteLength);
  out.set(Uint8Array.wrap(header), 0);
  out.set(Uint8Array.wrap(body), header.byteLength);
  return out.buffer;
}

/** Description of the last roundTrip failure ("" after a success). */
export function lastError(): string {
  return lastErrorText;
}

/** Number of APIs the generated table knows (index range of apiKeyAt). */
export function apiCount(): i32 {
  return API_COUNT;
}

/** The api key at table index `i` (0 .. apiCount() - 1). */
export function apiKeyAt(i: i32): i32 {
  return tableApiKeyAt(i);
}

/** Lowest version the codec reads for `apiKey` (the spec's validVersions); -1 for an unknown or removed API. */
export function minVersion(apiKey: i32): i32 {
  return apiMinVersion(apiKey);
}

/** Highest version the codec reads for `apiKey` (the spec's validVersions); -1 for an unknown or removed API. */
export function maxVersion(apiKey: i32): i32 {
  return apiMaxVersion(apiKey);
}

// ---- benchmark hooks: repeat work inside Wasm so JS call overhead is not measured ----

/** Decodes `input` `iterations` times; returns how many decodes succeeded. */
export function benchDecode(apiKey: i32, version: i32, isResponse: bool, input: ArrayBuffer, iterations: i32): i32 {
  let ok = 0;
  for (let i = 0; i < iterations; i++) {
    if (decodeBody(apiKey, version, isResponse, input) !== null) ok++;
  }
  return ok;
}

/** Decodes once, then encodes `iterations` times; returns the encoded size (-1 on error). */
export function benchEncode(apiKey: i32, version: i32, isResponse: bool, input: ArrayBuffer, iterations: i32): i32 {
  const message = decodeBody(apiKey, version, isResponse, input);
  if (message === null) return -1;
  for (let i = 0; i < iterations; i++) {
    writer.reset();
    message.encode(writer, <i16>version);
  }
  return writer.ok ? writer.pos : -1;
}

/** Walks every record batch header (and records of uncompressed batches) in `input`; returns the record count. */
export function countRecords(input: ArrayBuffer): i32 {
  const batch = new RecordBatchHeader();
  const records = new RecordIterator();
  let offset = 0;
  let total = 0;
  while (offset < input.byteLength) {
    if (!batch.read(input, offset, input.byteLength - offset)) return -1;
    if (batch.compression() == 0) {
      records.reset(input, batch);
      while (records.next()) total++;
      if (!records.ok) return -1;
    } else {
      total += batch.recordCount;
    }
    offset += batch.totalSize();
  }
  return total;
}
