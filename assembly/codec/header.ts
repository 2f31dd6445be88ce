// Request and response headers, hand-written because the filter decodes one per
// frame: decoding allocates nothing. ClientId and the tagged-field section are kept
// as ranges of the input buffer, which also makes re-encoding byte-identical.
//
// Request header versions: v0 = key, version, correlation id (only ControlledShutdown
// v0, removed from Kafka 4); v1 adds ClientId; v2 adds a tagged-field section.
// ClientId stays a NON-compact nullable string in v2 (RequestHeader.json gives it
// "flexibleVersions": "none") so that any broker can read an ApiVersions request's
// header whatever version it is. Response header v1 adds a tagged-field section.

import { Reader } from "./reader";
import { Writer } from "./writer";
import { DecodeError, EncodeError } from "./errors";

/** Kafka's RequestHeader.json (versions 0-2), decoded without allocating; see the file comment. */
export class RequestHeader {
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  correlationId: i32 = 0;
  /** Buffer holding the ClientId bytes (the decoded input, or one made by setClientId). */
  clientIdBuffer: ArrayBuffer | null = null;
  clientIdOffset: i32 = 0;
  /** -1 = null ClientId. */
  clientIdLength: i32 = -1;
  /** The raw tagged-field section (count included) of a v2 header; length 0 = none. */
  taggedFieldsBuffer: ArrayBuffer | null = null;
  taggedFieldsOffset: i32 = 0;
  taggedFieldsLength: i32 = 0;

  /** Decodes a header of version 0..2 at the reader's position. */
  decode(r: Reader, headerVersion: i16): bool {
    if (headerVersion < 0 || headerVersion > 2) {
      return r.failWith(DecodeError.UnsupportedVersion, "RequestHeader");
    }
    this.apiKey = r.readInt16();
    if (!r.ok) return r.failedAt("RequestHeader.RequestApiKey");
    this.apiVersion = r.readInt16();
    if (!r.ok) return r.failedAt("RequestHeader.RequestApiVersion");
    this.correlationId = r.readInt32();
    if (!r.ok) return r.failedAt("RequestHeader.CorrelationId");
    this.clientIdBuffer = null;
    this.clientIdOffset = 0;
    this.clientIdLength = -1;
    this.taggedFieldsBuffer = null;
    this.taggedFieldsOffset = 0;
    this.taggedFieldsLength = 0;
    if (headerVersion >= 1) {
      const offset = r.readStringView(false, true);
      if (!r.ok) return r.failedAt("RequestHeader.ClientId");
      this.clientIdBuffer = r.buffer;
      this.clientIdOffset = offset;
      this.clientIdLength = r.lastLength;
    }
    if (headerVersion >= 2) {
      const start = r.pos;
      r.skipTaggedFields();
      if (!r.ok) return r.failedAt("RequestHeader._tagged_fields");
      this.taggedFieldsBuffer = r.buffer;
      this.taggedFieldsOffset = start;
      this.taggedFieldsLength = r.pos - start;
    }
    return true;
  }

  /**
   * The ClientId as a string (allocates), or null. `buffer` may be passed explicitly
   * when the caller decoded from it; by default the buffer seen by decode is used.
   */
  clientId(buffer: ArrayBuffer | null = null): string | null {
    if (this.clientIdLength < 0) return null;
    const source = buffer !== null ? buffer : this.clientIdBuffer;
    if (source === null) return null;
    if (this.clientIdOffset + this.clientIdLength > source.byteLength) return null;
    return String.UTF8.decodeUnsafe(changetype<usize>(source) + <usize>this.clientIdOffset, <usize>this.clientIdLength);
  }

  /** Replaces the ClientId (null: the null string); encodes it as UTF-8 into a buffer of its own. */
  setClientId(value: string | null): void {
    if (value === null) {
      this.clientIdBuffer = null;
      this.clientIdOffset = 0;
      this.clientIdLength = -1;
      return;
    }
    const bytes = String.UTF8.encode(value);
    this.clientIdBuffer = bytes;
    this.clientIdOffset = 0;
    this.clientIdLength = bytes.byteLength;
  }

  /** Encoded bytes at `headerVersion`; a tagged section never seen counts as the 1-byte empty one. */
  size(headerVersion: i16): i32 {
    let n = 8;
    if (headerVersion >= 1) n += 2 + (this.clientIdLength > 0 ? this.clientIdLength : 0);
    if (headerVersion >= 2) n += this.taggedFieldsLength > 0 ? this.taggedFieldsLength : 1;
    return n;
  }

  /**
   * Encodes at `headerVersion` (0..2, else UnsupportedVersion on `w`); the kept ClientId and tagged bytes are copied
   * verbatim.
   */
  encode(w: Writer, headerVersion: i16): void {
    if (headerVersion < 0 || headerVersion > 2) {
      w.fail(EncodeError.UnsupportedVersion, "RequestHeader");
      return;
    }
    w.writeInt16(this.apiKey);
    w.writeInt16(this.apiVersion);
    w.writeInt32(this.correlationId);
    if (headerVersion >= 1) {
      w.writeStringBytes(this.clientIdBuffer, this.clientIdOffset, this.clientIdLength, false);
    }
    if (headerVersion >= 2) {
      const tagged = this.taggedFieldsBuffer;
      if (tagged !== null && this.taggedFieldsLength > 0) {
        w.writeRawBytes(tagged, this.taggedFieldsOffset, this.taggedFieldsLength);
      } else {
        w.writeEmptyTaggedFields();
      }
    }
  }
}

/** Kafka's ResponseHeader.json (versions 0-1); the tagged-field section is kept as a range of the input. */
export class ResponseHeader {
  correlationId: i32 = 0;
  taggedFieldsBuffer: ArrayBuffer | null = null;
  taggedFieldsOffset: i32 = 0;
  taggedFieldsLength: i32 = 0;

  /** Decodes a header of version 0..1 at the reader's position. */
  decode(r: Reader, headerVersion: i16): bool {
    if (headerVersion < 0 || headerVersion > 1) {
      return r.failWith(DecodeError.UnsupportedVersion, "ResponseHeader");
    }
    this.correlationId = r.readInt32();
    if (!r.ok) return r.failedAt("ResponseHeader.CorrelationId");
    this.taggedFieldsBuffer = null;
    this.taggedFieldsOffset = 0;
    this.taggedFieldsLength = 0;
    if (headerVersion >= 1) {
      const start = r.pos;
      r.skipTaggedFields();
      if (!r.ok) return r.failedAt("ResponseHeader._tagged_fields");
      this.taggedFieldsBuffer = r.buffer;
      this.taggedFieldsOffset = start;
      this.taggedFieldsLength = r.pos - start;
    }
    return true;
  }

  /** Encoded bytes at `headerVersion`: 4, plus the tagged section (at least 1 byte) from v1. */
  size(headerVersion: i16): i32 {
    return headerVersion >= 1 ? 4 + (this.taggedFieldsLength > 0 ? this.taggedFieldsLength : 1) : 4;
  }

  /** Encodes at `headerVersion` (0..1, else UnsupportedVersion on `w`). */
  encode(w: Writer, headerVersion: i16): void {
    if (headerVersion < 0 || headerVersion > 1) {
      w.fail(EncodeError.UnsupportedVersion, "ResponseHeader");
      return;
    }
    w.writeInt32(this.correlationId);
    if (headerVersion >= 1) {
      const tagged = this.taggedFieldsBuffer;
      if (tagged !== null && this.taggedFieldsLength > 0) {
        w.writeRawBytes(tagged, this.taggedFieldsOffset, this.taggedFieldsLength);
      } else {
        w.writeEmptyTaggedFields();
      }
    }
  }
}
