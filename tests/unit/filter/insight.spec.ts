// Wire-level insight: batches by compression codec and their record counts from Produce
// requests, fetched batch timestamps and the Fetch throttle time, through the real
// scanner and walkers whole and cut at every byte; the client id labels (cap,
// allowlist, overflow, text) and the insight configuration fields; memory stays flat.
import { ByteSource, FrameHandler, FrameScanner, FrameWalker, FramingError } from "../../../assembly/framing";
import { ProduceRequestWalker } from "../../../assembly/walkers/produce";
import { FetchResponseWalker } from "../../../assembly/walkers/fetch";
import { CODEC_NAMES, UNKNOWN_CODEC, WalkSink, codecOf, isLogAppendTime } from "../../../assembly/walkers/sink";
import { TopicLabels, TopicNames, TopicStat } from "../../../assembly/topics";
import { ClientIdLabels, NO_CLIENT_ID_LABEL, OVERFLOW_CLIENT_ID_LABEL } from "../../../assembly/client-ids";
import { parseFilterConfig } from "../../../assembly/config/filter-config";
import { Writer } from "../../../assembly/codec/writer";
import { RecordsView, Uuid } from "../../../assembly/codec/types";
import { ProduceRequest, ProduceRequest_PartitionProduceData, ProduceRequest_TopicProduceData } from "../../../assembly/codec/generated/ProduceRequest";
import { FetchResponse, FetchResponse_FetchableTopicResponse, FetchResponse_PartitionData } from "../../../assembly/codec/generated/FetchResponse";
import { ProduceResponse } from "../../../assembly/codec/generated/ProduceResponse";
import { Reader } from "../../../assembly/codec/reader";
import { ErrorCodeSink } from "../../../assembly/codec/message";
import { collectResponseErrorCodes } from "../../../assembly/codec/generated/index";
import { StreamSlice, feedCut } from "../support/stream-slice";

const MAX_FRAME: i32 = 1 << 30;
const HEADER_BYTES: i32 = 20;

class InsightSink extends WalkSink {
  lines: string[] = [];
  batchSizes: i32 = 0;
  ages: i64 = 0;
  addTopic(label: i32, stat: TopicStat, delta: i64): void {}
  errorCode(apiKey: i32, code: i16): void {}
  walkFailed(): void { this.lines.push("failed"); }
  producedBatches(label: i32, codec: i32, batches: i64, bytes: i64): void {
    const codecName = codec == UNKNOWN_CODEC ? "unknown" : CODEC_NAMES[codec];
    this.lines.push(this.labels.labelName(label) + "/" + codecName + " batches=" + batches.toString() + " bytes=" + bytes.toString());
  }
  producedBatch(label: i32, records: i32): void {
    this.lines.push(this.labels.labelName(label) + " batch of " + records.toString());
  }
  fetchedBatch(label: i32, attributes: i16, maxTimestamp: i64): void {
    this.lines.push(this.labels.labelName(label) + " fetched " + CODEC_NAMES[codecOf(attributes)] +
      (isLogAppendTime(attributes) ? " append " : " create ") + maxTimestamp.toString());
  }
  throttleTime(apiKey: i32, ms: i32): void {
    this.lines.push("throttle " + apiKey.toString() + " " + ms.toString());
  }
  summary(): string {
    return this.lines.join("; ");
  }
}

/** Counts without allocating, for the memory test. */
class QuietSink extends WalkSink {
  batches: i64 = 0;
  ages: i64 = 0;
  addTopic(label: i32, stat: TopicStat, delta: i64): void {}
  errorCode(apiKey: i32, code: i16): void {}
  walkFailed(): void {}
  producedBatches(label: i32, codec: i32, batches: i64, bytes: i64): void { this.batches += batches; }
  fetchedBatch(label: i32, attributes: i16, maxTimestamp: i64): void { this.ages += maxTimestamp; }
}

class ProduceFrames extends FrameHandler {
  constructor(public walker: ProduceRequestWalker, public version: i16) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void { this.walker.prepare(this.version, HEADER_BYTES); }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

class FetchFrames extends FrameHandler {
  constructor(public walker: FetchResponseWalker, public version: i16) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void { this.walker.prepare(this.version, true); }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

function putInt16(buffer: ArrayBuffer, at: i32, value: i16): void {
  store<i16>(changetype<usize>(buffer) + <usize>at, bswap<i16>(value));
}
function putInt32(buffer: ArrayBuffer, at: i32, value: i32): void {
  store<i32>(changetype<usize>(buffer) + <usize>at, bswap<i32>(value));
}
function putInt64(buffer: ArrayBuffer, at: i32, value: i64): void {
  store<i64>(changetype<usize>(buffer) + <usize>at, bswap<i64>(value));
}

/** A v2 batch header (DefaultRecordBatch layout) with `payload` bytes after it. */
function batch(records: i32, payload: i32, attributes: i16, maxTimestamp: i64): ArrayBuffer {
  const out = new ArrayBuffer(61 + payload);
  for (let i = 0; i < out.byteLength; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>(0x5a ^ i));
  putInt64(out, 0, 0);
  putInt32(out, 8, 49 + payload);
  store<u8>(changetype<usize>(out) + 16, 2);
  putInt16(out, 21, attributes);
  putInt64(out, 27, maxTimestamp - 5);
  putInt64(out, 35, maxTimestamp);
  putInt32(out, 57, records);
  return out;
}

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

function frameOf(header: i32, body: ArrayBuffer): Uint8Array {
  const out = new ArrayBuffer(4 + header + body.byteLength);
  putInt32(out, 0, header + body.byteLength);
  memory.copy(changetype<usize>(out) + 4 + <usize>header, changetype<usize>(body), <usize>body.byteLength);
  return Uint8Array.wrap(out);
}

function producePartition(index: i32, batches: ArrayBuffer[]): ProduceRequest_PartitionProduceData {
  const partition = new ProduceRequest_PartitionProduceData();
  partition.index = index;
  partition.records = RecordsView.of(concat(batches));
  return partition;
}

const GZIP: i16 = 1;
const SNAPPY: i16 = 2;
const LZ4: i16 = 3;
const ZSTD: i16 = 4;
/** Timestamp type bit (LogAppendTime), and a transactional control bit the codec must ignore. */
const LOG_APPEND_TIME: i16 = 0x8;
const TRANSACTIONAL: i16 = 0x10;

/** orders: two partitions, gzip and zstd batches; logs: one uncompressed, one with codec id 7. */
function sampleProduce(version: i16): Uint8Array {
  const request = new ProduceRequest();
  request.acks = 1;
  request.timeoutMs = 1000;
  const orders = new ProduceRequest_TopicProduceData();
  orders.name = "orders";
  orders.partitionData = [
    producePartition(0, [batch(3, 10, GZIP, 0), batch(40, 0, ZSTD | TRANSACTIONAL, 0)]),
    producePartition(1, [batch(1, 0, GZIP, 0)]),
  ];
  const logs = new ProduceRequest_TopicProduceData();
  logs.name = "logs";
  logs.partitionData = [producePartition(0, [batch(2, 0, 0, 0), batch(5, 0, 7, 0)])];
  request.topicData = [orders, logs];
  const w = new Writer();
  request.encode(w, version);
  expect(w.ok).toBe(true);
  return frameOf(HEADER_BYTES, w.toArrayBuffer());
}

const PRODUCE_EXPECTED = "orders batch of 3; orders batch of 40; orders batch of 1; " +
  "orders/gzip batches=2 bytes=132; orders/zstd batches=1 bytes=61; " +
  "logs batch of 2; logs batch of 5; logs/none batches=1 bytes=61; logs/unknown batches=1 bytes=61";

function fetchPartition(index: i32, batches: ArrayBuffer[]): FetchResponse_PartitionData {
  const partition = new FetchResponse_PartitionData();
  partition.partitionIndex = index;
  partition.highWatermark = 500;
  partition.records = RecordsView.of(concat(batches));
  return partition;
}

function sampleFetch(version: i16): Uint8Array {
  const response = new FetchResponse();
  response.throttleTimeMs = 1234;
  const topic = new FetchResponse_FetchableTopicResponse();
  topic.topic = "orders";
  topic.topicId = new Uuid(1, 2);
  // The last batch is cut by the end of the records: it is not reported.
  topic.partitions = [fetchPartition(0, [batch(3, 20, LZ4, 1700000000123), batch(2, 0, SNAPPY | LOG_APPEND_TIME, 1700000009999),
    batch(9, 40, 0, 1).slice(0, 70)])];
  response.responses = [topic];
  const w = new Writer();
  w.writeInt32(77);
  if (version >= 12) w.writeUnsignedVarint(0);
  response.encode(w, version);
  expect(w.ok).toBe(true);
  const body = w.toArrayBuffer();
  const out = new ArrayBuffer(4 + body.byteLength);
  putInt32(out, 0, body.byteLength);
  memory.copy(changetype<usize>(out) + 4, changetype<usize>(body), <usize>body.byteLength);
  return Uint8Array.wrap(out);
}

const FETCH_EXPECTED = "throttle 1 1234; orders fetched lz4 create 1700000000123; orders fetched snappy append 1700000009999";

function walk(scanner: FrameScanner, stream: Uint8Array, cuts: i32[]): void {
  feedCut(scanner, stream, cuts);
  expect(scanner.error).toBe(FramingError.None);
  expect(scanner.midFrame).toBe(false);
}

function produceSummary(version: i16, cuts: i32[]): string {
  const sink = new InsightSink(new TopicLabels(10, null, new TopicNames(8)));
  walk(new FrameScanner(MAX_FRAME, 512, new ProduceFrames(new ProduceRequestWalker(sink), version)), sampleProduce(version), cuts);
  return sink.summary();
}

function fetchSummary(version: i16, cuts: i32[]): string {
  const names = new TopicNames(8);
  names.learn(1, 2, "orders");
  const sink = new InsightSink(new TopicLabels(10, null, names));
  walk(new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), version)), sampleFetch(version), cuts);
  return sink.summary();
}

describe("produce batches by codec", () => {
  it("reports each batch's record count, and batches and bytes per (topic, codec), at v3, v9 and v12", () => {
    expect(produceSummary(3, [])).toBe(PRODUCE_EXPECTED);
    expect(produceSummary(9, [])).toBe(PRODUCE_EXPECTED);
    expect(produceSummary(12, [])).toBe(PRODUCE_EXPECTED);
  });

  it("reports the same whatever single byte the request is cut at", () => {
    const length = sampleProduce(9).length;
    for (let cut = 1; cut < length; cut++) expect(produceSummary(9, [cut])).toBe(PRODUCE_EXPECTED, "cut at " + cut.toString());
  });

  it("reports batches with no topic label when per-topic stats are off", () => {
    const sink = new InsightSink(new TopicLabels(0));
    walk(new FrameScanner(MAX_FRAME, 512, new ProduceFrames(new ProduceRequestWalker(sink), 9)), sampleProduce(9), []);
    expect(sink.summary()).toBe(PRODUCE_EXPECTED.replaceAll("orders", "").replaceAll("logs", ""));
  });
});

describe("fetched batches", () => {
  it("reports the throttle time and each complete batch's codec, timestamp type and max timestamp, at v4, v12 and v16", () => {
    expect(fetchSummary(4, [])).toBe(FETCH_EXPECTED);
    expect(fetchSummary(12, [])).toBe(FETCH_EXPECTED);
    expect(fetchSummary(16, [])).toBe(FETCH_EXPECTED);
  });

  it("reports the same whatever single byte the response is cut at", () => {
    const length = sampleFetch(13).length;
    for (let cut = 1; cut < length; cut++) expect(fetchSummary(13, [cut])).toBe(FETCH_EXPECTED, "cut at " + cut.toString());
  });

  it("keeps memory flat over 20,000 frames", () => {
    const sink = new QuietSink(new TopicLabels(10, null, new TopicNames(8)));
    const produce = new FrameScanner(MAX_FRAME, 512, new ProduceFrames(new ProduceRequestWalker(sink), 9));
    const fetch = new FrameScanner(MAX_FRAME, 8, new FetchFrames(new FetchResponseWalker(sink), 12));
    const produceStream = sampleProduce(9);
    const fetchStream = sampleFetch(12);
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
    expect(sink.batches).toBe(10001 * 5);
    expect(sink.ages).toBe(10001 * (1700000000123 + 1700000009999));
  });
});

class ThrottleSink extends ErrorCodeSink {
  throttle: i32 = -1;
  errorCode(code: i16): void {}
  throttleTime(ms: i32): void { this.throttle = ms; }
}

describe("throttle time of other responses", () => {
  it("is handed over by the generated error-code walk and by collectErrorCodes, at the field's place", () => {
    for (let version: i16 = 3; version <= 13; version++) {
      const response = new ProduceResponse();
      response.throttleTimeMs = 250 + version;
      const w = new Writer();
      response.encode(w, version);
      expect(w.ok).toBe(true);
      const body = w.toArrayBuffer();
      const walked = new ThrottleSink();
      const reader = new Reader();
      reader.reset(body, 0, body.byteLength);
      expect(collectResponseErrorCodes(0, version, reader, walked)).toBe(true);
      expect(walked.throttle).toBe(250 + version);
      const collected = new ThrottleSink();
      response.collectErrorCodes(collected);
      expect(collected.throttle).toBe(250 + version);
    }
  });
});

function labelOf(labels: ClientIdLabels, id: string): string {
  const bytes = String.UTF8.encode(id);
  return labels.labelName(labels.labelOfBytes(changetype<usize>(bytes), bytes.byteLength));
}

describe("client id labels", () => {
  it("labels the first ids up to the cap, the rest as _other, and a missing id as _none", () => {
    const labels = new ClientIdLabels(2);
    expect(labelOf(labels, "producer-1")).toBe("producer-1");
    expect(labelOf(labels, "rdkafka")).toBe("rdkafka");
    expect(labelOf(labels, "late")).toBe(OVERFLOW_CLIENT_ID_LABEL);
    expect(labelOf(labels, "producer-1")).toBe("producer-1");
    expect(labels.labelName(labels.labelOfBytes(0, -1))).toBe(NO_CLIENT_ID_LABEL);
    expect(labels.labelName(labels.labelOfBytes(0, 0))).toBe(NO_CLIENT_ID_LABEL);
    expect(labels.labelCount).toBe(2);
  });

  it("labels only allowlisted ids, and makes any id one safe stat-name segment", () => {
    const labels = new ClientIdLabels(5, ["app.v1 (eu)", "batch"]);
    expect(labelOf(labels, "app.v1 (eu)")).toBe("app_v1__eu_");
    expect(labelOf(labels, "batch")).toBe("batch");
    expect(labelOf(labels, "other-app")).toBe(OVERFLOW_CLIENT_ID_LABEL);
    const long = new ClientIdLabels(1);
    expect(labelOf(long, "x".repeat(300)).length).toBe(64);
  });

  it("looks known ids up without allocating, with 10,000 labels", () => {
    const labels = new ClientIdLabels(10000);
    const ids: ArrayBuffer[] = [];
    for (let i = 0; i < 10000; i++) ids.push(String.UTF8.encode("consumer-group-" + i.toString()));
    for (let i = 0; i < 10000; i++) labels.labelOfBytes(changetype<usize>(ids[i]), ids[i].byteLength);
    expect(labels.labelCount).toBe(10000);
    const pagesBefore = memory.size();
    let sum: i64 = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10000; i++) sum += labels.labelOfBytes(changetype<usize>(ids[i]), ids[i].byteLength);
    }
    expect(memory.size()).toBe(pagesBefore);
    expect(sum > 0).toBe(true);
  });
});

describe("insight configuration", () => {
  it("has cheap counters on and histograms off by default", () => {
    const config = parseFilterConfig("{}").config!;
    expect(config.insight.compression).toBe(true);
    expect(config.insight.throttle).toBe(true);
    expect(config.insight.batchSizeHistograms).toBe(false);
    expect(config.insight.recordAge).toBe(false);
    expect(config.insight.maxClientIdLabels).toBe(100);
    expect(config.insight.clientIdLabels).toBeNull();
  });

  it("reads every field", () => {
    const config = parseFilterConfig('{"compression_stats":false,"batch_size_histograms":true,"record_age":true,' +
      '"throttle_stats":false,"max_client_id_labels":3,"client_id_labels":["a","b","a"]}').config!;
    expect(config.insight.compression).toBe(false);
    expect(config.insight.batchSizeHistograms).toBe(true);
    expect(config.insight.recordAge).toBe(true);
    expect(config.insight.throttle).toBe(false);
    expect(config.insight.maxClientIdLabels).toBe(3);
    expect(config.insight.clientIdLabels!.join(",")).toBe("a,b");
  });

  it("rejects bad values naming the field", () => {
    expect(parseFilterConfig('{"record_age":1}').error).toBe('field "record_age": must be true or false, got a number');
    expect(parseFilterConfig('{"compression_stats":"yes"}').error).toBe('field "compression_stats": must be true or false, got a string');
    expect(parseFilterConfig('{"max_client_id_labels":10001}').error).toBe('field "max_client_id_labels": must be an integer from 0 to 10000');
    expect(parseFilterConfig('{"client_id_labels":"a"}').error).toBe('field "client_id_labels": must be an array of client ids, got a string');
    expect(parseFilterConfig('{"topic_labels":{}}').error).toBe('field "topic_labels": must be an array of topic names, got an object');
    expect(parseFilterConfig('{"client_id_labels":[""]}').error)
      .toBe('field "client_id_labels[0]": must be a non-empty string of at most 255 bytes');
    expect(parseFilterConfig('{"max_client_id_labels":1,"client_id_labels":["a","b"]}').error)
      .toBe('field "client_id_labels[1]": one client id more than max_client_id_labels (1) allows');
  });
});
