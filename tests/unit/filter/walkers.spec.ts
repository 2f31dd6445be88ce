// The streaming walkers driven through the real FrameScanner: per-topic bytes and
// records of Produce requests (v0-13) and Fetch responses (v0-18), Fetch error codes,
// frames cut at every byte, malformed input, and memory that does not grow.
import { ByteSource, FrameHandler, FrameScanner, FrameWalker, FramingError } from "../../../assembly/framing";
import { ProduceRequestWalker } from "../../../assembly/walkers/produce";
import { FetchResponseWalker } from "../../../assembly/walkers/fetch";
import { WalkSink } from "../../../assembly/walkers/sink";
import { NO_TOPIC_LABEL, OVERFLOW_TOPIC_LABEL, TopicLabels, TopicNames, TopicStat, UNKNOWN_TOPIC_ID_LABEL } from "../../../assembly/topics";
import { Writer } from "../../../assembly/codec/writer";
import { StreamSlice, feedCut } from "../support/stream-slice";
import { RawTaggedField, RecordsView, Uuid } from "../../../assembly/codec/types";
import { ProduceRequest, ProduceRequest_PartitionProduceData, ProduceRequest_TopicProduceData } from "../../../assembly/codec/generated/ProduceRequest";
import {
  FetchResponse, FetchResponse_AbortedTransaction, FetchResponse_FetchableTopicResponse, FetchResponse_NodeEndpoint,
  FetchResponse_PartitionData,
} from "../../../assembly/codec/generated/FetchResponse";

const STAT_NAMES: string[] = ["produced_bytes", "produced_records", "fetched_bytes", "fetched_records"];
const MAX_FRAME: i32 = 1 << 30;

// ---- what the walkers report -----------------------------------------------------

class RecordingSink extends WalkSink {
  totals: Map<string, i64> = new Map<string, i64>();
  errors: string[] = [];
  failures: i32 = 0;

  addTopic(label: i32, stat: TopicStat, delta: i64): void {
    if (label == NO_TOPIC_LABEL) return;
    const key = this.labels.labelName(label) + "." + STAT_NAMES[<i32>stat];
    this.totals.set(key, (this.totals.has(key) ? this.totals.get(key) : 0) + delta);
  }
  errorCode(apiKey: i32, code: i16): void {
    this.errors.push(apiKey.toString() + ":" + code.toString());
  }
  walkFailed(): void {
    this.failures++;
  }
  summary(): string {
    const keys = this.totals.keys().sort();
    let text = "";
    for (let i = 0; i < keys.length; i++) text += keys[i] + "=" + this.totals.get(keys[i]).toString() + ";";
    return text + " errors=" + this.errors.join(",") + " failures=" + this.failures.toString();
  }
}

/** Sums without allocating, for the memory tests. */
class CountingSink extends WalkSink {
  bytes: i64 = 0;
  records: i64 = 0;
  errorCount: i32 = 0;
  failures: i32 = 0;
  addTopic(label: i32, stat: TopicStat, delta: i64): void {
    if (stat == TopicStat.ProducedBytes || stat == TopicStat.FetchedBytes) this.bytes += delta; else this.records += delta;
  }
  errorCode(apiKey: i32, code: i16): void { this.errorCount++; }
  walkFailed(): void { this.failures++; }
}

// ---- driving the scanner -------------------------------------------------------

/** Produce requests whose header is `headerBytes` of filler: the walk starts right after it. */
class ProduceFrames extends FrameHandler {
  frames: i32 = 0;
  constructor(public walker: ProduceRequestWalker, public version: i16, public headerBytes: i32) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    this.frames++;
    this.walker.prepare(this.version, this.headerBytes);
  }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

class FetchFrames extends FrameHandler {
  frames: i32 = 0;
  constructor(public walker: FetchResponseWalker, public version: i16) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void {
    this.frames++;
    this.walker.prepare(this.version, true);
  }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

/** Feeds `stream` cut at each offset in `cuts` (ascending). */
function feed(scanner: FrameScanner, stream: Uint8Array, cuts: i32[]): void {
  feedCut(scanner, stream, cuts);
  expect(scanner.error).toBe(FramingError.None);
  expect(scanner.midFrame).toBe(false);
}

function labels(): TopicLabels {
  const names = new TopicNames(8);
  names.learn(ORDERS_ID_HI, ORDERS_ID_LO, "orders");
  return new TopicLabels(10, null, names);
}

function walkProduce(stream: Uint8Array, version: i16, headerBytes: i32, headLimit: i32, cuts: i32[]): string {
  const sink = new RecordingSink(labels());
  const handler = new ProduceFrames(new ProduceRequestWalker(sink), version, headerBytes);
  feed(new FrameScanner(MAX_FRAME, headLimit, handler), stream, cuts);
  return sink.summary();
}

function walkFetch(stream: Uint8Array, version: i16, headLimit: i32, cuts: i32[]): string {
  const sink = new RecordingSink(labels());
  const handler = new FetchFrames(new FetchResponseWalker(sink), version);
  feed(new FrameScanner(MAX_FRAME, headLimit, handler), stream, cuts);
  return sink.summary();
}

// ---- building frames -------------------------------------------------------------

const ORDERS_ID_HI: u64 = 0x0123456789abcdef;
const ORDERS_ID_LO: u64 = 0x1122334455667788;
const AUDIT_ID_HI: u64 = 0x7777;
const AUDIT_ID_LO: u64 = 0x8888;

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].byteLength;
  const out = new ArrayBuffer(total);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    memory.copy(changetype<usize>(out) + <usize>at, changetype<usize>(parts[i]), <usize>parts[i].byteLength);
    at += parts[i].byteLength;
  }
  return out;
}

function putInt32(buffer: ArrayBuffer, at: i32, value: i32): void {
  store<i32>(changetype<usize>(buffer) + <usize>at, bswap<i32>(value));
}

/** A magic v2 batch claiming `records` records, with `payload` bytes after its 61-byte header. */
function batch(records: i32, payload: i32): ArrayBuffer {
  const out = new ArrayBuffer(61 + payload);
  for (let i = 0; i < out.byteLength; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>(0xa0 + i));
  putInt32(out, 0, 0);
  putInt32(out, 4, 1000);
  putInt32(out, 8, 49 + payload);
  store<u8>(changetype<usize>(out) + 16, 2);
  putInt32(out, 57, records);
  return out;
}

/** One legacy message (magic 0 or 1) with a null key and `value` bytes of value. */
function legacyMessage(magic: u8, value: i32): ArrayBuffer {
  const body = (magic == 1 ? 22 : 14) + value;
  const out = new ArrayBuffer(12 + body);
  putInt32(out, 8, body);
  store<u8>(changetype<usize>(out) + 16, magic);
  const keyAt = magic == 1 ? 26 : 18;
  putInt32(out, keyAt, -1);
  putInt32(out, keyAt + 4, value);
  return out;
}

function records(parts: ArrayBuffer[]): RecordsView {
  return RecordsView.of(concat(parts));
}

/** A frame: size field, `header` filler bytes, body. */
function frameOf(header: i32, body: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(4 + header + body.byteLength);
  putInt32(out, 0, header + body.byteLength);
  for (let i = 0; i < header; i++) store<u8>(changetype<usize>(out) + 4 + <usize>i, <u8>(0x40 + i));
  memory.copy(changetype<usize>(out) + 4 + <usize>header, changetype<usize>(body), <usize>body.byteLength);
  return out;
}

function streamOf(parts: ArrayBuffer[]): Uint8Array {
  return Uint8Array.wrap(concat(parts));
}

function encodeProduce(request: ProduceRequest, version: i16): ArrayBuffer {
  const w = new Writer();
  request.encode(w, version < 3 ? 3 : version);
  expect(w.ok).toBe(true);
  const body = w.toArrayBuffer();
  // Versions 0-2 are version 3 without the TransactionalId (null: int16 -1).
  return version < 3 ? body.slice(2) : body;
}

function produceTopic(name: string, idHi: u64, idLo: u64, partitions: ProduceRequest_PartitionProduceData[]): ProduceRequest_TopicProduceData {
  const topic = new ProduceRequest_TopicProduceData();
  topic.name = name;
  topic.topicId = new Uuid(idHi, idLo);
  topic.partitionData = partitions;
  return topic;
}

function producePartition(index: i32, data: RecordsView | null): ProduceRequest_PartitionProduceData {
  const partition = new ProduceRequest_PartitionProduceData();
  partition.index = index;
  partition.records = data;
  return partition;
}

// orders: 61+10 + 61 = 132 bytes, 8 records; audit.log-1: 161 bytes, 7 records.
function sampleProduce(version: i16): ArrayBuffer {
  const request = new ProduceRequest();
  request.transactionalId = version >= 3 ? "txn-1" : null;
  request.acks = -1;
  request.timeoutMs = 30000;
  request.topicData = [
    produceTopic("orders", ORDERS_ID_HI, ORDERS_ID_LO, [
      producePartition(0, records([batch(3, 10), batch(5, 0)])),
      producePartition(1, null),
      producePartition(2, RecordsView.empty()),
    ]),
    produceTopic("audit.log-1", AUDIT_ID_HI, AUDIT_ID_LO, [producePartition(4, records([batch(7, 100)]))]),
  ];
  if (version >= 9) {
    // Tagged fields the walk must step over, in a partition and in a topic.
    request.topicData[0].partitionData[0].unknownTaggedFields = [new RawTaggedField(3, new ArrayBuffer(5))];
    request.topicData[1].unknownTaggedFields = [new RawTaggedField(9, new ArrayBuffer(130))];
  }
  return encodeProduce(request, version);
}

function expectedProduce(version: i16, times: i32 = 1): string {
  const audit = version >= 13 ? UNKNOWN_TOPIC_ID_LABEL : "audit.log-1";
  const lines: string[] = [
    audit + ".produced_bytes=" + (161 * times).toString(), audit + ".produced_records=" + (7 * times).toString(),
    "orders.produced_bytes=" + (132 * times).toString(), "orders.produced_records=" + (8 * times).toString(),
  ];
  lines.sort();
  return lines.join(";") + "; errors= failures=0";
}

function fetchPartition(index: i32, error: i16, data: RecordsView | null): FetchResponse_PartitionData {
  const partition = new FetchResponse_PartitionData();
  partition.partitionIndex = index;
  partition.errorCode = error;
  partition.highWatermark = 99;
  partition.records = data;
  return partition;
}

/** Fills the fields later versions added, where `version` has them (the encoder refuses them elsewhere). */
function withLaterFields(partition: FetchResponse_PartitionData, version: i16): FetchResponse_PartitionData {
  if (version >= 11) partition.preferredReadReplica = 3;
  if (version >= 12) {
    partition.currentLeader.leaderId = 5;
    partition.currentLeader.leaderEpoch = 9;
  }
  return partition;
}

function abortedTransactions(partition: FetchResponse_PartitionData, aborted: i32): FetchResponse_PartitionData {
  const transactions = new Array<FetchResponse_AbortedTransaction>();
  for (let i = 0; i < aborted; i++) {
    const t = new FetchResponse_AbortedTransaction();
    t.producerId = 1000 + i;
    t.firstOffset = i;
    transactions.push(t);
  }
  partition.abortedTransactions = aborted < 0 ? null : transactions;
  return partition;
}

function fetchTopic(name: string, idHi: u64, idLo: u64, partitions: FetchResponse_PartitionData[]): FetchResponse_FetchableTopicResponse {
  const topic = new FetchResponse_FetchableTopicResponse();
  topic.topic = name;
  topic.topicId = new Uuid(idHi, idLo);
  topic.partitions = partitions;
  return topic;
}

// orders: p0 = 61+40 + 61 + 30 bytes of a cut batch (232 bytes, 3+5 records), p1 error 6
// with no records; audit.log-1: legacy messages v0 and v1 (2 records).
const TRUNCATED_TAIL: i32 = 30;

function sampleFetchBody(version: i16): ArrayBuffer {
  const response = new FetchResponse();
  response.throttleTimeMs = 7;
  if (version >= 7) {
    response.errorCode = 58;
    response.sessionId = 12;
  }
  response.responses = [
    fetchTopic("orders", ORDERS_ID_HI, ORDERS_ID_LO, [
      withLaterFields(abortedTransactions(fetchPartition(0, 0, records([batch(3, 40), batch(5, 0), batch(9, 50).slice(0, TRUNCATED_TAIL)])), 2), version),
      withLaterFields(abortedTransactions(fetchPartition(1, 6, null), -1), version),
    ]),
    fetchTopic("audit.log-1", AUDIT_ID_HI, AUDIT_ID_LO, [
      withLaterFields(abortedTransactions(fetchPartition(0, 0, records([legacyMessage(0, 5), legacyMessage(1, 0)])), 0), version),
    ]),
  ];
  if (version >= 16) {
    const node = new FetchResponse_NodeEndpoint();
    node.nodeId = 5;
    node.host = "broker-5";
    node.port = 9092;
    response.nodeEndpoints = [node];
  }
  if (version >= 4) {
    const w = new Writer();
    response.encode(w, version);
    expect(w.ok).toBe(true);
    return w.toArrayBuffer();
  }
  // Versions 0-3 predate the generated codec's range: written by hand.
  const w = new Writer();
  if (version >= 1) w.writeInt32(7);
  w.writeInt32(2);
  w.writeStringOf("orders", false);
  w.writeInt32(2);
  w.writeInt32(0); w.writeInt16(0); w.writeInt64(99);
  w.writeRecords(records([batch(3, 40), batch(5, 0), batch(9, 50).slice(0, TRUNCATED_TAIL)]), false);
  w.writeInt32(1); w.writeInt16(6); w.writeInt64(99);
  w.writeRecords(null, false);
  w.writeStringOf("audit.log-1", false);
  w.writeInt32(1);
  w.writeInt32(0); w.writeInt16(0); w.writeInt64(99);
  w.writeRecords(records([legacyMessage(0, 5), legacyMessage(1, 0)]), false);
  return w.toArrayBuffer();
}

/** A Fetch response frame: correlation id, header tags when flexible (one unknown tag), body. */
function sampleFetch(version: i16): ArrayBuffer {
  const header = new Writer();
  header.writeInt32(0x0c0ffee);
  if (version >= 12) {
    header.writeUnsignedVarint(1);
    header.writeUnsignedVarint(7);
    header.writeUnsignedVarint(3);
    header.writeInt8(1); header.writeInt8(2); header.writeInt8(3);
  }
  return frameOf(0, concat([header.toArrayBuffer(), sampleFetchBody(version)]));
}

function expectedFetch(version: i16, times: i32 = 1): string {
  const audit = version >= 13 ? UNKNOWN_TOPIC_ID_LABEL : "audit.log-1";
  const lines: string[] = [
    audit + ".fetched_bytes=" + ((legacyMessage(0, 5).byteLength + legacyMessage(1, 0).byteLength) * times).toString(),
    audit + ".fetched_records=" + (2 * times).toString(),
    "orders.fetched_bytes=" + ((101 + 61 + TRUNCATED_TAIL) * times).toString(), "orders.fetched_records=" + (8 * times).toString(),
  ];
  lines.sort();
  const errors: string[] = [];
  for (let i = 0; i < times; i++) {
    if (version >= 7) errors.push("1:58");
    errors.push("1:6");
  }
  return lines.join(";") + "; errors=" + errors.join(",") + " failures=0";
}

function everyByte(length: i32): i32[] {
  const cuts: i32[] = [];
  for (let i = 1; i < length; i++) cuts.push(i);
  return cuts;
}

// ---- the tests ----------------------------------------------------------------

const HEADER_BYTES: i32 = 20;

describe("ProduceRequestWalker", () => {
  it("counts bytes and records per topic in every version 0-13, whole, cut at every byte and byte by byte", () => {
    for (let version: i16 = 0; version <= 13; version++) {
      const frame = frameOf(HEADER_BYTES, sampleProduce(version));
      const stream = streamOf([frame, frame]);
      const expected = expectedProduce(version, 2);
      // Prefix ends at the body, inside it, and holds whole frames.
      expect(walkProduce(stream, version, HEADER_BYTES, HEADER_BYTES, [])).toBe(expected, "v" + version.toString());
      expect(walkProduce(stream, version, HEADER_BYTES, HEADER_BYTES + 13, [])).toBe(expected, "v" + version.toString());
      expect(walkProduce(stream, version, HEADER_BYTES, 4096, [])).toBe(expected, "v" + version.toString());
      for (let cut = 1; cut < stream.length; cut++) {
        expect(walkProduce(stream, version, HEADER_BYTES, HEADER_BYTES + 13, [cut])).toBe(expected, "v" + version.toString() + " cut " + cut.toString());
      }
      expect(walkProduce(stream, version, HEADER_BYTES, HEADER_BYTES, everyByte(stream.length))).toBe(expected, "v" + version.toString());
    }
  });

  it("counts legacy message sets one record per top-level message", () => {
    const request = new ProduceRequest();
    request.topicData = [produceTopic("legacy", 0, 0, [producePartition(0, records([legacyMessage(0, 3), legacyMessage(1, 9), legacyMessage(0, 0)]))])];
    const length = legacyMessage(0, 3).byteLength + legacyMessage(1, 9).byteLength + legacyMessage(0, 0).byteLength;
    const stream = streamOf([frameOf(HEADER_BYTES, encodeProduce(request, 3))]);
    expect(walkProduce(stream, 3, HEADER_BYTES, HEADER_BYTES, everyByte(stream.length)))
      .toBe("legacy.produced_bytes=" + length.toString() + ";legacy.produced_records=3; errors= failures=0");
  });

  it("names v13 topics by id only when the id is known", () => {
    const sink = new RecordingSink(new TopicLabels(10, null, new TopicNames(8)));
    const handler = new ProduceFrames(new ProduceRequestWalker(sink), 13, HEADER_BYTES);
    feed(new FrameScanner(MAX_FRAME, 64, handler), streamOf([frameOf(HEADER_BYTES, sampleProduce(13))]), []);
    expect(sink.summary()).toBe("unknown_topic_id.produced_bytes=293;unknown_topic_id.produced_records=15; errors= failures=0");
  });

  it("stops quietly on a frame cut anywhere inside what it walks, and walks the next frame afresh", () => {
    for (let version: i16 = 0; version <= 13; version++) {
      const body = sampleProduce(version);
      const good = frameOf(HEADER_BYTES, body);
      // Flexible versions end with the top-level tag count, which the walk does not need.
      const walkedEnd = body.byteLength - (version >= 9 ? 1 : 0);
      for (let cut = 0; cut < walkedEnd; cut++) {
        const sink = new RecordingSink(labels());
        const handler = new ProduceFrames(new ProduceRequestWalker(sink), version, HEADER_BYTES);
        const scanner = new FrameScanner(MAX_FRAME, HEADER_BYTES + 5, handler);
        feed(scanner, streamOf([frameOf(HEADER_BYTES, body.slice(0, cut))]), []);
        expect(sink.failures).toBe(1, "v" + version.toString() + " cut at " + cut.toString());
        sink.totals.clear();
        sink.failures = 0;
        feed(scanner, streamOf([good]), []);
        expect(sink.summary()).toBe(expectedProduce(version));
      }
    }
  });

  it("never traps on any single corrupted byte, and framing carries on", () => {
    for (let version: i16 = 0; version <= 13; version += 1) {
      const good = frameOf(HEADER_BYTES, sampleProduce(version));
      for (let at = 4 + HEADER_BYTES; at < good.byteLength; at++) {
        for (let flip = 0; flip < 2; flip++) {
          const bad = good.slice(0);
          store<u8>(changetype<usize>(bad) + <usize>at, flip == 0 ? 0xff : load<u8>(changetype<usize>(bad) + <usize>at) ^ 0x80);
          const sink = new RecordingSink(labels());
          const scanner = new FrameScanner(MAX_FRAME, HEADER_BYTES, new ProduceFrames(new ProduceRequestWalker(sink), version, HEADER_BYTES));
          feed(scanner, streamOf([bad]), [at]);
          sink.totals.clear();
          sink.failures = 0;
          feed(scanner, streamOf([good]), []);
          expect(sink.summary()).toBe(expectedProduce(version));
        }
      }
    }
  });

  it("rejects a topic name longer than any legal one, a negative count and records longer than the frame", () => {
    const cases: ArrayBuffer[] = [];
    const longName = new Writer();
    longName.writeInt16(-1); longName.writeInt16(1); longName.writeInt32(1000); longName.writeInt32(1);
    longName.writeInt16(300);
    for (let i = 0; i < 300; i++) longName.writeInt8(0x61);
    longName.writeInt32(0);
    cases.push(longName.toArrayBuffer());
    const negative = new Writer();
    negative.writeInt16(-1); negative.writeInt16(1); negative.writeInt32(1000); negative.writeInt32(-5);
    cases.push(negative.toArrayBuffer());
    const overlong = new Writer();
    overlong.writeInt16(-1); overlong.writeInt16(1); overlong.writeInt32(1000); overlong.writeInt32(1);
    overlong.writeStringOf("t", false); overlong.writeInt32(1); overlong.writeInt32(0); overlong.writeInt32(1 << 20);
    cases.push(overlong.toArrayBuffer());
    for (let i = 0; i < cases.length; i++) {
      const sink = new RecordingSink(labels());
      feed(new FrameScanner(MAX_FRAME, HEADER_BYTES, new ProduceFrames(new ProduceRequestWalker(sink), 3, HEADER_BYTES)),
        streamOf([frameOf(HEADER_BYTES, cases[i])]), []);
      expect(sink.failures).toBe(1, "case " + i.toString());
    }
  });
});

describe("FetchResponseWalker", () => {
  it("counts bytes, records and error codes in every version 0-18, whole, cut at every byte and byte by byte", () => {
    for (let version: i16 = 0; version <= 18; version++) {
      const frame = sampleFetch(version);
      const stream = streamOf([frame, frame]);
      const expected = expectedFetch(version, 2);
      expect(walkFetch(stream, version, 8, [])).toBe(expected, "v" + version.toString());
      expect(walkFetch(stream, version, 4, [])).toBe(expected, "v" + version.toString());
      expect(walkFetch(stream, version, 4096, [])).toBe(expected, "v" + version.toString());
      for (let cut = 1; cut < stream.length; cut++) {
        expect(walkFetch(stream, version, 8, [cut])).toBe(expected, "v" + version.toString() + " cut " + cut.toString());
      }
      expect(walkFetch(stream, version, 8, everyByte(stream.length))).toBe(expected, "v" + version.toString());
    }
  });

  it("counts v13+ topics under their names once Metadata has told their ids", () => {
    const names = new TopicNames(8);
    names.learn(ORDERS_ID_HI, ORDERS_ID_LO, "orders");
    names.learn(AUDIT_ID_HI, AUDIT_ID_LO, "audit.log-1");
    const sink = new RecordingSink(new TopicLabels(10, null, names));
    feed(new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), 17)), streamOf([sampleFetch(17)]), []);
    expect(sink.summary()).toBe(expectedFetch(12));
  });

  it("never traps on truncated or corrupted responses, and walks the next one afresh", () => {
    for (let version: i16 = 0; version <= 18; version += 1) {
      const good = sampleFetch(version);
      for (let at = 8; at < good.byteLength; at++) {
        const bad = good.slice(0);
        store<u8>(changetype<usize>(bad) + <usize>at, load<u8>(changetype<usize>(bad) + <usize>at) ^ 0xff);
        const cut = good.slice(0, at);
        putInt32(cut, 0, at - 4);
        const sink = new RecordingSink(labels());
        const scanner = new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), version));
        feed(scanner, streamOf([bad, cut]), [at, at + 1]);
        sink.totals.clear();
        sink.errors = [];
        sink.failures = 0;
        feed(scanner, streamOf([good]), []);
        expect(sink.summary()).toBe(expectedFetch(version));
      }
    }
  });
});

describe("TopicLabels", () => {
  it("gives the first max labels topics their own label and the rest the overflow label", () => {
    const topics = new TopicLabels(2);
    const a = topics.labelOfString("alpha");
    const b = topics.labelOfString("beta.gamma");
    const c = topics.labelOfString("delta");
    expect(topics.labelName(a)).toBe("alpha");
    expect(topics.labelName(b)).toBe("beta.gamma");
    expect(topics.labelName(c)).toBe(OVERFLOW_TOPIC_LABEL);
    expect(topics.labelOfString("alpha")).toBe(a);
    expect(topics.labelCount).toBe(2);
  });

  it("labels only allowlisted topics when an allowlist is given", () => {
    const topics = new TopicLabels(5, ["payments", "orders"]);
    expect(topics.labelName(topics.labelOfString("orders"))).toBe("orders");
    expect(topics.labelName(topics.labelOfString("other-topic"))).toBe(OVERFLOW_TOPIC_LABEL);
    const bytes = String.UTF8.encode("payments");
    expect(topics.labelName(topics.labelOfBytes(changetype<usize>(bytes), bytes.byteLength))).toBe("payments");
  });

  it("sends names that are not legal topic names to the overflow label, and is off at 0", () => {
    const topics = new TopicLabels(5);
    const bytes = String.UTF8.encode("bad/name");
    expect(topics.labelName(topics.labelOfBytes(changetype<usize>(bytes), bytes.byteLength))).toBe(OVERFLOW_TOPIC_LABEL);
    expect(topics.labelName(topics.labelOfString(".."))).toBe(OVERFLOW_TOPIC_LABEL);
    expect(topics.labelCount).toBe(0);
    expect(new TopicLabels(0).labelOfString("alpha")).toBe(NO_TOPIC_LABEL);
  });

  it("resolves topic ids it learned, and only those", () => {
    const names = new TopicNames(2);
    names.learn(1, 2, "one");
    names.learn(3, 4, "two");
    names.learn(5, 6, "three");
    names.learn(0, 0, "zero");
    expect(names.size).toBe(2);
    const topics = new TopicLabels(5, null, names);
    expect(topics.labelName(topics.labelOfId(1, 2))).toBe("one");
    expect(topics.labelName(topics.labelOfId(5, 6))).toBe(UNKNOWN_TOPIC_ID_LABEL);
    expect(topics.labelName(topics.labelOfId(0, 0))).toBe(UNKNOWN_TOPIC_ID_LABEL);
  });
});

// ---- memory -----------------------------------------------------------------------

/**
 * A flexible Fetch v12 response of `batches` batches of `batchBytes`, generated on the
 * fly so that the test holds none of it either.
 */
class GeneratedFetch extends ByteSource {
  head: ArrayBuffer = new ArrayBuffer(0);
  batchTemplate: ArrayBuffer = new ArrayBuffer(0);
  tail: ArrayBuffer = new ArrayBuffer(0);
  total: i64 = 0;
  readStart: i64 = 0;

  constructor(public batches: i32, public batchBytes: i32, public recordsPerBatch: i32) {
    super();
    this.batchTemplate = batch(recordsPerBatch, batchBytes - 61);
    const recordsLength = batches * batchBytes;
    const w = new Writer();
    w.writeInt32(0); // frame size, patched below
    w.writeInt32(42); // correlation id
    w.writeUnsignedVarint(0); // header tags
    w.writeInt32(0); w.writeInt16(0); w.writeInt32(0);
    w.writeUnsignedVarint(2); // one topic
    w.writeStringOf("big", true);
    w.writeUnsignedVarint(2); // one partition
    w.writeInt32(0); w.writeInt16(0); w.writeInt64(1); w.writeInt64(1); w.writeInt64(0);
    w.writeUnsignedVarint(0); // null aborted transactions
    w.writeInt32(-1);
    w.writeUnsignedVarint(<u32>recordsLength + 1);
    const head = w.toArrayBuffer();
    const tail = new ArrayBuffer(3); // partition tags, topic tags, top-level tags
    this.total = <i64>head.byteLength + <i64>recordsLength + 3;
    putInt32(head, 0, <i32>(this.total - 4));
    this.head = head;
    this.tail = tail;
  }

  copy(offset: u32, length: u32, dest: usize): bool {
    for (let i: u32 = 0; i < length; i++) store<u8>(dest + <usize>i, this.byteAt(this.readStart + <i64>(offset + i)));
    return true;
  }

  byteAt(at: i64): u8 {
    const headLength = <i64>this.head.byteLength;
    if (at < headLength) return load<u8>(changetype<usize>(this.head) + <usize>at);
    const inRecords = at - headLength;
    const recordsLength = <i64>this.batches * this.batchBytes;
    if (inRecords < recordsLength) return load<u8>(changetype<usize>(this.batchTemplate) + <usize>(inRecords % this.batchBytes));
    return 0;
  }
}

describe("walker memory", () => {
  it("streams 48 MB Fetch responses in 64 KB reads without memory growing", () => {
    const sink = new CountingSink(new TopicLabels(10, null, new TopicNames(8)));
    const scanner = new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), 12));
    const source = new GeneratedFetch(3072, 16384, 100);
    let pagesBefore = 0;
    for (let round = 0; round < 3; round++) {
      // The first walk allocates the scanner's walk scratch; nothing after it may allocate.
      if (round == 1) pagesBefore = memory.size();
      source.readStart = 0;
      while (source.readStart < source.total) {
        const length = <u32>min<i64>(65536, source.total - source.readStart);
        scanner.feed(source, length);
        source.readStart += length;
      }
    }
    expect(scanner.error).toBe(FramingError.None);
    expect(scanner.framesCompleted).toBe(3);
    expect(sink.bytes).toBe(3 * 3072 * 16384);
    expect(sink.records).toBe(3 * 3072 * 100);
    expect(sink.failures).toBe(0);
    expect(memory.size()).toBe(pagesBefore);
  });

  it("keeps memory flat over 20,000 Produce and Fetch frames", () => {
    const sink = new CountingSink(labels());
    const produce = new FrameScanner(MAX_FRAME, 512, new ProduceFrames(new ProduceRequestWalker(sink), 9, HEADER_BYTES));
    const fetch = new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), 12));
    const produceStream = streamOf([frameOf(HEADER_BYTES, sampleProduce(9))]);
    const fetchStream = streamOf([sampleFetch(12)]);
    const produceSlice = new StreamSlice(produceStream, 0);
    const fetchSlice = new StreamSlice(fetchStream, 0);
    produce.feed(produceSlice, <u32>produceStream.length);
    fetch.feed(fetchSlice, <u32>fetchStream.length);
    const pagesBefore = memory.size();
    for (let i = 0; i < 10000; i++) {
      produce.feed(produceSlice, <u32>produceStream.length);
      fetch.feed(fetchSlice, <u32>fetchStream.length);
    }
    expect(memory.size()).toBe(pagesBefore);
    expect(sink.bytes).toBe(10001 * (293 + 192 + legacyMessage(0, 5).byteLength + legacyMessage(1, 0).byteLength));
    expect(sink.records).toBe(10001 * (15 + 8 + 2));
    expect(sink.failures).toBe(0);
  });
});
