// A test ByteSource, shared by the framing, walker, insight and lag specs.
import { ByteSource, FrameScanner } from "../../../assembly/framing";

/** Serves one read: bytes [start, start + length) of a prepared stream, as Envoy's buffer serves a data callback. */
export class StreamSlice extends ByteSource {
  constructor(public stream: Uint8Array, public start: i32) { super(); }
  copy(offset: u32, length: u32, dest: usize): bool {
    if (<i32>(offset + length) + this.start > this.stream.length) return false;
    memory.copy(dest, this.stream.dataStart + <usize>this.start + offset, length);
    return true;
  }
}

/**
 * Feeds `stream` to `scanner` as Envoy's reads would, cut at each offset of `cuts`
 * (ascending, each within the stream): one feed per piece.
 */
export function feedCut(scanner: FrameScanner, stream: Uint8Array, cuts: i32[]): void {
  let start = 0;
  for (let i = 0; i <= cuts.length; i++) {
    const end = i < cuts.length ? cuts[i] : stream.length;
    scanner.feed(new StreamSlice(stream, start), <u32>(end - start));
    start = end;
  }
}
