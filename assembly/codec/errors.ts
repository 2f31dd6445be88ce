// Error codes shared by the Reader, the Writer and the generated messages.
//
// AssemblyScript's `throw` aborts the whole Wasm VM (and with it every connection
// the filter is handling), so the codec never throws: the first failure is
// recorded as a sticky code plus the name of the field being processed.

/** Why a Reader (or RecordBatchHeader/RecordIterator) stopped; sticky, the first failure wins. */
export enum DecodeError {
  None = 0,
  /** The input ended before a fixed-size value or a varint was complete. */
  Truncated = 1,
  /** A length prefix was negative where only -1 (null) is meaningful, or was below -1. */
  NegativeLength = 2,
  /** A string/bytes/records length points past the end of the input. */
  LengthTooLarge = 3,
  /** An array count is larger than the remaining bytes could possibly hold. */
  CountTooLarge = 4,
  /** A varint or varlong is longer than its type allows. */
  InvalidVarint = 5,
  UnsupportedVersion = 6,
  UnknownApi = 7,
  /** A null was read for a field that is not nullable in this version. */
  NullNotAllowed = 8,
  /** A known tagged field's payload size does not match what its type consumed. */
  InvalidTaggedField = 9,
  /** Bytes were left over after a message body that must span the whole frame. */
  TrailingBytes = 10,
  /** A record batch / record does not have the expected layout. */
  InvalidRecord = 11,
}

/** Why a Writer could not represent a message; sticky, the first failure wins. */
export enum EncodeError {
  None = 0,
  UnsupportedVersion = 1,
  UnknownApi = 2,
  /** A null value in a version where the field is not nullable. */
  NullNotAllowed = 3,
  /** A non-default value of a non-ignorable field in a version that lacks the field. */
  FieldNotInVersion = 4,
  /** A value does not fit its wire representation (e.g. a string longer than 32767 bytes). */
  ValueTooLarge = 5,
}

/** The DecodeError member's name, for logs and the harness; "Unknown" for any other code. */
export function decodeErrorName(code: i32): string {
  switch (code) {
    case DecodeError.None: return "None";
    case DecodeError.Truncated: return "Truncated";
    case DecodeError.NegativeLength: return "NegativeLength";
    case DecodeError.LengthTooLarge: return "LengthTooLarge";
    case DecodeError.CountTooLarge: return "CountTooLarge";
    case DecodeError.InvalidVarint: return "InvalidVarint";
    case DecodeError.UnsupportedVersion: return "UnsupportedVersion";
    case DecodeError.UnknownApi: return "UnknownApi";
    case DecodeError.NullNotAllowed: return "NullNotAllowed";
    case DecodeError.InvalidTaggedField: return "InvalidTaggedField";
    case DecodeError.TrailingBytes: return "TrailingBytes";
    case DecodeError.InvalidRecord: return "InvalidRecord";
  }
  return "Unknown";
}

/** The EncodeError member's name, for logs and the harness; "Unknown" for any other code. */
export function encodeErrorName(code: i32): string {
  switch (code) {
    case EncodeError.None: return "None";
    case EncodeError.UnsupportedVersion: return "UnsupportedVersion";
    case EncodeError.UnknownApi: return "UnknownApi";
    case EncodeError.NullNotAllowed: return "NullNotAllowed";
    case EncodeError.FieldNotInVersion: return "FieldNotInVersion";
    case EncodeError.ValueTooLarge: return "ValueTooLarge";
  }
  return "Unknown";
}
