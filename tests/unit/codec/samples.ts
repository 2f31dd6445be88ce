// Sample values for the generated builders (tests/unit/codec/generated/builders.ts).

import { RawTaggedField, RecordsView } from "../../../assembly/codec/types";

/** Non-empty and multi-byte UTF-8, so byte lengths and character counts differ. */
export function sampleString(seed: i32): string {
  return "s€" + seed.toString();
}

export function sampleBytes(seed: i32): ArrayBuffer {
  const b = new ArrayBuffer(3);
  store<u8>(changetype<usize>(b), <u8>seed);
  store<u8>(changetype<usize>(b), 0xab, 1);
  store<u8>(changetype<usize>(b), <u8>(seed >> 8), 2);
  return b;
}

/** A view into the middle of a larger buffer, as decoding produces. */
export function sampleRecords(seed: i32): RecordsView {
  const b = new ArrayBuffer(16);
  for (let i = 0; i < 16; i++) store<u8>(changetype<usize>(b) + <usize>i, <u8>(seed + i));
  return new RecordsView(b, 3, 9);
}

/** Two unknown tagged fields: one below/between the known tags, one above all of them. */
export function sampleUnknownTags(lowTag: u32, highTag: u32): Array<RawTaggedField> {
  const low = new ArrayBuffer(2);
  store<u16>(changetype<usize>(low), 0xbeef);
  const list = new Array<RawTaggedField>();
  list.push(new RawTaggedField(lowTag, low));
  list.push(new RawTaggedField(highTag, new ArrayBuffer(0)));
  return list;
}

export function arrayOf1<T>(a: T): Array<T> {
  const out = new Array<T>();
  out.push(a);
  return out;
}

export function arrayOf2<T>(a: T, b: T): Array<T> {
  const out = new Array<T>();
  out.push(a);
  out.push(b);
  return out;
}
