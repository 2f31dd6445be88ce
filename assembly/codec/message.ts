// Common base of every generated request and response, so the API table can hand
// out messages by api key and callers can decode/encode them without knowing the type.

import { Reader } from "./reader";
import { Writer } from "./writer";

/** Receives error codes found in a decoded message. */
export abstract class ErrorCodeSink {
  abstract errorCode(code: i16): void;
  /**
   * A response's top-level ThrottleTimeMs (ms the broker delayed it for a quota, KIP-219),
   * handed over by collectErrorCodes (0 in versions without the field) and by the
   * generated error-code walks (only in versions with it). Ignored unless overridden.
   */
  throttleTime(ms: i32): void {}
}

/** A request or response body of one API (no header); generated per spec file under codec/generated. */
export abstract class Message {
  /** Decodes a message body (no header) of `version`; false with the error on `r`. */
  abstract decode(r: Reader, version: i16): bool;
  /** Encodes the body; problems are reported on `w` (w.ok). */
  abstract encode(w: Writer, version: i16): void;
  /** Exact number of bytes encode would write for `version`. */
  abstract size(version: i16): i32;
  /** Kafka's api key of this message's API (ApiKeys). */
  abstract apiKey(): i16;
  /** True for a response body, false for a request body. */
  abstract isResponse(): bool;

  /**
   * Hands every int16 field named `ErrorCode` or `...ErrorCode` to `sink`, nested
   * structs and arrays included (null ones skipped), in wire order, zeros included.
   * Fields absent from the decoded version hold their default. Allocates nothing.
   * Generated messages override this; the base reports nothing.
   */
  collectErrorCodes(sink: ErrorCodeSink): void {}

  /**
   * Sets the response's top-level `ErrorCode` at `version`; false when the message (or
   * that version) has none. Generated responses with such a field override this; the ACL
   * gates use it to answer a request denied as a whole.
   */
  setTopLevelErrorCode(version: i16, code: i16): bool { return false; }
}
