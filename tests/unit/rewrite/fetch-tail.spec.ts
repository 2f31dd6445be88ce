// The node endpoints at the end of a streamed Fetch response, edited in place: the
// tail keeps its length whatever the new addresses, and a client decoding the whole
// response sees the fronting addresses (or, when they cannot fit, no endpoints).
import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { RawTaggedField } from "../../../assembly/codec/types";
import { FetchResponse, FetchResponse_NodeEndpoint } from "../../../assembly/codec/generated/FetchResponse";
import { parseFilterConfig } from "../../../assembly/config/filter-config";
import { BrokerAddressMap } from "../../../assembly/rewrite/addresses";
import { AddressRewriter } from "../../../assembly/rewrite/rewriter";
import { FetchTailEditor, TailOutcome } from "../../../assembly/rewrite/fetch-tail";

function editorFor(host: string, port: i32): FetchTailEditor {
  const parsed = parseFilterConfig('{"broker_addresses":{"nodes":{"1":"' + host + ":" + port.toString() + '"}}}');
  expect(parsed.error).toBe("");
  return new FetchTailEditor(new AddressRewriter(new BrokerAddressMap(parsed.config!.brokerAddresses!)));
}

function encode(m: FetchResponse, version: i16): ArrayBuffer {
  const w = new Writer(256);
  m.encode(w, version);
  expect(w.ok).toBe(true);
  return w.toArrayBuffer();
}

function response(host: string, port: i32, extraTag: bool): FetchResponse {
  const m = new FetchResponse();
  m.sessionId = 7;
  const e = new FetchResponse_NodeEndpoint();
  e.nodeId = 1; e.host = host; e.port = port; e.rack = "rack-a";
  m.nodeEndpoints.push(e);
  if (extraTag) {
    const data = new ArrayBuffer(3);
    m.unknownTaggedFields = [new RawTaggedField(5, data)];
  }
  return m;
}

/** The body's top-level tagged-field section: the same body without endpoints ends with it too. */
function tailStart(m: FetchResponse, version: i16): i32 {
  const saved = m.nodeEndpoints;
  const savedTags = m.unknownTaggedFields;
  m.nodeEndpoints = new Array<FetchResponse_NodeEndpoint>();
  m.unknownTaggedFields = null;
  const bare = encode(m, version).byteLength;
  m.nodeEndpoints = saved;
  m.unknownTaggedFields = savedTags;
  return bare - 1;
}

/** Runs the tail of `body` through `editor` and returns the edited body (same length) decoded, plus the outcome. */
class Edited {
  outcome: TailOutcome = TailOutcome.Unchanged;
  decoded: FetchResponse | null = null;
}

function editBody(editor: FetchTailEditor, body: ArrayBuffer, start: i32, version: i16): Edited {
  const length = body.byteLength - start;
  const tail = body.slice(start);
  const result = new Edited();
  result.outcome = editor.edit(tail, length, version);
  let edited = body;
  if (result.outcome == TailOutcome.Rewritten || result.outcome == TailOutcome.Dropped) {
    expect(editor.replacement.byteLength).toBe(length);
    edited = body.slice(0);
    memory.copy(changetype<usize>(edited) + <usize>start, changetype<usize>(editor.replacement), <usize>length);
  }
  const decoded = new FetchResponse(false);
  const r = new Reader(edited, 0, edited.byteLength);
  expect(decoded.decode(r, version)).toBe(true);
  expect(r.pos).toBe(edited.byteLength);
  result.decoded = decoded;
  return result;
}

describe("Fetch node_endpoints edited in place", () => {
  it("rewrites at the same length, v16-18", () => {
    for (let v: i16 = 16; v <= 18; v++) {
      const m = response("kafka-1.internal", 9092, false);
      const edited = editBody(editorFor("envoy-1.proxyxyz", 19093), encode(m, v), tailStart(m, v), v);
      expect(edited.outcome).toBe(TailOutcome.Rewritten);
      const e = edited.decoded!.nodeEndpoints[0];
      expect(e.host).toBe("envoy-1.proxyxyz");
      expect(e.port).toBe(19093);
      expect(e.rack).toBe("rack-a");
      expect(edited.decoded!.unknownTaggedFields == null).toBe(true);
    }
  });

  it("pads a shorter rewrite with an unknown tagged field, for every shortfall of 2 to 300 bytes", () => {
    for (let shorter = 2; shorter <= 300; shorter++) {
      const m = response("k".repeat(10 + shorter), 9092, false);
      const edited = editBody(editorFor("k".repeat(10), 19093), encode(m, 17), tailStart(m, 17), 17);
      expect(edited.outcome).toBe(TailOutcome.Rewritten, "shorter by " + shorter.toString());
      expect(edited.decoded!.nodeEndpoints[0].host).toBe("k".repeat(10));
      expect(edited.decoded!.unknownTaggedFields!.length).toBe(1);
      expect(edited.decoded!.unknownTaggedFields![0].tag >= 1).toBe(true);
    }
  });

  it("keeps unknown tagged fields and pads above them", () => {
    const m = response("kafka-1.internal.example.com", 9092, true);
    const edited = editBody(editorFor("envoy-1", 19093), encode(m, 16), tailStart(m, 16), 16);
    expect(edited.outcome).toBe(TailOutcome.Rewritten);
    expect(edited.decoded!.nodeEndpoints[0].host).toBe("envoy-1");
    const tags = edited.decoded!.unknownTaggedFields!;
    expect(tags.length).toBe(2);
    expect(tags[0].tag).toBe(5);
    expect(tags[0].data.byteLength).toBe(3);
    expect(tags[1].tag).toBe(6);
  });

  it("replaces the endpoints by padding when the rewrite is one byte shorter or longer", () => {
    const oneShorter = response("kafka-1.internal", 9092, false);
    const a = editBody(editorFor("kafka-1.interna", 19093), encode(oneShorter, 18), tailStart(oneShorter, 18), 18);
    expect(a.outcome).toBe(TailOutcome.Dropped);
    expect(a.decoded!.nodeEndpoints.length).toBe(0);
    expect(a.decoded!.unknownTaggedFields!.length).toBe(1);
    for (let longer = 1; longer <= 200; longer++) {
      const m = response("kafka-1", 9092, longer % 2 == 0);
      const b = editBody(editorFor("kafka-1" + "x".repeat(longer), 19093), encode(m, 16), tailStart(m, 16), 16);
      expect(b.outcome).toBe(TailOutcome.Dropped, "longer by " + longer.toString());
      expect(b.decoded!.nodeEndpoints.length).toBe(0);
    }
  });

  it("leaves a tail without endpoints, or already fronted, alone", () => {
    const bare = new FetchResponse();
    const body = encode(bare, 16);
    expect(editBody(editorFor("envoy-1", 19093), body, body.byteLength - 1, 16).outcome).toBe(TailOutcome.Unchanged);
    const fronted = response("envoy-1", 19093, false);
    expect(editBody(editorFor("envoy-1", 19093), encode(fronted, 16), tailStart(fronted, 16), 16).outcome).toBe(TailOutcome.Unchanged);
  });

  it("refuses an unknown node id and bytes that are not a tagged-field section", () => {
    const m = response("kafka-1.internal", 9092, false);
    m.nodeEndpoints[0].nodeId = 42;
    const body = encode(m, 16);
    const start = tailStart(m, 16);
    const editor = editorFor("envoy-1", 19093);
    expect(editor.edit(body.slice(start), body.byteLength - start, 16)).toBe(TailOutcome.UnknownNode);
    const garbage = new ArrayBuffer(4);
    store<u8>(changetype<usize>(garbage), 9);
    expect(editor.edit(garbage, 4, 16)).toBe(TailOutcome.Malformed);
    // A tail that is cut short is malformed, never a trap.
    const tail = body.slice(start);
    for (let cut = 0; cut < tail.byteLength; cut++) {
      expect(editor.edit(tail.slice(0, cut), cut, 16)).toBe(TailOutcome.Malformed, "cut at " + cut.toString());
    }
  });
});
