// Common base of every generated request and response, so the API table can hand
// out messages by api key and callers can decode/encode them without knowing the type.

import { Reader } from "./reader";
import { Writer } from "./writer";

export abstract class Message {
  /** Decodes a message body (no header) of `version`; false with the error on `r`. */
  abstract decode(r: Reader, version: i16): bool;
  /** Encodes the body; problems are reported on `w` (w.ok). */
  abstract encode(w: Writer, version: i16): void;
  /** Exact number of bytes encode would write for `version`. */
  abstract size(version: i16): i32;
  abstract apiKey(): i16;
  abstract isResponse(): bool;
}
