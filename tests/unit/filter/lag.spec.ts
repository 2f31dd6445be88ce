// Consumer lag: the Fetch request walker (isolation level, session epoch, FetchOffset
// per partition) through the real scanner at every version, whole and cut at every
// byte; lag gauges from requests and responses (max and sum, read_committed, group
// ties by client id, several connections, expiry); the partition cap; and flat memory
// with 10,000 topics.
import { ByteSource, FrameHandler, FrameScanner, FrameWalker, FramingError } from "../../../assembly/framing";
import { FetchRequestSink, FetchRequestWalker } from "../../../assembly/walkers/fetch-request";
import { ConnectionLag, ConsumerBy, ConsumerLagTable, LagGauges, LagOptions, SharedTies } from "../../../assembly/lag/consumer-lag";
import { TopicLabels, TopicNames } from "../../../assembly/topics";
import { Writer } from "../../../assembly/codec/writer";
import { Uuid } from "../../../assembly/codec/types";
import { FetchRequest, FetchRequest_FetchPartition, FetchRequest_FetchTopic } from "../../../assembly/codec/generated/FetchRequest";
import { parseFilterConfig } from "../../../assembly/config/filter-config";
import { StreamSlice, feedCut } from "../support/stream-slice";

const MAX_FRAME: i32 = 1 << 30;
const HEADER_BYTES: i32 = 24;

class RecordingRequestSink extends FetchRequestSink {
  lines: string[] = [];
  fetchStarted(readCommitted: bool, full: bool): void {
    this.lines.push((readCommitted ? "committed" : "uncommitted") + (full ? " full" : " incremental"));
  }
  fetchOffset(label: i32, topicKeyHi: u64, topicKeyLo: u64, partition: i32, offset: i64): void {
    this.lines.push(this.labels.labelName(label) + "/" + partition.toString() + "@" + offset.toString());
  }
  walkFailed(): void { this.lines.push("failed"); }
}

class FetchRequestFrames extends FrameHandler {
  constructor(public walker: FetchRequestWalker, public version: i16) { super(); }
  onFrameStart(frameSize: i32, frame: ArrayBuffer, prefixStart: i32, prefixEnd: i32): void { this.walker.prepare(this.version, HEADER_BYTES); }
  walkerFor(frameSize: i32): FrameWalker | null { return this.walker; }
  onFrameEnd(frameSize: i32): void {}
}

function partitionOf(index: i32, offset: i64): FetchRequest_FetchPartition {
  const p = new FetchRequest_FetchPartition();
  p.partition = index;
  p.fetchOffset = offset;
  p.currentLeaderEpoch = 3;
  p.logStartOffset = 7;
  p.partitionMaxBytes = 1048576;
  return p;
}

function sampleRequest(version: i16, isolation: i8, epoch: i32): Uint8Array {
  const request = new FetchRequest();
  request.maxWaitMs = 500;
  request.minBytes = 1;
  request.isolationLevel = isolation;
  request.sessionId = version >= 7 ? 99 : 0;
  request.sessionEpoch = version >= 7 ? epoch : -1;
  if (version >= 15) request.replicaId = -1;
  const orders = new FetchRequest_FetchTopic();
  orders.topic = "orders";
  orders.topicId = new Uuid(1, 2);
  orders.partitions = [partitionOf(0, 100), partitionOf(1, 0x123456789)];
  const logs = new FetchRequest_FetchTopic();
  logs.topic = "logs.v1";
  logs.topicId = new Uuid(3, 4);
  logs.partitions = [partitionOf(5, 42)];
  request.topics = [orders, logs];
  if (version >= 11) request.rackId = "rack-a";
  const w = new Writer();
  request.encode(w, version);
  expect(w.ok).toBe(true);
  const body = w.toArrayBuffer();
  const out = new ArrayBuffer(4 + HEADER_BYTES + body.byteLength);
  store<i32>(changetype<usize>(out), bswap<i32>(HEADER_BYTES + body.byteLength));
  memory.copy(changetype<usize>(out) + 4 + <usize>HEADER_BYTES, changetype<usize>(body), <usize>body.byteLength);
  return Uint8Array.wrap(out);
}

function names(): TopicNames {
  const known = new TopicNames(8);
  known.learn(1, 2, "orders");
  known.learn(3, 4, "logs.v1");
  return known;
}

function walkRequest(version: i16, isolation: i8, epoch: i32, cuts: i32[]): string {
  const sink = new RecordingRequestSink(new TopicLabels(10, null, names()));
  const scanner = new FrameScanner(MAX_FRAME, 512, new FetchRequestFrames(new FetchRequestWalker(sink), version));
  const stream = sampleRequest(version, isolation, epoch);
  feedCut(scanner, stream, cuts);
  expect(scanner.error).toBe(FramingError.None);
  return sink.lines.join("; ");
}

const OFFSETS = "orders/0@100; orders/1@4886718345; logs.v1/5@42";

describe("Fetch request walker", () => {
  it("reads the isolation level, the session epoch and every FetchOffset at every version 4-18", () => {
    for (let version: i16 = 4; version <= 18; version++) {
      const full = version >= 7 ? "uncommitted incremental; " : "uncommitted full; ";
      expect(walkRequest(version, 0, 5, [])).toBe(full + OFFSETS, "v" + version.toString());
      expect(walkRequest(version, 1, 0, [])).toBe("committed full; " + OFFSETS, "v" + version.toString());
    }
  });

  it("reads the same whatever single byte the request is cut at", () => {
    for (let version: i16 = 11; version <= 13; version++) {
      const length = sampleRequest(version, 0, 0).length;
      for (let cut = 1; cut < length; cut++) {
        expect(walkRequest(version, 0, 0, [cut])).toBe("uncommitted full; " + OFFSETS, "v" + version.toString() + " cut " + cut.toString());
      }
    }
  });
});

class RecordingGauges extends LagGauges {
  names: string[] = [];
  values: i64[] = [];
  define(by: ConsumerBy, consumer: string, topicLabel: i32): StaticArray<u32> {
    const base = (by == ConsumerBy.Group ? "group:" : "client:") + consumer + "/" + topicLabel.toString();
    const ids = new StaticArray<u32>(2);
    ids[0] = this.names.length;
    this.names.push(base + " max");
    this.values.push(0);
    ids[1] = this.names.length;
    this.names.push(base + " sum");
    this.values.push(0);
    return ids;
  }
  adjust(id: u32, delta: i64): void {
    this.values[id] += delta;
  }
  setMax(id: u32, max: i64): void {
    this.values[id] = max;
  }
  refreshed: i32 = 0;
  refreshMax(id: u32, max: i64, nowMs: i64): void {
    expect(this.values[id]).toBe(max, "a refresh writes the max the table last set");
    this.refreshed++;
  }
  /** Non-zero gauges, sorted. */
  summary(): string {
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.values[i] != 0) out.push(this.names[i] + "=" + this.values[i].toString());
    out.sort();
    return out.join("; ");
  }
}

/** Shared data between two tables, as proxy-wasm shared data is between VMs. */
class MapTies extends SharedTies {
  store: Map<string, ArrayBuffer> = new Map<string, ArrayBuffer>();
  publishes: i32 = 0;
  lookups: i32 = 0;
  publish(clientId: usize, clientIdLength: i32, groupId: usize, groupIdLength: i32): void {
    this.publishes++;
    const value = new ArrayBuffer(groupIdLength);
    memory.copy(changetype<usize>(value), groupId, <usize>groupIdLength);
    this.store.set(String.UTF8.decodeUnsafe(clientId, <usize>clientIdLength), value);
  }
  lookup(clientId: usize, clientIdLength: i32): ArrayBuffer | null {
    this.lookups++;
    const key = String.UTF8.decodeUnsafe(clientId, <usize>clientIdLength);
    return this.store.has(key) ? this.store.get(key) : null;
  }
}

function bytesOf(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function connection(table: ConsumerLagTable, clientId: string): ConnectionLag {
  const lag = new ConnectionLag(table);
  const id = bytesOf(clientId);
  lag.noteClientId(changetype<usize>(id), id.byteLength);
  return lag;
}

function learn(table: ConsumerLagTable, clientId: string, group: string): void {
  const id = bytesOf(clientId);
  const g = bytesOf(group);
  table.learnMember(changetype<usize>(id), id.byteLength, changetype<usize>(g), g.byteLength);
}

const ORDERS: i32 = 7;
const LOGS: i32 = 9;

describe("consumer lag", () => {
  it("gives the max and the sum over partitions per (client id, topic), following positions and high watermarks", () => {
    const gauges = new RecordingGauges();
    const table = new ConsumerLagTable(new LagOptions(), gauges);
    const lag = connection(table, "app-1");
    lag.fetchStarted(false, true, 1000);
    lag.fetchOffset(ORDERS, 1, 2, 0, 100);
    lag.fetchOffset(ORDERS, 1, 2, 1, 50);
    lag.fetchOffset(LOGS, 3, 4, 0, 10);
    lag.fetchedPartition(1, 2, 0, 0, 150, 150, 1000);
    lag.fetchedPartition(1, 2, 1, 0, 80, 80, 1000);
    lag.fetchedPartition(3, 4, 0, 0, 10, 10, 1000);
    lag.update(1000);
    expect(gauges.summary()).toBe("client:app-1/7 max=50; client:app-1/7 sum=80");
    // An incremental fetch moves partition 0 only; partition 1 keeps its numbers.
    lag.fetchStarted(false, false, 2000);
    lag.fetchOffset(ORDERS, 1, 2, 0, 140);
    lag.fetchedPartition(1, 2, 0, 0, 160, 160, 2000);
    // A partition in error says nothing about the log end.
    lag.fetchedPartition(3, 4, 0, 6, 99999, 99999, 2000);
    lag.update(2000);
    expect(gauges.summary()).toBe("client:app-1/7 max=30; client:app-1/7 sum=50");
  });

  it("uses the last stable offset for read_committed consumers", () => {
    const gauges = new RecordingGauges();
    const lag = connection(new ConsumerLagTable(new LagOptions(), gauges), "tx");
    lag.fetchStarted(true, true, 1000);
    lag.fetchOffset(ORDERS, 1, 2, 0, 100);
    lag.fetchedPartition(1, 2, 0, 0, 150, 120, 1000);
    lag.update(1000);
    expect(gauges.summary()).toBe("client:tx/7 max=20; client:tx/7 sum=20");
  });

  it("ties a fetch connection to the group its client id joined, and adds up the group's members", () => {
    const gauges = new RecordingGauges();
    const table = new ConsumerLagTable(new LagOptions(), gauges);
    const first = connection(table, "consumer-orders-1");
    first.fetchStarted(false, true, 1000);
    first.fetchOffset(ORDERS, 1, 2, 0, 10);
    first.fetchedPartition(1, 2, 0, 0, 40, 40, 1000);
    first.update(1000);
    expect(gauges.summary()).toBe("client:consumer-orders-1/7 max=30; client:consumer-orders-1/7 sum=30");
    // The coordinator connection's JoinGroup (or ConsumerGroupHeartbeat) names the group.
    learn(table, "consumer-orders-1", "orders-app");
    learn(table, "consumer-orders-2", "orders-app");
    first.fetchStarted(false, false, 2000);
    first.update(2000);
    expect(gauges.summary()).toBe("group:orders-app/7 max=30; group:orders-app/7 sum=30");
    const second = connection(table, "consumer-orders-2");
    second.fetchStarted(false, true, 2000);
    second.fetchOffset(ORDERS, 1, 2, 1, 5);
    second.fetchedPartition(1, 2, 1, 0, 50, 50, 2000);
    second.update(2000);
    expect(gauges.summary()).toBe("group:orders-app/7 max=45; group:orders-app/7 sum=75");
  });

  it("ties a fetch connection to a group learned by another VM (worker), asking at most every 5 s", () => {
    const ties = new MapTies();
    const coordinatorVm = new ConsumerLagTable(new LagOptions(), new RecordingGauges(), ties);
    const gauges = new RecordingGauges();
    const fetchVm = new ConsumerLagTable(new LagOptions(), gauges, ties);
    const lag = connection(fetchVm, "consumer-g-1");
    lag.fetchStarted(false, true, 1000);
    expect(ties.lookups).toBe(1);
    lag.fetchOffset(ORDERS, 1, 2, 0, 10);
    lag.fetchedPartition(1, 2, 0, 0, 25, 25, 1000);
    lag.update(1000);
    expect(gauges.summary()).toBe("client:consumer-g-1/7 max=15; client:consumer-g-1/7 sum=15");
    learn(coordinatorVm, "consumer-g-1", "g");
    learn(coordinatorVm, "consumer-g-1", "g");
    expect(ties.publishes).toBe(1);
    lag.fetchStarted(false, false, 5999);
    expect(ties.lookups).toBe(1);
    lag.fetchStarted(false, false, 6000);
    expect(ties.lookups).toBe(2);
    lag.update(6000);
    expect(gauges.summary()).toBe("group:g/7 max=15; group:g/7 sum=15");
    lag.fetchStarted(false, false, 20000);
    expect(ties.lookups).toBe(2);
  });

  it("lets a consumer that stops fetching expire, and comes back when it fetches again", () => {
    const gauges = new RecordingGauges();
    const options = new LagOptions();
    options.expiryMs = 10000;
    const table = new ConsumerLagTable(options, gauges);
    const lag = connection(table, "c");
    lag.fetchStarted(false, true, 1000);
    lag.fetchOffset(ORDERS, 1, 2, 0, 10);
    lag.fetchedPartition(1, 2, 0, 0, 40, 40, 1000);
    lag.update(1000);
    table.sweep(10999);
    expect(gauges.summary()).toBe("client:c/7 max=30; client:c/7 sum=30");
    table.sweep(11001);
    expect(gauges.summary()).toBe("");
    lag.fetchStarted(false, false, 12000);
    lag.fetchOffset(ORDERS, 1, 2, 0, 20);
    lag.fetchedPartition(1, 2, 0, 0, 40, 40, 12000);
    lag.update(12000);
    expect(gauges.summary()).toBe("client:c/7 max=20; client:c/7 sum=20");
    // A full fetch without the partition forgets it: the share is no longer refreshed.
    lag.fetchStarted(false, true, 13000);
    lag.fetchOffset(LOGS, 3, 4, 0, 1);
    lag.fetchedPartition(3, 4, 0, 0, 1, 1, 13000);
    lag.update(13000);
    table.sweep(23001);
    expect(gauges.summary()).toBe("");
  });

  it("refreshes a series' shared max on every sweep, also one that expired a share without changing the max", () => {
    // Other workers drop an entry not written for expiry_ms: a constant max must still be
    // written, even in sweeps whose report left it unchanged (and so wrote nothing).
    const gauges = new RecordingGauges();
    const options = new LagOptions();
    options.expiryMs = 10000;
    const table = new ConsumerLagTable(options, gauges);
    const steady = connection(table, "c");
    const leaving = connection(table, "c");
    steady.fetchStarted(false, true, 1000);
    steady.fetchOffset(ORDERS, 1, 2, 0, 0);
    steady.fetchedPartition(1, 2, 0, 0, 100, 100, 1000);
    steady.update(1000);
    leaving.fetchStarted(false, true, 1000);
    leaving.fetchOffset(ORDERS, 1, 2, 1, 0);
    leaving.fetchedPartition(1, 2, 1, 0, 40, 40, 1000);
    leaving.update(1000);
    expect(gauges.summary()).toBe("client:c/7 max=100; client:c/7 sum=140");
    gauges.refreshed = 0;
    table.sweep(5000);
    expect(gauges.refreshed).toBe(1, "a sweep that changed nothing refreshes the max");
    // The steady consumer keeps fetching; the other stops, and its share expires.
    steady.fetchStarted(false, false, 10500);
    steady.fetchedPartition(1, 2, 0, 0, 100, 100, 10500);
    steady.update(10500);
    table.sweep(11001);
    expect(gauges.summary()).toBe("client:c/7 max=100; client:c/7 sum=100");
    expect(gauges.refreshed).toBe(2, "the sweep that expired a share without moving the max refreshes it too");
  });

  it("withdraws a replaced configuration's series from the shared gauges, and a live connection reports again", () => {
    // Two configurations of one VM define the same gauges; the old one's table must take
    // its values back when Envoy is done with it, since its timer stops with it.
    const gauges = new RecordingGauges();
    const table = new ConsumerLagTable(new LagOptions(), gauges);
    const gone = connection(table, "gone");
    gone.fetchStarted(false, true, 1000);
    gone.fetchOffset(ORDERS, 1, 2, 0, 10);
    gone.fetchedPartition(1, 2, 0, 0, 40, 40, 1000);
    gone.update(1000);
    const live = connection(table, "live");
    live.fetchStarted(false, true, 1000);
    live.fetchOffset(LOGS, 3, 4, 0, 5);
    live.fetchedPartition(3, 4, 0, 0, 7, 7, 1000);
    live.update(1000);
    expect(gauges.summary()).toBe("client:gone/7 max=30; client:gone/7 sum=30; client:live/9 max=2; client:live/9 sum=2");
    table.withdraw();
    expect(gauges.summary()).toBe("");
    table.withdraw();
    expect(gauges.summary()).toBe("");
    live.fetchStarted(false, false, 2000);
    live.fetchOffset(LOGS, 3, 4, 0, 6);
    live.fetchedPartition(3, 4, 0, 0, 9, 9, 2000);
    live.update(2000);
    expect(gauges.summary()).toBe("client:live/9 max=3; client:live/9 sum=3");
  });

  it("caps the partitions of a connection, and the consumer labels", () => {
    const gauges = new RecordingGauges();
    const options = new LagOptions();
    options.maxPartitionsPerConnection = 100;
    options.maxConsumerLabels = 1;
    const table = new ConsumerLagTable(options, gauges);
    const lag = connection(table, "a");
    lag.fetchStarted(false, true, 1000);
    for (let p = 0; p < 150; p++) lag.fetchOffset(ORDERS, 1, 2, p, 0);
    expect(lag.partitions.count).toBe(100);
    expect(lag.partitions.untracked).toBe(50);
    const other = connection(table, "b");
    other.fetchStarted(false, true, 1000);
    other.fetchOffset(ORDERS, 1, 2, 0, 0);
    other.fetchedPartition(1, 2, 0, 0, 3, 3, 1000);
    other.update(1000);
    expect(gauges.summary()).toBe("client:_other/7 max=3; client:_other/7 sum=3");
  });

  it("keeps memory flat with 10,000 topics fetched over and over", () => {
    const gauges = new RecordingGauges();
    const options = new LagOptions();
    options.maxPartitionsPerConnection = 10000;
    const table = new ConsumerLagTable(options, gauges);
    const lag = connection(table, "big");
    for (let round = 0; round < 4; round++) {
      const now: i64 = 1000 + round * 1000;
      lag.fetchStarted(false, round == 0, now);
      for (let t = 0; t < 10000; t++) lag.fetchOffset(t, <u64>t + 1, 77, 0, <i64>round * 10);
      for (let t = 0; t < 10000; t++) lag.fetchedPartition(<u64>t + 1, 77, 0, 0, 100, 100, now);
      lag.update(now);
      if (round == 1) {
        const pagesBefore = memory.size();
        // Rounds 2 and 3 find every partition, share and series in place.
        lag.fetchStarted(false, false, 3000);
        for (let t = 0; t < 10000; t++) lag.fetchOffset(t, <u64>t + 1, 77, 0, 20);
        for (let t = 0; t < 10000; t++) lag.fetchedPartition(<u64>t + 1, 77, 0, 0, 100, 100, 3000);
        lag.update(3000);
        expect(memory.size()).toBe(pagesBefore);
      }
    }
    expect(table.seriesCount).toBe(10000);
    expect(gauges.values[gauges.names.indexOf("client:big/9999 sum")]).toBe(70);
  });
});

describe("consumer_lag configuration", () => {
  it("is off by default, and on with defaults for an empty object", () => {
    expect(parseFilterConfig("{}").config!.insight.lag.enabled).toBe(false);
    const lag = parseFilterConfig('{"consumer_lag":{}}').config!.insight.lag;
    expect(lag.enabled).toBe(true);
    expect(lag.maxConsumerLabels).toBe(100);
    expect(lag.expiryMs).toBe(60000);
    const set = parseFilterConfig('{"consumer_lag":{"max_consumer_labels":5,"expiry_ms":30000,"max_partitions_per_connection":64}}').config!.insight.lag;
    expect(set.maxConsumerLabels).toBe(5);
    expect(set.expiryMs).toBe(30000);
    expect(set.maxPartitionsPerConnection).toBe(64);
  });

  it("rejects bad values naming the field", () => {
    expect(parseFilterConfig('{"consumer_lag":true}').error).toBe('field "consumer_lag": must be an object or null, got a boolean');
    expect(parseFilterConfig('{"consumer_lag":{"expiry":1}}').error)
      .toBe('field "consumer_lag.expiry": unknown field (known: max_consumer_labels, expiry_ms, max_partitions_per_connection)');
    expect(parseFilterConfig('{"consumer_lag":{"expiry_ms":10}}').error).toBe('field "consumer_lag.expiry_ms": must be an integer from 1000 to 86400000');
    expect(parseFilterConfig('{"max_topic_labels":0,"consumer_lag":{}}').error)
      .toBe('field "consumer_lag": needs per-topic stats (max_topic_labels above 0)');
  });
});
