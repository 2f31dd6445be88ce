// The node endpoints of a large Fetch response, rewritten in place at the end of the
// frame (KIP-951; FetchResponse.json: "NodeEndpoints", versions 16+, tag 0 of the
// top-level tagged fields, which are the last bytes of the response).
//
// Large Fetch responses stream through the filter (walkers/fetch.ts); their size field
// has already been forwarded when the walker reaches the tagged fields, so the edited
// tail must have exactly the length of the original. A shorter rewrite is padded with
// an unknown tagged field, which every client skips: Kafka's generated readers hand any
// tag they do not know to readUnknownTaggedField (MessageDataGenerator), and
// librdkafka's rd_kafka_buf_skip_tags reads each tag's length and skips it. When the
// rewrite cannot fit (it is longer, or exactly one byte shorter, which no tagged field
// can fill), the node endpoints are replaced by padding: the client then learns the new
// leader through a Metadata refresh, as before KIP-951.
import { Reader } from "../codec/reader";
import { Writer, sizeOfUnsignedVarint } from "../codec/writer";
import { FetchResponse_NodeEndpoint } from "../codec/generated/FetchResponse";
import { AddressRewriter } from "./rewriter";

const NODE_ENDPOINTS_TAG: u32 = 0;
const EMPTY = new ArrayBuffer(0);

/** What FetchTailEditor.edit made of a Fetch response's tail. */
export const enum TailOutcome {
  /** No node endpoints, or all already fronting addresses: leave the bytes alone. */
  Unchanged = 0,
  /** `replacement` holds the rewritten tail, of the original length. */
  Rewritten = 1,
  /** The rewrite did not fit: `replacement` holds the tail with node endpoints replaced by padding. */
  Dropped = 2,
  /** A node id has no mapping (`rewriter.unknownNodeId`): the response must not pass. */
  UnknownNode = 3,
  /** The bytes are not a tagged-field section: the response must not pass. */
  Malformed = 4,
}

/**
 * Edits the top-level tagged-field section of a Fetch response (v16+), `tail[0, length)`,
 * which ends the frame. After Rewritten or Dropped, `replacement` holds exactly `length`
 * bytes to put in its place. Allocates only when node endpoints are present.
 */
export class FetchTailEditor {
  replacement: ArrayBuffer = EMPTY;
  private readonly reader: Reader = new Reader();
  private readonly writer: Writer = new Writer(256);
  private readonly tags: Array<u32> = new Array<u32>();
  private readonly starts: Array<i32> = new Array<i32>();
  private readonly ends: Array<i32> = new Array<i32>();
  private endpoints: Array<FetchResponse_NodeEndpoint> = new Array<FetchResponse_NodeEndpoint>();

  constructor(private readonly rewriter: AddressRewriter) {}

  /**
   * Rewrites the node endpoints (tag 0, KIP-951) in `tail[0, length)`, the top-level tagged
   * fields of a Fetch response of `version` (16+), keeping the length (see the file comment).
   * Unknown tags are kept as they are; a section that does not parse is Malformed.
   */
  edit(tail: ArrayBuffer, length: i32, version: i16): TailOutcome {
    this.replacement = EMPTY;
    const r = this.reader;
    r.reset(tail, 0, length);
    const tags = this.tags;
    const starts = this.starts;
    const ends = this.ends;
    tags.length = 0;
    starts.length = 0;
    ends.length = 0;
    let endpointsField = -1;
    let count = r.readTaggedFieldCount();
    while (count-- > 0 && r.ok) {
      const tag = r.readUnsignedVarint();
      const size = r.readTaggedFieldSize();
      if (!r.ok) break;
      tags.push(tag);
      starts.push(r.pos);
      ends.push(r.pos + size);
      if (tag == NODE_ENDPOINTS_TAG && endpointsField < 0) {
        endpointsField = tags.length - 1;
        if (!this.readEndpoints(r, r.pos + size, version)) return TailOutcome.Malformed;
      } else {
        r.skip(size);
      }
    }
    if (!r.ok || r.pos != length) return TailOutcome.Malformed;
    if (endpointsField < 0) return TailOutcome.Unchanged;

    const rewriter = this.rewriter;
    const endpoints = this.endpoints;
    let changed = false;
    for (let i = 0, n = endpoints.length; i < n; i++) {
      const endpoint = unchecked(endpoints[i]);
      if (!rewriter.resolve(endpoint.nodeId, endpoint.host, endpoint.port)) return TailOutcome.UnknownNode;
      const addresses = rewriter.addresses;
      if (endpoint.host != addresses.host || endpoint.port != addresses.port) changed = true;
      endpoint.host = addresses.host;
      endpoint.port = addresses.port;
    }
    if (!changed) return TailOutcome.Unchanged;
    if (this.encode(tail, length, version, endpointsField, true)) return TailOutcome.Rewritten;
    if (this.encode(tail, length, version, endpointsField, false)) return TailOutcome.Dropped;
    return TailOutcome.Malformed;
  }

  private readEndpoints(r: Reader, end: i32, version: i16): bool {
    const count = r.readArrayLength(true, false, 1);
    if (!r.ok) return false;
    const endpoints = new Array<FetchResponse_NodeEndpoint>(count);
    for (let i = 0; i < count; i++) {
      const endpoint = new FetchResponse_NodeEndpoint(false);
      if (!endpoint.decode(r, version)) return false;
      unchecked(endpoints[i] = endpoint);
    }
    this.endpoints = endpoints;
    return r.pos == end;
  }

  /**
   * Writes the section with the node endpoints (`keepEndpoints`) or without them, then
   * pads it to `length` with one unknown tagged field; false when that cannot be done.
   */
  private encode(tail: ArrayBuffer, length: i32, version: i16, endpointsField: i32, keepEndpoints: bool): bool {
    const tags = this.tags;
    let endpointsSize = 0;
    const endpoints = this.endpoints;
    if (keepEndpoints) {
      endpointsSize = sizeOfUnsignedVarint(<u32>endpoints.length + 1);
      for (let i = 0, n = endpoints.length; i < n; i++) endpointsSize += unchecked(endpoints[i]).size(version);
    }
    // Fields as they came (the endpoints field re-encoded or left out), then the pad.
    let fields = 0;
    let bodySize = 0;
    let maxTag: i64 = -1;
    for (let i = 0, n = tags.length; i < n; i++) {
      if (i == endpointsField && !keepEndpoints) continue;
      const tag = unchecked(tags[i]);
      const size = i == endpointsField ? endpointsSize : unchecked(this.ends[i]) - unchecked(this.starts[i]);
      fields++;
      bodySize += sizeOfUnsignedVarint(tag) + sizeOfUnsignedVarint(<u32>size) + size;
      if (<i64>tag > maxTag) maxTag = tag;
    }
    // The pad's tag is above every tag present; when no pad size fits the gap (n +
    // varint(n) skips 129, for one), a tag one varint byte wider shifts the gap by one.
    let padTag: u32 = 0;
    let padSize = -1;
    const unpadded = sizeOfUnsignedVarint(<u32>fields) + bodySize;
    if (unpadded != length) {
      const lowest = max<i64>(maxTag + 1, 1);
      for (let tagWidth = 1; tagWidth <= 3 && padSize < 0; tagWidth++) {
        const floor: i64 = tagWidth == 1 ? 0 : (<i64>1 << (7 * (tagWidth - 1)));
        const tag = <u32>max<i64>(lowest, floor);
        if (sizeOfUnsignedVarint(tag) != tagWidth) continue;
        const gap = length - sizeOfUnsignedVarint(<u32>fields + 1) - bodySize - tagWidth;
        // gap = varint(padSize) + padSize: try each varint width.
        for (let width = 1; width <= 5 && padSize < 0; width++) {
          const candidate = gap - width;
          if (candidate >= 0 && sizeOfUnsignedVarint(<u32>candidate) == width) {
            padSize = candidate;
            padTag = tag;
          }
        }
      }
      if (padSize < 0) return false;
      fields++;
    }
    const w = this.writer;
    w.reset();
    w.writeUnsignedVarint(<u32>fields);
    for (let i = 0, n = tags.length; i < n; i++) {
      if (i == endpointsField) {
        if (!keepEndpoints) continue;
        w.writeUnsignedVarint(NODE_ENDPOINTS_TAG);
        w.writeUnsignedVarint(<u32>endpointsSize);
        w.writeArrayLength(true, endpoints.length);
        for (let j = 0, m = endpoints.length; j < m; j++) unchecked(endpoints[j]).encode(w, version);
        continue;
      }
      const start = unchecked(this.starts[i]);
      const size = unchecked(this.ends[i]) - start;
      w.writeUnsignedVarint(unchecked(tags[i]));
      w.writeUnsignedVarint(<u32>size);
      w.writeRawBytes(tail, start, size);
    }
    if (padSize >= 0) {
      w.writeUnsignedVarint(padTag);
      w.writeUnsignedVarint(<u32>padSize);
      for (let i = 0; i < padSize; i++) w.writeInt8(0);
    }
    if (!w.ok || w.pos != length) return false;
    this.replacement = w.toArrayBuffer();
    return true;
  }
}
