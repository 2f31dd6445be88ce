// Kafka frame reassembly over a TCP byte stream, in one direction.
//
// A frame is a big-endian int32 size followed by that many bytes. TCP delivers
// frames cut at arbitrary points and several per read, so the scanner keeps a small
// state machine across reads. It copies out of the host buffer only the size field
// and a prefix of each frame: first its head (up to `headLimit` bytes, enough for the
// headers), then as much more as the handler asks for after seeing the head, never
// beyond `prefixLimit`. It counts its way past the rest, so memory use is bounded by
// the limits, not by frame size.

/** Where the bytes of the current read come from: Envoy's buffer in the filter, an array in tests. */
export abstract class ByteSource {
  /** Copies `length` bytes at `offset` of the current read to `dest`; false when they cannot be had. */
  abstract copy(offset: u32, length: u32, dest: usize): bool;
  /** Told where, in the current read, a frame's size field begins (sources that edit frames need it). */
  frameStarted(offset: u32): void {}
}

/** Receives frames as the scanner finds them. */
export abstract class FrameHandler {
  /**
   * Called once the head (the first min(frameSize, headLimit) bytes) is in, at
   * `frame[prefixStart, prefixEnd)`: returns how many bytes from the frame's start to
   * collect before onFrameStart. Fewer than the head means the head; more than the
   * scanner's prefixLimit or the frame means as many as allowed.
   */
  prefixWanted(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): i32 {
    return prefixEnd - prefixStart;
  }

  /**
   * Called once per frame when its prefix is in: the head, or as much as prefixWanted
   * asked for within the limits. The bytes are `frame[prefixStart, prefixEnd)`, valid
   * only during the call.
   */
  abstract onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void;
  /** Called when the frame's last byte has passed. */
  abstract onFrameEnd(frameSize: i32): void;
}

export const enum FramingError {
  None = 0,
  /** The size field is negative: not a Kafka stream (or a corrupt one). */
  NegativeSize = 1,
  /** The size field exceeds the configured maximum, for example an HTTP request sent to the port. */
  OversizedFrame = 2,
  /** The host would not hand out the bytes it announced. */
  SourceFailure = 3,
  /** A handler stopped the stream: the filter's policy closes the connection. */
  Halted = 4,
}

export function framingErrorName(error: FramingError): string {
  switch (error) {
    case FramingError.NegativeSize: return "negative_frame_size";
    case FramingError.OversizedFrame: return "oversized_frame";
    case FramingError.SourceFailure: return "buffer_unavailable";
    case FramingError.Halted: return "halted";
    default: return "none";
  }
}

const SIZE_FIELD_BYTES: i32 = 4;

export class FrameScanner {
  /** The size field followed by the frame's head; reused for every frame. */
  private readonly headScratch: ArrayBuffer;
  /** Where the current frame is collected: headScratch, or a larger buffer while a handler wants more. */
  private scratch: ArrayBuffer;
  /** The handler has been asked how much of the current frame it wants. */
  private prefixDecided: bool = false;
  /** Bytes of the size field and prefix collected for the current frame. */
  private collected: i32 = 0;
  /** How many bytes of size field and prefix the current frame needs before it is announced. */
  private wanted: i32 = SIZE_FIELD_BYTES;
  /** Size of the frame being read, or -1 while its size field is incomplete. */
  private frameSize: i32 = -1;
  /** Bytes of the current frame still to pass after its prefix was announced. */
  private bodyRemaining: i32 = 0;
  /** Sticky: once the stream is broken, every later byte is ignored. */
  error: FramingError = FramingError.None;
  /** The offending size field when error is NegativeSize or OversizedFrame. */
  errorSize: i32 = 0;
  framesCompleted: u64 = 0;

  constructor(
    private readonly maxFrameSize: i32,
    private readonly headLimit: i32,
    private readonly handler: FrameHandler,
    private readonly prefixLimit: i32 = headLimit,
  ) {
    const headScratch = new ArrayBuffer(SIZE_FIELD_BYTES + headLimit);
    this.headScratch = headScratch;
    this.scratch = headScratch;
  }

  /** Stops the stream for good: no more frames are read (the connection is being closed). */
  halt(): void {
    if (this.error == FramingError.None) this.error = FramingError.Halted;
  }

  /** True once the current frame's head is in and its handler has said how much it wants. */
  get frameDecided(): bool {
    return this.prefixDecided;
  }

  /** True when part of a frame has been seen but not all of it. */
  get midFrame(): bool {
    return this.collected > 0 || this.bodyRemaining > 0;
  }

  /** Consumes the next `length` bytes of the stream. */
  feed(source: ByteSource, length: u32): void {
    let position: u32 = 0;
    while (position < length && this.error == FramingError.None) {
      const available = length - position;
      if (this.bodyRemaining > 0) {
        const skipped = min<u32>(<u32>this.bodyRemaining, available);
        this.bodyRemaining -= <i32>skipped;
        position += skipped;
        if (this.bodyRemaining == 0) this.finishFrame();
        continue;
      }
      if (this.collected == 0) source.frameStarted(position);
      const copied = min<u32>(<u32>(this.wanted - this.collected), available);
      if (!source.copy(position, copied, changetype<usize>(this.scratch) + <usize>this.collected)) {
        this.error = FramingError.SourceFailure;
        return;
      }
      this.collected += <i32>copied;
      position += copied;
      if (this.collected < this.wanted) continue;
      if (this.frameSize < 0 && !this.acceptSizeField()) return;
      if (this.collected < this.wanted) continue;
      if (!this.prefixDecided && this.askForMore()) continue;
      this.announceFrame();
    }
  }

  private acceptSizeField(): bool {
    const size = bswap<i32>(load<i32>(changetype<usize>(this.scratch)));
    if (size < 0 || size > this.maxFrameSize) {
      this.error = size < 0 ? FramingError.NegativeSize : FramingError.OversizedFrame;
      this.errorSize = size;
      return false;
    }
    this.frameSize = size;
    this.wanted = SIZE_FIELD_BYTES + min<i32>(size, this.headLimit);
    return true;
  }

  /** With the head in, lets the handler ask for more of the frame; true when more is to be collected. */
  private askForMore(): bool {
    this.prefixDecided = true;
    const asked = this.handler.prefixWanted(this.frameSize, this.scratch, SIZE_FIELD_BYTES, this.wanted);
    const wanted = SIZE_FIELD_BYTES + min<i32>(min<i32>(asked, this.frameSize), this.prefixLimit);
    if (wanted <= this.wanted) return false;
    const larger = new ArrayBuffer(wanted);
    memory.copy(changetype<usize>(larger), changetype<usize>(this.scratch), <usize>this.collected);
    this.scratch = larger;
    this.wanted = wanted;
    return true;
  }

  private announceFrame(): void {
    const prefixLength = this.wanted - SIZE_FIELD_BYTES;
    this.handler.onFrameStart(this.frameSize, this.scratch, SIZE_FIELD_BYTES, this.wanted);
    this.bodyRemaining = this.frameSize - prefixLength;
    if (this.bodyRemaining == 0) this.finishFrame();
  }

  private finishFrame(): void {
    const size = this.frameSize;
    this.collected = 0;
    this.wanted = SIZE_FIELD_BYTES;
    this.frameSize = -1;
    this.prefixDecided = false;
    this.scratch = this.headScratch;
    this.framesCompleted++;
    this.handler.onFrameEnd(size);
  }
}
