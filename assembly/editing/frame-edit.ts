// What the filter decided about one frame it held: forward it, replace it in Envoy's
// buffer, or close the connection. Shared by the ACL enforcer (requests) and the
// response editor (ACL merges and broker address rewriting).

/** What an editor decides for a whole held frame. */
export const enum FrameDecision {
  Forward = 0,
  /** Put `replacement` (a whole frame, or nothing) where the frame was. */
  Replace = 1,
  /** Fail closed: close the connection (`closeReason` says why). */
  Close = 2,
}

const EMPTY = new ArrayBuffer(0);

/** The outcome of the last decision that was not Forward. */
export class FrameEdit {
  /** The frame to put in place of the current one, after Replace. */
  replacement: ArrayBuffer = EMPTY;
  /** Why, after Close. */
  closeReason: string = "";
  /** After Close: true when ACL enforcement closed (counted as an ACL close), false for address rewriting. */
  closedByAcl: bool = true;
}
