// Entry point for tools/bench/codec-bench.mjs: the harness exports plus builders for
// realistic message bodies, made with the generated classes so the benchmark inputs
// are exactly what the codec itself would send.

import { Writer } from "./writer";
import { RecordsView, Uuid } from "./types";
import { RECORD_BATCH_HEADER_SIZE, LOG_OVERHEAD, crc32c } from "./records";
import {
  ProduceRequest, ProduceRequest_PartitionProduceData, ProduceRequest_TopicProduceData,
} from "./generated/ProduceRequest";
import {
  FetchResponse, FetchResponse_FetchableTopicResponse, FetchResponse_PartitionData,
} from "./generated/FetchResponse";
import {
  MetadataResponse, MetadataResponse_MetadataResponseBroker, MetadataResponse_MetadataResponsePartition,
  MetadataResponse_MetadataResponseTopic,
} from "./generated/MetadataResponse";
import { ApiVersionsResponse, ApiVersionsResponse_ApiVersion } from "./generated/ApiVersionsResponse";
import { API_COUNT, apiKeyAt, apiMaxVersion, apiMinVersion } from "./generated/apis";
import { Message } from "./message";

export { roundTrip, lastError, benchDecode, benchEncode, countRecords } from "./harness";

/** An uncompressed magic v2 batch of `count` records with `valueSize`-byte values. */
export function recordBatch(count: i32, valueSize: i32): ArrayBuffer {
  const records = new Writer(count * (valueSize + 16));
  const body = new Writer(valueSize + 32);
  for (let i = 0; i < count; i++) {
    body.reset();
    body.writeInt8(0);
    body.writeVarlong(<i64>i);
    body.writeVarint(i);
    body.writeVarint(8);
    body.writeInt64(<i64>i);
    body.writeVarint(valueSize);
    for (let j = 0; j < valueSize; j++) body.writeUint8(<u8>(i + j));
    body.writeVarint(0);
    records.writeVarint(body.pos);
    records.writeRawBytes(body.buffer, 0, body.pos);
  }
  const w = new Writer(RECORD_BATCH_HEADER_SIZE + records.pos);
  w.writeInt64(0);
  w.writeInt32(RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD + records.pos);
  w.writeInt32(0);
  w.writeInt8(2);
  const crcAt = w.pos;
  w.writeUint32(0);
  w.writeInt16(0);
  w.writeInt32(count - 1);
  w.writeInt64(1700000000000);
  w.writeInt64(1700000000000 + count);
  w.writeInt64(-1);
  w.writeInt16(-1);
  w.writeInt32(-1);
  w.writeInt32(count);
  w.writeRawBytes(records.buffer, 0, records.pos);
  w.patchInt32(crcAt, <i32>crc32c(w.buffer, crcAt + 4, w.pos - crcAt - 4));
  return w.toArrayBuffer();
}

function encodeBody(message: Message, version: i16): ArrayBuffer {
  const w = new Writer(4096);
  message.encode(w, version);
  return w.toArrayBuffer();
}

/** ProduceRequest body: one topic, one partition, one batch of `records` 100-byte records. */
export function sampleProduceRequest(version: i16, records: i32): ArrayBuffer {
  const partition = new ProduceRequest_PartitionProduceData();
  partition.index = 0;
  partition.records = RecordsView.of(recordBatch(records, 100));
  const topic = new ProduceRequest_TopicProduceData();
  if (version <= 12) topic.name = "bench-topic";
  else topic.topicId = new Uuid(0x1234, 0x5678);
  topic.partitionData = [partition];
  const m = new ProduceRequest();
  m.acks = -1;
  m.timeoutMs = 30000;
  m.topicData = [topic];
  return encodeBody(m, version);
}

/** FetchResponse body: one topic, `partitions` partitions, each a batch of `records` 100-byte records. */
export function sampleFetchResponse(version: i16, partitions: i32, records: i32): ArrayBuffer {
  const batch = recordBatch(records, 100);
  const topic = new FetchResponse_FetchableTopicResponse();
  if (version <= 12) topic.topic = "bench-topic";
  else topic.topicId = new Uuid(0x1234, 0x5678);
  const list = new Array<FetchResponse_PartitionData>();
  for (let p = 0; p < partitions; p++) {
    const d = new FetchResponse_PartitionData();
    d.partitionIndex = p;
    d.highWatermark = 1000000;
    d.lastStableOffset = 1000000;
    d.logStartOffset = 0;
    d.records = RecordsView.of(batch);
    list.push(d);
  }
  topic.partitions = list;
  const m = new FetchResponse();
  m.sessionId = 77;
  m.responses = [topic];
  return encodeBody(m, version);
}

/** MetadataResponse body: 3 brokers, `topics` topics of 6 partitions with 3 replicas. */
export function sampleMetadataResponse(version: i16, topics: i32): ArrayBuffer {
  const m = new MetadataResponse();
  const brokers = new Array<MetadataResponse_MetadataResponseBroker>();
  for (let b = 0; b < 3; b++) {
    const broker = new MetadataResponse_MetadataResponseBroker();
    broker.nodeId = b;
    broker.host = "broker-" + b.toString() + ".kafka.svc.cluster.local";
    broker.port = 9092;
    broker.rack = "rack-" + b.toString();
    brokers.push(broker);
  }
  m.brokers = brokers;
  m.clusterId = "bench-cluster-0123456789";
  m.controllerId = 0;
  const list = new Array<MetadataResponse_MetadataResponseTopic>();
  for (let t = 0; t < topics; t++) {
    const topic = new MetadataResponse_MetadataResponseTopic();
    topic.name = "topic-" + t.toString();
    topic.topicId = new Uuid(<u64>t + 1, <u64>t * 7);
    const partitions = new Array<MetadataResponse_MetadataResponsePartition>();
    for (let p = 0; p < 6; p++) {
      const part = new MetadataResponse_MetadataResponsePartition();
      part.partitionIndex = p;
      part.leaderId = p % 3;
      part.leaderEpoch = 5;
      part.replicaNodes = [0, 1, 2];
      part.isrNodes = [0, 1, 2];
      partitions.push(part);
    }
    topic.partitions = partitions;
    list.push(topic);
  }
  m.topics = list;
  return encodeBody(m, version);
}

/** ApiVersionsResponse body listing every API of the table. */
export function sampleApiVersionsResponse(version: i16): ArrayBuffer {
  const m = new ApiVersionsResponse();
  const keys = new Array<ApiVersionsResponse_ApiVersion>();
  for (let i = 0; i < API_COUNT; i++) {
    const k = apiKeyAt(i);
    const v = new ApiVersionsResponse_ApiVersion();
    v.apiKey = k;
    v.minVersion = apiMinVersion(k);
    v.maxVersion = apiMaxVersion(k);
    keys.push(v);
  }
  m.apiKeys = keys;
  return encodeBody(m, version);
}
