// A test ByteSource, shared by the framing, walker, insight and lag specs.
import { ByteSource } from "../../../assembly/framing";

/** Serves one read: bytes [start, start + length) of a prepared stream, as Envoy's buffer serves a data callback. */
export class StreamSlice extends ByteSource {
  constructor(public stream: Uint8Array, public start: i32) { super(); }
  copy(offset: u32, length: u32, dest: usize): bool {
    if (<i32>(offset + length) + this.start > this.stream.length) return false;
    memory.copy(dest, this.stream.dataStart + <usize>this.start + offset, length);
    return true;
  }
}
