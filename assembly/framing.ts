// Kafka frame reassembly over a TCP byte stream, in one direction.
//
// A frame is a big-endian int32 size followed by that many bytes. TCP delivers
// frames cut at arbitrary points and several per read, so the scanner keeps a small
// state machine across reads. It copies out of the host buffer only the size field
// and a prefix of each frame: first its head (up to `headLimit` bytes, enough for the
// headers), then as much more as the handler asks for after seeing the head, never
// beyond `prefixLimit`. It counts its way past the rest, so memory use is bounded by
// the limits, not by frame size.
//
// A handler may also stream the rest of a frame through a FrameWalker: a small state
// machine that asks, step by step, for the next N bytes (copied into a fixed scratch,
// N <= WALK_READ_LIMIT) or to skip N bytes (counted past, never copied). The walk
// starts inside the copied prefix, whose bytes are replayed to it first, and then
// continues over the host buffer across any number of reads.

/** Where the bytes of the current read come from: Envoy's buffer in the filter, an array in tests. */
export abstract class ByteSource {
  /** Copies `length` bytes at `offset` of the current read to `dest`; false when they cannot be had. */
  abstract copy(offset: u32, length: u32, dest: usize): bool;
  /** Told where, in the current read, a frame's size field begins (sources that edit frames need it). */
  frameStarted(offset: u32): void {}
  /** Told where, in the current read, the current frame ends (one past its last byte), before the handler's onFrameEnd. */
  frameEnded(offset: u32): void {}
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

  /**
   * Asked right after onFrameStart: a walker to stream the rest of this frame through,
   * or null to count past it. The walker's startOffset must lie within the prefix.
   */
  walkerFor(frameSize: i32): FrameWalker | null {
    return null;
  }
}

/** The largest read a walker may ask for: Kafka topic names are at most 249 bytes. */
export const WALK_READ_LIMIT: i32 = 256;
/**
 * How many bytes a walker read copies from the host at least (within the frame and the
 * read), so that the next steps are served without another host call. Bounded: at most
 * this many bytes a walker does not parse are copied per host call.
 */
export const WALK_COPY_AHEAD: i32 = 64;

/** What a FrameWalker asks for next. */
export const enum WalkStep {
  /** The walker wants nothing more of this frame. */
  Done = 0,
  /** Copy the next stepLength bytes into the scratch and call advance. */
  Read = 1,
  /** Count the next stepLength bytes past, then call advance. */
  Skip = 2,
}

/**
 * Streams through one frame at a time. The scanner calls begin once, then advance each
 * time a step completes (for a Read, with the bytes), and frameEnded once when the
 * frame's last byte has passed, whether or not the walker finished. Steps never reach
 * beyond the frame: asking for more than is left fails the walk. One instance is reused
 * for every frame, so nothing is allocated per frame.
 */
export abstract class FrameWalker {
  step: WalkStep = WalkStep.Done;
  stepLength: i32 = 0;
  /** Bytes into the frame (after its size field) where the walk starts. */
  startOffset: i32 = 0;
  /** The walk met data it could not follow and stopped. */
  failed: bool = false;
  /** Frame bytes the walker has consumed or asked for, startOffset included. */
  protected walked: i64 = 0;
  protected frameSize: i32 = 0;

  /** Starts a frame: resets the step bookkeeping, then lets the walker pick its first step. */
  start(frameSize: i32): void {
    this.frameSize = frameSize;
    this.walked = this.startOffset;
    this.failed = false;
    this.step = WalkStep.Done;
    this.stepLength = 0;
    this.begin();
  }

  /** Frame bytes not yet walked or asked for. */
  protected frameLeft(): i64 {
    return <i64>this.frameSize - this.walked;
  }

  protected read(length: i32): void {
    if (length < 0 || length > WALK_READ_LIMIT || <i64>length > this.frameLeft()) {
      this.fail();
      return;
    }
    this.step = WalkStep.Read;
    this.stepLength = length;
    this.walked += length;
  }

  protected skip(length: i64): void {
    if (length < 0 || length > this.frameLeft()) {
      this.fail();
      return;
    }
    this.step = WalkStep.Skip;
    this.stepLength = <i32>length;
    this.walked += length;
  }

  /** Stops the walk successfully; the rest of the frame is counted past. */
  protected finish(): void {
    this.step = WalkStep.Done;
    this.stepLength = 0;
  }

  /** Stops the walk on data it cannot follow; framing goes on by frame size. */
  protected fail(): void {
    this.failed = true;
    this.finish();
  }

  protected abstract begin(): void;
  /** The current step completed; `data` holds `length` bytes for a Read (valid during the call only). */
  abstract advance(data: usize, length: i32): void;
  abstract frameEnded(): void;
}

/** Why a FrameScanner stopped; it stays stopped and the connection is closed. */
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

/** The stat and log spelling of a FramingError ("none" for None). */
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
/** The largest prefix scratch a scanner keeps between frames: most responses fit; a connection never pins more. */
const KEPT_PREFIX_SCRATCH_BYTES: i32 = 65536;

/**
 * Reassembles Kafka frames (int32 size, then the frame) in one direction; see the file
 * comment. Memory is bounded by `headLimit` and `prefixLimit` (bytes), not frame size; a
 * size field below 0 or above `maxFrameSize` bytes stops it (FramingError).
 */
export class FrameScanner {
  /** The size field followed by the frame's head; reused for every frame. */
  private readonly headScratch: ArrayBuffer;
  /** Where the current frame is collected: headScratch, or prefixScratch while a handler wants more. */
  private scratch: ArrayBuffer;
  /**
   * Collects prefixes longer than the head; kept from frame to frame (up to
   * KEPT_PREFIX_SCRATCH_BYTES) so that collecting a response whole allocates nothing.
   */
  private prefixScratch: ArrayBuffer | null = null;
  /** The handler has been asked how much of the current frame it wants. */
  private prefixDecided: bool = false;
  /** Bytes of the size field and prefix collected for the current frame. */
  private collected: i32 = 0;
  /** Bytes at the start of headScratch copied at the frame's first byte, ahead of being collected. */
  private copiedAhead: i32 = 0;
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
  /** The walker streaming through the current frame, if any. */
  private walker: FrameWalker | null = null;
  /** The walker of the current frame, kept after its walk stops so frameEnded reaches it. */
  private frameWalker: FrameWalker | null = null;
  /** Where walker reads land; allocated on the first walk, then reused. */
  private walkScratch: ArrayBuffer | null = null;
  /** Bytes of the current read copied ahead for the walker: read positions [windowStart, windowEnd). */
  private walkWindow: ArrayBuffer | null = null;
  private windowStart: u32 = 0;
  private windowEnd: u32 = 0;
  /** Bytes of the current walker step already collected or skipped. */
  private walkProgress: i32 = 0;

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

  /**
   * Copies `length` bytes at `position` of the current read into the walk scratch (at the
   * step's progress), from the walk window when it holds them; otherwise refills the
   * window with up to WALK_COPY_AHEAD bytes from `position`, never past the frame's end
   * (`frameLeft` bytes) or the read's (`readLeft`). A walker reads a frame's fields in
   * small consecutive steps (a Fetch response: 7, 1, 16, 1, 30, 1, 4, 1 bytes...), and
   * each host call costs more than the few dozen bytes copied ahead of need.
   */
  private copyForWalk(source: ByteSource, position: u32, length: u32, frameLeft: u32, readLeft: u32): bool {
    const dest = changetype<usize>(this.walkScratch) + <usize>this.walkProgress;
    if (position < this.windowStart || position + length > this.windowEnd) {
      const ahead = min<u32>(max<u32>(length, <u32>WALK_COPY_AHEAD), min<u32>(frameLeft, readLeft));
      if (!source.copy(position, ahead, changetype<usize>(this.walkWindow))) return false;
      this.windowStart = position;
      this.windowEnd = position + ahead;
    }
    memory.copy(dest, changetype<usize>(this.walkWindow) + <usize>(position - this.windowStart), <usize>length);
    return true;
  }

  /** Consumes the next `length` bytes of the stream. */
  feed(source: ByteSource, length: u32): void {
    // The walk window holds bytes of the previous read; positions restart with each read.
    this.windowStart = 0;
    this.windowEnd = 0;
    let position: u32 = 0;
    while (position < length && this.error == FramingError.None) {
      const available = length - position;
      if (this.bodyRemaining > 0) {
        let passed = min<u32>(<u32>this.bodyRemaining, available);
        const walker = this.walker;
        if (walker != null) {
          passed = min<u32>(passed, <u32>(walker.stepLength - this.walkProgress));
          if (walker.step == WalkStep.Read && !this.copyForWalk(source, position, passed, <u32>this.bodyRemaining, available)) {
            this.error = FramingError.SourceFailure;
            return;
          }
          this.walkProgress += <i32>passed;
          this.completeWalkSteps();
        }
        this.bodyRemaining -= <i32>passed;
        position += passed;
        if (this.bodyRemaining == 0) {
          source.frameEnded(position);
          this.finishFrame();
        }
        continue;
      }
      if (this.collected == 0) {
        source.frameStarted(position);
        // The size field and the head are copied in one host call when the read holds
        // them: each call costs Envoy a boundary crossing and a re-entry to allocate.
        // Bytes past a frame smaller than the head are left for the next frame.
        const ahead = min<u32>(available, <u32>(SIZE_FIELD_BYTES + this.headLimit));
        if (!source.copy(position, ahead, changetype<usize>(this.headScratch))) {
          this.error = FramingError.SourceFailure;
          return;
        }
        this.copiedAhead = <i32>ahead;
      }
      const copied = min<u32>(<u32>(this.wanted - this.collected), available);
      const alreadyIn = this.copiedAhead > this.collected ? min<u32>(<u32>(this.copiedAhead - this.collected), copied) : 0;
      if (copied > alreadyIn &&
          !source.copy(position + alreadyIn, copied - alreadyIn, changetype<usize>(this.scratch) + <usize>(this.collected + <i32>alreadyIn))) {
        this.error = FramingError.SourceFailure;
        return;
      }
      this.collected += <i32>copied;
      position += copied;
      if (this.collected < this.wanted) continue;
      if (this.frameSize < 0 && !this.acceptSizeField()) return;
      if (this.collected < this.wanted) continue;
      if (!this.prefixDecided && this.askForMore()) continue;
      this.announceFrame(source, position);
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
    let larger = this.prefixScratch;
    if (larger == null || larger.byteLength < wanted) {
      // Doubles (up to the limit), so a stream of slowly growing responses does not
      // reallocate each time; starts at what is wanted, so idle connections stay small.
      const doubled = larger == null ? 0 : min<i32>(larger.byteLength * 2, SIZE_FIELD_BYTES + this.prefixLimit);
      larger = new ArrayBuffer(max<i32>(wanted, doubled));
      this.prefixScratch = larger;
    }
    memory.copy(changetype<usize>(larger), changetype<usize>(this.scratch), <usize>this.collected);
    this.scratch = larger;
    this.wanted = wanted;
    return true;
  }

  private announceFrame(source: ByteSource, position: u32): void {
    const prefixLength = this.wanted - SIZE_FIELD_BYTES;
    this.handler.onFrameStart(this.frameSize, this.scratch, SIZE_FIELD_BYTES, this.wanted);
    this.bodyRemaining = this.frameSize - prefixLength;
    const walker = this.handler.walkerFor(this.frameSize);
    if (walker != null) this.startWalk(walker, prefixLength);
    if (this.bodyRemaining == 0) {
      source.frameEnded(position);
      this.finishFrame();
    }
  }

  /** Starts a walk and replays to it the prefix bytes from its start offset on. */
  private startWalk(walker: FrameWalker, prefixLength: i32): void {
    if (walker.startOffset < 0 || walker.startOffset > prefixLength) return;
    if (this.walkScratch == null) {
      this.walkScratch = new ArrayBuffer(WALK_READ_LIMIT);
      this.walkWindow = new ArrayBuffer(max<i32>(WALK_READ_LIMIT, WALK_COPY_AHEAD));
    }
    this.frameWalker = walker;
    this.walker = walker;
    this.walkProgress = 0;
    walker.start(this.frameSize);
    let at = SIZE_FIELD_BYTES + walker.startOffset;
    const prefixEnd = SIZE_FIELD_BYTES + prefixLength;
    this.completeWalkSteps();
    while (this.walker != null && at < prefixEnd) {
      const taken = min<i32>(walker.stepLength - this.walkProgress, prefixEnd - at);
      if (walker.step == WalkStep.Read) {
        memory.copy(changetype<usize>(this.walkScratch) + <usize>this.walkProgress, changetype<usize>(this.scratch) + <usize>at, <usize>taken);
      }
      this.walkProgress += taken;
      at += taken;
      this.completeWalkSteps();
    }
  }

  /** Hands every completed step (zero-length ones included) to the walker, until one needs bytes. */
  private completeWalkSteps(): void {
    let walker = this.walker;
    while (walker != null) {
      if (walker.step == WalkStep.Done) {
        this.walker = null;
        return;
      }
      if (this.walkProgress < walker.stepLength) return;
      const length = walker.stepLength;
      this.walkProgress = 0;
      walker.advance(changetype<usize>(this.walkScratch), walker.step == WalkStep.Read ? length : 0);
    }
  }

  private finishFrame(): void {
    const size = this.frameSize;
    this.collected = 0;
    this.copiedAhead = 0;
    this.wanted = SIZE_FIELD_BYTES;
    this.frameSize = -1;
    this.prefixDecided = false;
    // A prefix scratch grown for one large frame is not kept for the connection's lifetime.
    const prefixScratch = this.prefixScratch;
    if (prefixScratch != null && prefixScratch.byteLength > KEPT_PREFIX_SCRATCH_BYTES) this.prefixScratch = null;
    this.scratch = this.headScratch;
    this.framesCompleted++;
    const walker = this.frameWalker;
    if (walker != null) {
      this.walker = null;
      this.frameWalker = null;
      walker.frameEnded();
    }
    this.handler.onFrameEnd(size);
  }
}
