// Shared helpers for the codec specs (imported, not an as-pect include).

/** An ArrayBuffer holding exactly `values` (each truncated to a byte). */
export function bytesOf(values: i32[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buffer) + <usize>i, <u8>values[i]);
  return buffer;
}

/** The first `length` bytes of `buffer` as a new buffer (to simulate a frame cut short). */
export function prefix(buffer: ArrayBuffer, length: i32): ArrayBuffer {
  return buffer.slice(0, length);
}

export function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

export function hex(buffer: ArrayBuffer): string {
  let s = "";
  const bytes = Uint8Array.wrap(buffer);
  for (let i = 0; i < bytes.length; i++) {
    const b = <u32>bytes[i];
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}
