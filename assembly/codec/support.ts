// Small helpers shared by the generated messages; kept out of the generator's output
// so each generated file stays a plain list of fields.

import { RawTaggedField } from "./types";
import { Writer, sizeOfRawTaggedField } from "./writer";

/** A shared zero-length buffer: the default of non-nullable bytes fields (never mutated). */
export const EMPTY_BYTES = new ArrayBuffer(0);

/** Appends an unknown tagged field, creating the list on first use. */
export function appendRawTaggedField(list: Array<RawTaggedField> | null, field: RawTaggedField): Array<RawTaggedField> {
  if (list === null) {
    const created = new Array<RawTaggedField>();
    created.push(field);
    return created;
  }
  list.push(field);
  return list;
}

@inline export function rawTaggedFieldCount(list: Array<RawTaggedField> | null): i32 {
  return list === null ? 0 : list.length;
}

/** Encoded bytes of the unknown tagged fields (tag, size and data of each); 0 for null. */
export function sizeOfRawTaggedFields(list: Array<RawTaggedField> | null): i32 {
  if (list === null) return 0;
  let n = 0;
  for (let i = 0, k = list.length; i < k; i++) n += sizeOfRawTaggedField(unchecked(list[i]));
  return n;
}

/**
 * Writes the unknown tagged fields from index `from` whose tag is below `tag`, so that
 * known and unknown fields come out in ascending tag order as the protocol requires.
 * Returns the index of the first field not written. `tag` -1 writes all the rest.
 */
export function writeRawTaggedFieldsBelow(w: Writer, list: Array<RawTaggedField> | null, from: i32, tag: i64): i32 {
  if (list === null) return from;
  let i = from;
  const n = list.length;
  while (i < n) {
    const f = unchecked(list[i]);
    if (tag >= 0 && <i64>f.tag >= tag) break;
    w.writeRawTaggedField(f);
    i++;
  }
  return i;
}

@inline export function hasRawTaggedFields(list: Array<RawTaggedField> | null): bool {
  return list !== null && list.length > 0;
}

// ---- default-value tests used by the "field missing in this version" checks ---------

/** Whether a string differs from the field's default `expected` (null always does). */
export function stringDiffers(value: string | null, expected: string): bool {
  if (value === null) return true;
  return value != expected;
}

/** Whether a bytes field differs from its default, the empty buffer. */
export function bytesNonEmptyOrNull(value: ArrayBuffer | null): bool {
  return value === null || value.byteLength != 0;
}

/** Whether an array field differs from its default, the empty array. */
export function arrayNonEmptyOrNull<T>(value: Array<T> | null): bool {
  return value === null || value.length != 0;
}
