// The node endpoints of a streamed Fetch response (v16+), edited where they are: at
// the end of the frame, whose size field has already been forwarded. The streaming
// walker (walkers/fetch.ts) finds where the top-level tagged fields begin; from there
// to the frame's end the connection holds the bytes in Envoy's buffer, then this
// rewrites them in place at the same length (rewrite/fetch-tail.ts).
import { FetchResponseWalker } from "../walkers/fetch";
import { HeldStream } from "../held-stream";
import { FetchTailEditor, TailOutcome } from "../rewrite/fetch-tail";
import { FETCH } from "../codec/generated/apis";
import { FrameDecision } from "./frame-edit";
import { ResponseEditor } from "./response-editor";

const TAIL_LOST = "a Fetch response could not be followed to its node endpoints, which may carry broker addresses";

/**
 * One connection's Fetch tail edits. Per streamed Fetch response: start(), then the
 * connection holds its buffer while `holding`, checks `lost()` after each read, and
 * calls frameEnded() when the frame's last byte has passed. Closes go through the
 * response editor (`closeReason`, counted as address rewriting).
 */
export class FetchTailEdit {
  /** The current response's tail is to be edited. */
  active: bool = false;
  private version: i16 = 0;
  private readonly tailEditor: FetchTailEditor;

  /**
   * `editor` must have a rewriter (this exists only with broker_addresses); `maxHeldFrameBytes`
   * bounds, in bytes, the tail held in Envoy's buffer.
   */
  constructor(
    private readonly editor: ResponseEditor,
    private readonly walker: FetchResponseWalker,
    private readonly maxHeldFrameBytes: i32,
  ) {
    this.tailEditor = new FetchTailEditor(changetype<ResponseEditor>(editor).rewriter!);
  }

  /** A Fetch response of `version` starts streaming; true when the walker must find its tail. */
  start(version: i16, heldWhole: bool): bool {
    this.version = version;
    this.active = !heldWhole && this.editor.editsFetchTail(version);
    return this.active;
  }

  /** The walk has reached the tail of the current response: its bytes must stay in Envoy's buffer. */
  get holding(): bool {
    return this.active && this.walker.tailOffset >= 0;
  }

  /** After a read: the walk stopped before the tail, so the rest must not pass. Closes (through the editor). */
  lost(): FrameDecision {
    if (!this.active || !this.walker.failed) return FrameDecision.Forward;
    this.active = false;
    return this.editor.close(TAIL_LOST);
  }

  /** The response just ended (its bytes up to here still in `stream`): rewrite its node endpoints in place. */
  frameEnded(stream: HeldStream): FrameDecision {
    if (!this.active) return FrameDecision.Forward;
    this.active = false;
    const walker = this.walker;
    const editor = this.editor;
    if (walker.tailOffset < 0) return editor.close(TAIL_LOST);
    const length = walker.tailLength;
    walker.tailOffset = -1;
    if (length > this.maxHeldFrameBytes) {
      return editor.close("a Fetch response's tagged fields of " + length.toString() + " bytes exceed max_held_frame_bytes");
    }
    const tail = stream.copyFrameTail(<u32>length);
    if (tail == null) return editor.close("Envoy no longer holds the end of a Fetch response");
    const tailEditor = this.tailEditor;
    const outcome = tailEditor.edit(tail, length, this.version);
    if (outcome == TailOutcome.Unchanged) return FrameDecision.Forward;
    if (outcome == TailOutcome.UnknownNode) return editor.unknownNode(FETCH);
    if (outcome == TailOutcome.Malformed) {
      return editor.close("a Fetch response's tagged fields do not decode: its node endpoints cannot be rewritten");
    }
    if (!stream.replaceFrameTail(tailEditor.replacement)) return editor.close("Envoy refused to rewrite the end of a Fetch response");
    if (outcome == TailOutcome.Dropped) editor.stats.endpointsDropped();
    else editor.stats.addressesRewritten();
    return FrameDecision.Forward;
  }
}
