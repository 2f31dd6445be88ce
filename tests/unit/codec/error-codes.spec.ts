// collectErrorCodes (generated visitor over every `...ErrorCode` int16 field) and
// errorName (generated from spec/kafka-4.3.1/errors.json, i.e. Kafka's Errors enum).
// Every message is encoded, decoded from the bytes, and the decoded copy is visited, so
// the order checked is the order the codes appear on the wire.

import { Reader } from "../../../assembly/codec/reader";
import { Writer } from "../../../assembly/codec/writer";
import { ErrorCodeSink, Message } from "../../../assembly/codec/message";
import { decodeErrorName, encodeErrorName } from "../../../assembly/codec/errors";
import { API_COUNT, apiKeyAt, apiMaxVersion, apiMinVersion, decodeResponseBody, newRequest, newResponse } from "../../../assembly/codec/generated/index";
import { MAX_ERROR_CODE, MIN_ERROR_CODE, errorName, isKnownErrorCode } from "../../../assembly/codec/generated/errors";
import {
  MetadataResponse, MetadataResponse_MetadataResponsePartition, MetadataResponse_MetadataResponseTopic,
} from "../../../assembly/codec/generated/MetadataResponse";
import {
  ProduceResponse, ProduceResponse_PartitionProduceResponse, ProduceResponse_TopicProduceResponse,
} from "../../../assembly/codec/generated/ProduceResponse";
import {
  FetchResponse, FetchResponse_FetchableTopicResponse, FetchResponse_PartitionData,
} from "../../../assembly/codec/generated/FetchResponse";
import {
  CreateTopicsResponse, CreateTopicsResponse_CreatableTopicResult,
} from "../../../assembly/codec/generated/CreateTopicsResponse";
import { buildResponse } from "./generated/builders";

/** Records codes as "a,b,c". */
class RecordingSink extends ErrorCodeSink {
  codes: string = "";
  count: i32 = 0;
  errorCode(code: i16): void {
    this.codes += (this.count == 0 ? "" : ",") + code.toString();
    this.count++;
  }
}

/** Error codes of `message` after an encode -> decode of `version`, or "FAIL: ...". */
function wireCodes(message: Message, version: i16): string {
  const w = new Writer(64);
  message.encode(w, version);
  if (!w.ok) return "FAIL: encode " + encodeErrorName(w.errorCode) + " at " + w.errorField;
  const r = new Reader(w.toArrayBuffer());
  const decoded = decodeResponseBody(message.apiKey(), version, r);
  if (decoded === null) return "FAIL: decode " + decodeErrorName(r.errorCode) + " at " + r.errorField;
  if (r.remaining() != 0) return "FAIL: decode left bytes";
  const sink = new RecordingSink();
  decoded.collectErrorCodes(sink);
  return sink.codes;
}

function metadataPartition(index: i32, errorCode: i16): MetadataResponse_MetadataResponsePartition {
  const p = new MetadataResponse_MetadataResponsePartition();
  p.partitionIndex = index;
  p.errorCode = errorCode;
  return p;
}

function metadataTopic(name: string, errorCode: i16, p0: i16, p1: i16): MetadataResponse_MetadataResponseTopic {
  const t = new MetadataResponse_MetadataResponseTopic();
  t.name = name;
  t.errorCode = errorCode;
  t.partitions.push(metadataPartition(0, p0));
  t.partitions.push(metadataPartition(1, p1));
  return t;
}

function metadata(): MetadataResponse {
  const m = new MetadataResponse();
  m.topics.push(metadataTopic("a", 3, 5, 6));
  m.topics.push(metadataTopic("b", 29, 0, 9));
  m.errorCode = 31;
  return m;
}

function produce(): ProduceResponse {
  const m = new ProduceResponse();
  for (let t = 0; t < 2; t++) {
    const topic = new ProduceResponse_TopicProduceResponse();
    topic.name = "t" + t.toString();
    for (let p = 0; p < 2; p++) {
      const partition = new ProduceResponse_PartitionProduceResponse();
      partition.index = p;
      partition.errorCode = <i16>(10 * (t + 1) + p);
      topic.partitionResponses.push(partition);
    }
    m.responses.push(topic);
  }
  return m;
}

function fetch(): FetchResponse {
  const m = new FetchResponse();
  m.errorCode = 7;
  const topic = new FetchResponse_FetchableTopicResponse();
  topic.topic = "t";
  for (let p = 0; p < 3; p++) {
    const partition = new FetchResponse_PartitionData();
    partition.partitionIndex = p;
    partition.errorCode = <i16>(p == 1 ? 0 : 74 + p);
    topic.partitions.push(partition);
  }
  m.responses.push(topic);
  return m;
}

function createTopics(): CreateTopicsResponse {
  const m = new CreateTopicsResponse();
  const a = new CreateTopicsResponse_CreatableTopicResult();
  a.name = "a";
  a.errorCode = 36;
  a.topicConfigErrorCode = 40;
  m.topics.push(a);
  const b = new CreateTopicsResponse_CreatableTopicResult();
  b.name = "b";
  b.errorCode = 0;
  b.topicConfigErrorCode = 0;
  m.topics.push(b);
  return m;
}

describe("collectErrorCodes", () => {
  it("visits MetadataResponse topics, partitions and the top-level code in wire order", () => {
    // v13: Topics (each ErrorCode, then its Partitions) precede the top-level ErrorCode.
    expect(wireCodes(metadata(), 13)).toBe("3,5,6,29,0,9,31");
  });

  it("reports a field absent from the decoded version as its default", () => {
    // MetadataResponse.ErrorCode only exists in v13+; v12 decodes it as 0.
    expect(wireCodes(metadata(), 12)).toBe("3,5,6,29,0,9,0");
    expect(wireCodes(metadata(), 0)).toBe("3,5,6,29,0,9,0");
  });

  it("visits ProduceResponse per-partition codes, zeros included", () => {
    expect(wireCodes(produce(), ProduceResponse.MAX_VERSION)).toBe("10,11,20,21");
    expect(wireCodes(produce(), ProduceResponse.MIN_VERSION)).toBe("10,11,20,21");
  });

  it("visits FetchResponse top-level then per-partition codes", () => {
    expect(wireCodes(fetch(), 12)).toBe("7,74,0,76");
    expect(wireCodes(fetch(), FetchResponse.MAX_VERSION)).toBe("7,74,0,76");
  });

  it("visits CreateTopicsResponse ErrorCode and the tagged TopicConfigErrorCode", () => {
    expect(wireCodes(createTopics(), CreateTopicsResponse.MAX_VERSION)).toBe("36,40,0,0");
    // TopicConfigErrorCode is a tagged field of v5+; v4 drops it (ignorable) and decodes 0.
    expect(wireCodes(createTopics(), 4)).toBe("36,0,0,0");
  });

  it("reports nothing for messages without error codes", () => {
    const sink = new RecordingSink();
    newRequest(3)!.collectErrorCodes(sink); // MetadataRequest
    expect(sink.count).toBe(0);
  });

  it("visits every populated response of every version without trapping", () => {
    let visited = 0;
    let failures = 0;
    for (let i = 0; i < API_COUNT; i++) {
      const apiKey = apiKeyAt(i);
      for (let version = apiMinVersion(apiKey); version <= apiMaxVersion(apiKey); version++) {
        const built = buildResponse(apiKey, version, 0);
        if (built === null) continue;
        const codes = wireCodes(built, version);
        if (codes.startsWith("FAIL")) {
          log("api " + apiKey.toString() + " v" + version.toString() + ": " + codes);
          failures++;
        }
        // A default instance (nested arrays empty) visits without trapping too.
        newResponse(apiKey)!.collectErrorCodes(new RecordingSink());
        visited++;
      }
    }
    expect(failures).toBe(0);
    expect(visited).toBeGreaterThan(300);
  });
});

describe("errorName", () => {
  it("returns Kafka's Errors enum names", () => {
    expect(errorName(-1)).toBe("UNKNOWN_SERVER_ERROR");
    expect(errorName(0)).toBe("NONE");
    expect(errorName(3)).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(errorName(22)).toBe("ILLEGAL_GENERATION");
    expect(errorName(25)).toBe("UNKNOWN_MEMBER_ID");
    expect(errorName(29)).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(errorName(30)).toBe("GROUP_AUTHORIZATION_FAILED");
    expect(errorName(31)).toBe("CLUSTER_AUTHORIZATION_FAILED");
    expect(errorName(53)).toBe("TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
  });

  it("returns UNKNOWN_ERROR_CODE for codes Kafka does not define", () => {
    expect(errorName(9999)).toBe("UNKNOWN_ERROR_CODE");
    expect(errorName(-2)).toBe("UNKNOWN_ERROR_CODE");
    expect(errorName(MAX_ERROR_CODE + 1)).toBe("UNKNOWN_ERROR_CODE");
    expect(isKnownErrorCode(9999)).toBe(false);
    expect(isKnownErrorCode(-2)).toBe(false);
  });

  it("agrees with isKnownErrorCode between MIN_ERROR_CODE and MAX_ERROR_CODE", () => {
    expect(MIN_ERROR_CODE).toBe(-1);
    let known = 0;
    for (let code = MIN_ERROR_CODE - 1; code <= MAX_ERROR_CODE + 1; code++) {
      expect(isKnownErrorCode(code)).toBe(errorName(code) != "UNKNOWN_ERROR_CODE");
      if (isKnownErrorCode(code)) known++;
    }
    expect(known).toBeGreaterThan(100);
  });
});
