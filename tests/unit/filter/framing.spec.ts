import { ByteSource, FrameHandler, FrameScanner, FrameWalker, FramingError, WALK_COPY_AHEAD } from "../../../assembly/framing";
import { StreamSlice, feedCut } from "../support/stream-slice";

/** A StreamSlice that records each copy the scanner asks of it, as "offset+length". */
class CountingSlice extends StreamSlice {
  copies: string[] = [];
  copy(offset: u32, length: u32, dest: usize): bool {
    this.copies.push(offset.toString() + "+" + length.toString());
    return super.copy(offset, length, dest);
  }
}

/** Reads the walked part of each frame one byte per step and sums the bytes, as walkers read small fields. */
class ByteWalker extends FrameWalker {
  sum: i32 = 0;
  steps: i32 = 0;
  constructor(private readonly readBytes: i32) { super(); }
  protected begin(): void { this.read(1); }
  advance(data: usize, length: i32): void {
    this.sum += load<u8>(data);
    this.steps++;
    if (this.steps < this.readBytes && this.frameLeft() > 0) this.read(1); else this.finish();
  }
  frameEnded(): void {}
}

class WalkedFrames extends FrameHandler {
  constructor(public walker: ByteWalker) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    this.walker.startOffset = prefixEnd - prefixStart;
  }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

/** Records what the scanner announces, as text, so runs with different cuts compare simply. */
class Recorder extends FrameHandler {
  events: string[] = [];
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    let text = "start " + frameSize.toString() + " [";
    const bytes = Uint8Array.wrap(frame);
    for (let i = prefixStart; i < prefixEnd; i++) text += bytes[i].toString() + (i + 1 < prefixEnd ? "," : "");
    this.events.push(text + "]");
  }
  onFrameEnd(frameSize: i32): void {
    this.events.push("end " + frameSize.toString());
  }
}

const PREFIX_LIMIT = 6;

/** Asks for whole frames, as the filter does for responses it inspects. */
class WholeFrameRecorder extends Recorder {
  prefixWanted(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): i32 {
    // The first head byte says whether this frame is worth collecting in full.
    return prefixEnd > prefixStart && Uint8Array.wrap(frame)[prefixStart] == 10 ? frameSize : 0;
  }
}

function scanWhole(stream: Uint8Array, cuts: i32[], headLimit: i32, prefixLimit: i32): string {
  const recorder = new WholeFrameRecorder();
  const scanner = new FrameScanner(1000, headLimit, recorder, prefixLimit);
  feedCut(scanner, stream, cuts);
  expect(scanner.error).toBe(FramingError.None);
  expect(scanner.midFrame).toBe(false);
  return recorder.events.join("|");
}

function frame(body: i32[]): u8[] {
  const out: u8[] = [<u8>(body.length >>> 24), <u8>(body.length >>> 16), <u8>(body.length >>> 8), <u8>body.length];
  for (let i = 0; i < body.length; i++) out.push(<u8>body[i]);
  return out;
}

function streamOf(frames: u8[][]): Uint8Array {
  let total = 0;
  for (let i = 0; i < frames.length; i++) total += frames[i].length;
  const stream = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    for (let j = 0; j < frames[i].length; j++) stream[at++] = frames[i][j];
  }
  return stream;
}

/** Feeds `stream` cut at each offset in `cuts` (ascending), returning the recorded events. */
function scan(stream: Uint8Array, cuts: i32[], maxFrame: i32 = 1000): Recorder {
  const recorder = new Recorder();
  const scanner = new FrameScanner(maxFrame, PREFIX_LIMIT, recorder);
  feedCut(scanner, stream, cuts);
  expect(scanner.error).toBe(FramingError.None);
  expect(scanner.midFrame).toBe(false);
  return recorder;
}

// A short frame, an empty one, one longer than the prefix limit, and one exactly at it.
const SAMPLE = streamOf([
  frame([1, 2, 3]),
  frame([]),
  frame([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]),
  frame([7, 7, 7, 7, 7, 7]),
]);
const EXPECTED = "start 3 [1,2,3]|end 3|start 0 []|end 0|start 11 [10,11,12,13,14,15]|end 11|start 6 [7,7,7,7,7,7]|end 6";

describe("FrameScanner", () => {
  it("finds every frame when several arrive in one read", () => {
    expect(scan(SAMPLE, []).events.join("|")).toBe(EXPECTED);
  });

  it("finds the same frames whatever single point the stream is cut at", () => {
    for (let cut = 1; cut < SAMPLE.length; cut++) {
      expect(scan(SAMPLE, [cut]).events.join("|")).toBe(EXPECTED, "cut at " + cut.toString());
    }
  });

  it("finds the same frames whatever two points the stream is cut at", () => {
    for (let first = 1; first < SAMPLE.length; first++) {
      for (let second = first + 1; second < SAMPLE.length; second++) {
        expect(scan(SAMPLE, [first, second]).events.join("|")).toBe(EXPECTED);
      }
    }
  });

  it("finds the same frames when the stream arrives one byte per read", () => {
    const cuts: i32[] = [];
    for (let i = 1; i < SAMPLE.length; i++) cuts.push(i);
    expect(scan(SAMPLE, cuts).events.join("|")).toBe(EXPECTED);
  });

  it("reports a frame only once its prefix is complete and ends it only at its last byte", () => {
    const recorder = new Recorder();
    const scanner = new FrameScanner(1000, PREFIX_LIMIT, recorder);
    const stream = streamOf([frame([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])]);
    scanner.feed(new StreamSlice(stream, 0), 9);
    expect(recorder.events.length).toBe(0);
    expect(scanner.midFrame).toBe(true);
    scanner.feed(new StreamSlice(stream, 9), 1);
    expect(recorder.events.join("|")).toBe("start 11 [10,11,12,13,14,15]");
    scanner.feed(new StreamSlice(stream, 10), 4);
    expect(recorder.events.length).toBe(1);
    scanner.feed(new StreamSlice(stream, 14), 1);
    expect(recorder.events.join("|")).toBe("start 11 [10,11,12,13,14,15]|end 11");
    expect(scanner.framesCompleted).toBe(1);
  });

  it("stops at a negative size and ignores everything after it", () => {
    const recorder = new Recorder();
    const scanner = new FrameScanner(1000, PREFIX_LIMIT, recorder);
    const stream = streamOf([frame([1]), [0xff, 0xff, 0xff, 0xfe], frame([2])]);
    scanner.feed(new StreamSlice(stream, 0), <u32>stream.length);
    expect(scanner.error).toBe(FramingError.NegativeSize);
    expect(scanner.errorSize).toBe(-2);
    expect(recorder.events.join("|")).toBe("start 1 [1]|end 1");
  });

  it("stops at a size above the maximum, such as an HTTP request's first bytes", () => {
    const recorder = new Recorder();
    const scanner = new FrameScanner(1 << 20, PREFIX_LIMIT, recorder);
    const http = Uint8Array.wrap(String.UTF8.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    scanner.feed(new StreamSlice(http, 0), <u32>http.length);
    expect(scanner.error).toBe(FramingError.OversizedFrame);
    expect(scanner.errorSize).toBe(0x47455420); // "GET "
    expect(recorder.events.length).toBe(0);
  });

  it("accepts a frame of exactly the maximum size", () => {
    const body: i32[] = [];
    for (let i = 0; i < 16; i++) body.push(i);
    expect(scan(streamOf([frame(body)]), [], 16).events.join("|")).toBe("start 16 [0,1,2,3,4,5]|end 16");
  });

  it("collects more than the head when the handler asks, whatever the cut points", () => {
    // Heads are 2 bytes; the 11-byte frame starting with 10 is wanted whole, within a 16-byte limit.
    const expected = "start 3 [1,2]|end 3|start 0 []|end 0|start 11 [10,11,12,13,14,15,16,17,18,19,20]|end 11|start 6 [7,7]|end 6";
    expect(scanWhole(SAMPLE, [], 2, 16)).toBe(expected);
    for (let first = 1; first < SAMPLE.length; first++) {
      for (let second = first + 1; second < SAMPLE.length; second++) {
        expect(scanWhole(SAMPLE, [first, second], 2, 16)).toBe(expected);
      }
    }
  });

  it("never collects more than its prefix limit, however much the handler asks", () => {
    expect(scanWhole(SAMPLE, [5, 17], 2, 4)).toBe(
      "start 3 [1,2]|end 3|start 0 []|end 0|start 11 [10,11,12,13]|end 11|start 6 [7,7]|end 6");
  });

  it("reports a host buffer it cannot read", () => {
    const recorder = new Recorder();
    const scanner = new FrameScanner(1000, PREFIX_LIMIT, recorder);
    const stream = streamOf([frame([1, 2])]);
    scanner.feed(new StreamSlice(stream, 0), <u32>stream.length + 3);
    expect(scanner.error).toBe(FramingError.SourceFailure);
  });

  it("copies a frame's size field and head in one host read, and no bytes of the next frame into it", () => {
    const source = new CountingSlice(SAMPLE, 0);
    const recorder = new Recorder();
    const scanner = new FrameScanner(1000, PREFIX_LIMIT, recorder);
    scanner.feed(source, <u32>SAMPLE.length);
    expect(recorder.events.join("|")).toBe(EXPECTED);
    // One copy per frame: at each frame's first byte, the size field and up to PREFIX_LIMIT head bytes.
    expect(source.copies.join(" ")).toBe("0+10 7+10 11+10 26+10");
  });

  it("serves a walker's small consecutive reads from one host read per WALK_COPY_AHEAD bytes, within its frame", () => {
    // A 4-byte head, then 200 walked bytes read one at a time, then a second frame.
    const body: i32[] = [];
    for (let i = 0; i < 204; i++) body.push(i & 0x7f);
    const stream = streamOf([frame(body), frame([1, 2, 3])]);
    const walker = new ByteWalker(200);
    const scanner = new FrameScanner(1000, 4, new WalkedFrames(walker));
    const source = new CountingSlice(stream, 0);
    scanner.feed(source, <u32>stream.length);
    expect(scanner.error).toBe(FramingError.None);
    let expectedSum = 0;
    for (let i = 4; i < 204; i++) expectedSum += i & 0x7f;
    expect(walker.sum).toBe(expectedSum);
    // The head copy, then windows of WALK_COPY_AHEAD bytes; the last stops at the frame's end.
    expect(WALK_COPY_AHEAD).toBe(64);
    expect(source.copies.join(" ")).toBe("0+8 8+64 72+64 136+64 200+8 208+7");
  });
});
