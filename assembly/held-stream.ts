// One direction of a connection as Envoy buffers it, for a filter that may hold
// frames back and rewrite them.
//
// When a data callback returns StopIteration, Envoy keeps the bytes and the next
// callback sees them again, followed by the new ones; Continue forwards everything
// buffered. So bytes already scanned sit at the front of the buffer while frames
// are held, and the scanner's positions (counted over new bytes only) are offset by
// them. Envoy lets a filter edit its buffer only by replacing a prefix (drain, then
// prepend) or by appending, so replacing a frame in the middle rewrites everything
// in front of it too: a copy of the bytes before the frame, which is at most what
// arrived with it, since the filter holds only while a frame is incomplete.
import { ByteSource } from "./framing";
import { BufferType, copyBufferBytes, replaceBufferPrefix } from "./proxy/host";

// wasm32 memory ends at 4 GiB and the allocator traps when it cannot grow, which would
// kill the filter for every connection of the worker. Past this mark the filter stops
// taking on memory it can refuse: new connections, and whole frames to hold.
export const MEMORY_GUARD_PAGES: i32 = 49152; // 3 GiB

/** True when the VM's memory is near the wasm32 limit (see MEMORY_GUARD_PAGES). */
export function memoryNearLimit(): bool {
  return memory.size() >= MEMORY_GUARD_PAGES;
}

/**
 * The ByteSource over one direction's Envoy buffer (proxy-wasm get/set_buffer_bytes),
 * translating the scanner's offsets past the bytes held from earlier callbacks and past
 * edits already made in this one.
 */
export class HeldStream extends ByteSource {
  /** Bytes at the buffer's front that earlier callbacks scanned and held. */
  private held: u32 = 0;
  /** How much edits in this callback moved the bytes after them (new length - old length). */
  private shift: i32 = 0;
  /** Buffer offset where the frame being read starts (its size field). */
  private frameOffset: u32 = 0;
  /** Buffer offset one past the last byte of the frame that just ended. */
  private frameEndOffset: u32 = 0;

  constructor(private readonly bufferType: BufferType) { super(); }

  /** Starts a data callback over `bufferSize` buffered bytes; returns how many are new. */
  begin(bufferSize: u32): u32 {
    this.shift = 0;
    // Envoy never shrinks a held buffer behind the filter's back; if it did, treat all as new.
    if (this.held > bufferSize) this.held = 0;
    return bufferSize - this.held;
  }

  /** Copies from Envoy's buffer; false when the host cannot hand out all `length` bytes. */
  copy(offset: u32, length: u32, dest: usize): bool {
    const start = <i64>this.held + <i64>offset + <i64>this.shift;
    if (start < 0 || start > <i64>u32.MAX_VALUE) return false;
    return copyBufferBytes(this.bufferType, <u32>start, length, dest) == <i32>length;
  }

  /** Remembers where the frame starts in Envoy's buffer, for a replacement. */
  frameStarted(offset: u32): void {
    this.frameOffset = <u32>(<i64>this.held + <i64>offset + <i64>this.shift);
  }

  /** Remembers where the frame ends in Envoy's buffer, for tailBytes and a replacement. */
  frameEnded(offset: u32): void {
    this.frameEndOffset = <u32>(<i64>this.held + <i64>offset + <i64>this.shift);
  }

  /**
   * Copies the last `length` bytes of the frame that just ended (from its onFrameEnd);
   * null when they are no longer in Envoy's buffer (they must have been held since).
   */
  copyFrameTail(length: u32): ArrayBuffer | null {
    if (length > this.frameEndOffset) return null;
    const tail = new ArrayBuffer(<i32>length);
    if (copyBufferBytes(this.bufferType, this.frameEndOffset - length, length, changetype<usize>(tail)) != <i32>length) return null;
    return tail;
  }

  /**
   * Overwrites the last `replacement.byteLength` bytes of the frame that just ended
   * with as many new bytes: the frame keeps its length, so a size field already
   * forwarded stays true. False when the host refused the edit.
   */
  replaceFrameTail(replacement: ArrayBuffer): bool {
    const length = <u32>replacement.byteLength;
    if (length > this.frameEndOffset) return false;
    const before = this.frameEndOffset - length;
    const edit = new ArrayBuffer(<i32>this.frameEndOffset);
    if (before > 0 && copyBufferBytes(this.bufferType, 0, before, changetype<usize>(edit)) != <i32>before) return false;
    memory.copy(changetype<usize>(edit) + before, changetype<usize>(replacement), length);
    return replaceBufferPrefix(this.bufferType, this.frameEndOffset, changetype<usize>(edit), edit.byteLength);
  }

  /**
   * Replaces the current frame (`frameLength` bytes with its size field) by `replacement`
   * (a whole frame, or nothing to drop it). False when the host refused the edit.
   */
  replaceFrame(frameLength: u32, replacement: ArrayBuffer): bool {
    const before = this.frameOffset;
    let edit = replacement;
    if (before > 0) {
      // Envoy edits only from the buffer's start: carry the bytes in front along.
      edit = new ArrayBuffer(<i32>before + replacement.byteLength);
      if (copyBufferBytes(this.bufferType, 0, before, changetype<usize>(edit)) != <i32>before) return false;
      memory.copy(changetype<usize>(edit) + before, changetype<usize>(replacement), replacement.byteLength);
    }
    if (!replaceBufferPrefix(this.bufferType, before + frameLength, changetype<usize>(edit), edit.byteLength)) return false;
    this.shift += replacement.byteLength - <i32>frameLength;
    return true;
  }

  /** Ends the callback over `bufferSize` bytes (as Envoy announced them): holds them all, or lets Envoy forward them. */
  end(bufferSize: u32, hold: bool): void {
    this.held = hold ? <u32>(<i64>bufferSize + <i64>this.shift) : 0;
  }
}
