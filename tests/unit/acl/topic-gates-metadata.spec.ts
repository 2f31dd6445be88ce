// Metadata (3, v0-13) and DescribeTopicPartitions (75, v0) gates.
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import { Verdict } from "../../../assembly/acl/model";
import { Uuid } from "../../../assembly/codec/types";
import { MetadataRequest, MetadataRequest_MetadataRequestTopic } from "../../../assembly/codec/generated/MetadataRequest";
import {
  MetadataResponse, MetadataResponse_MetadataResponseBroker, MetadataResponse_MetadataResponsePartition,
  MetadataResponse_MetadataResponseTopic,
} from "../../../assembly/codec/generated/MetadataResponse";
import {
  DescribeTopicPartitionsRequest, DescribeTopicPartitionsRequest_Cursor, DescribeTopicPartitionsRequest_TopicRequest,
} from "../../../assembly/codec/generated/DescribeTopicPartitionsRequest";
import {
  DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponse_Cursor,
  DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic,
} from "../../../assembly/codec/generated/DescribeTopicPartitionsResponse";
import {
  FakeAuthorizer, ORDERS_ID, SECRET_ID, UNKNOWN_ID, expectDeny, expectPass, expectRewrite, mergeRoundTrip, roundTrip,
} from "./topic-gate-helpers";

// ---- Metadata ---------------------------------------------------------------------------

function named(name: string): MetadataRequest_MetadataRequestTopic {
  const topic = new MetadataRequest_MetadataRequestTopic();
  topic.name = name;
  return topic;
}

function byId(id: Uuid): MetadataRequest_MetadataRequestTopic {
  const topic = new MetadataRequest_MetadataRequestTopic();
  topic.name = null;
  topic.topicId = id;
  return topic;
}

function metadataRequest(names: string[]): MetadataRequest {
  const request = new MetadataRequest();
  request.topics = new Array<MetadataRequest_MetadataRequestTopic>();
  for (let i = 0; i < names.length; i++) request.topics!.push(named(names[i]));
  return request;
}

function brokerTopic(name: string, id: Uuid): MetadataResponse_MetadataResponseTopic {
  const topic = new MetadataResponse_MetadataResponseTopic();
  topic.name = name;
  topic.topicId = id;
  const partition = new MetadataResponse_MetadataResponsePartition();
  partition.leaderId = 1;
  topic.partitions.push(partition);
  return topic;
}

/** What a broker answers for `names` (or for everything it has when `names` is empty). */
function brokerMetadata(version: i16, names: string[]): MetadataResponse {
  const response = new MetadataResponse();
  const broker = new MetadataResponse_MetadataResponseBroker();
  broker.nodeId = 1;
  broker.host = "127.0.0.1";
  broker.port = 9092;
  response.brokers.push(broker);
  const all = names.length == 0;
  if (all || names.includes("orders")) response.topics.push(brokerTopic("orders", version >= 10 ? ORDERS_ID : new Uuid()));
  if (all) response.topics.push(brokerTopic("secret-b", new Uuid()));
  if (all) response.topics.push(brokerTopic("payments", new Uuid()));
  return response;
}

function topicCode(response: MetadataResponse, name: string): i32 {
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    if (topic.name !== null && topic.name! == name) return topic.errorCode;
  }
  return -1;
}

function idCode(response: MetadataResponse, id: Uuid): i32 {
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    if (topic.topicId.equals(id)) return topic.errorCode;
  }
  return -1;
}

describe("Metadata gate", () => {
  it("quietly hides topics the principal may not Describe from an all-topics listing, v0-13", () => {
    for (let v: i16 = 0; v <= 13; v++) {
      const request = new MetadataRequest();
      if (v == 0) request.topics = new Array<MetadataRequest_MetadataRequestTopic>();
      else request.topics = null;
      const authorizer = new FakeAuthorizer();
      const result = gateTopicApi(3, v, request, authorizer)!;
      expect(result.verdict).toBe(Verdict.Pass);
      const merged = mergeRoundTrip<MetadataResponse>(result, brokerMetadata(v, []), v);
      expect(merged.topics.length).toBe(2);
      expect(topicCode(merged, "orders")).toBe(0);
      expect(topicCode(merged, "payments")).toBe(0);
      expect(topicCode(merged, "secret-b")).toBe(-1);
      expect(merged.brokers.length).toBe(1);
      expect(authorizer.loggedDenials).toBe(0);
      expect(authorizer.quietDenials).toBe(1);
    }
  });

  it("forwards allowed names and answers denied ones with 29, v0-13", () => {
    for (let v: i16 = 0; v <= 13; v++) {
      const result = gateTopicApi(3, v, metadataRequest(["orders", "secret-a"]), new FakeAuthorizer());
      const forwarded = expectRewrite<MetadataRequest>(result, v);
      expect(forwarded.topics!.length).toBe(1);
      expect(forwarded.topics![0].name!).toBe("orders");
      const merged = mergeRoundTrip<MetadataResponse>(result!, brokerMetadata(v, ["orders"]), v);
      expect(merged.topics.length).toBe(2);
      expect(topicCode(merged, "orders")).toBe(0);
      expect(topicCode(merged, "secret-a")).toBe(29);
      for (let i = 0; i < merged.topics.length; i++) {
        if (merged.topics[i].errorCode == 0) continue;
        expect(merged.topics[i].partitions.length).toBe(0);
        expect(merged.topics[i].topicId.isZero()).toBe(true);
        expect(merged.topics[i].isInternal).toBe(false);
      }
    }
  });

  it("asks the broker for no topic (v1+) or drops every listed one (v0) when all names are denied", () => {
    for (let v: i16 = 0; v <= 13; v++) {
      const result = gateTopicApi(3, v, metadataRequest(["secret-a", "secret-c"]), new FakeAuthorizer());
      const forwarded = expectRewrite<MetadataRequest>(result, v);
      expect(forwarded.topics!.length).toBe(0);
      // v0 reads an empty list as "all topics": the broker answers with everything.
      const merged = mergeRoundTrip<MetadataResponse>(result!, brokerMetadata(v, v == 0 ? [] : ["none"]), v);
      expect(merged.topics.length).toBe(2);
      expect(topicCode(merged, "secret-a")).toBe(29);
      expect(topicCode(merged, "secret-c")).toBe(29);
      expect(merged.brokers.length).toBe(1);
    }
  });

  it("resolves topics named by id: unknown 100, denied 29, without the name, v10-13", () => {
    for (let v: i16 = 10; v <= 13; v++) {
      const request = new MetadataRequest();
      request.topics = [byId(ORDERS_ID), byId(SECRET_ID), byId(UNKNOWN_ID)];
      const result = gateTopicApi(3, v, request, new FakeAuthorizer());
      const forwarded = expectRewrite<MetadataRequest>(result, v);
      expect(forwarded.topics!.length).toBe(1);
      expect(forwarded.topics![0].topicId.equals(ORDERS_ID)).toBe(true);
      // Topics named by id exist: auto-creation stays as the client asked.
      expect(forwarded.allowAutoTopicCreation).toBe(true);
      const merged = mergeRoundTrip<MetadataResponse>(result!, brokerMetadata(v, ["orders"]), v);
      expect(merged.topics.length).toBe(3);
      expect(idCode(merged, ORDERS_ID)).toBe(0);
      expect(idCode(merged, SECRET_ID)).toBe(29);
      expect(idCode(merged, UNKNOWN_ID)).toBe(100);
      expect(topicCode(merged, "secret-ids")).toBe(-1);
    }
  });

  it("turns auto-creation off when the principal could not create a forwarded name, v4-13", () => {
    for (let v: i16 = 4; v <= 13; v++) {
      const creatable = metadataRequest(["orders"]);
      expectPass(gateTopicApi(3, v, creatable, new FakeAuthorizer()));

      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      const result = gateTopicApi(3, v, metadataRequest(["orders", "nocreate-x"]), authorizer)!;
      const forwarded = expectRewrite<MetadataRequest>(result, v);
      expect(forwarded.allowAutoTopicCreation).toBe(false);
      expect(forwarded.topics!.length).toBe(2);
      expect(result.merger === null).toBe(true);
      expect(authorizer.loggedDenials).toBe(0);

      // Create on the Cluster is enough.
      expectPass(gateTopicApi(3, v, metadataRequest(["orders", "nocreate-x"]), new FakeAuthorizer()));
    }
    // v0-3 have no flag to turn off.
    for (let v: i16 = 0; v <= 3; v++) {
      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      expectPass(gateTopicApi(3, v, metadataRequest(["nocreate-x"]), authorizer));
    }
  });

  it("passes named topics that are all allowed, v0-13", () => {
    for (let v: i16 = 0; v <= 13; v++) {
      const authorizer = new FakeAuthorizer();
      expectPass(gateTopicApi(3, v, metadataRequest(["orders", "payments"]), authorizer));
      expect(authorizer.loggedDenials).toBe(0);
    }
  });
});

// ---- DescribeTopicPartitions --------------------------------------------------------------

function dtpRequest(names: string[]): DescribeTopicPartitionsRequest {
  const request = new DescribeTopicPartitionsRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new DescribeTopicPartitionsRequest_TopicRequest();
    topic.name = names[i];
    request.topics.push(topic);
  }
  return request;
}

function dtpBroker(names: string[]): DescribeTopicPartitionsResponse {
  const response = new DescribeTopicPartitionsResponse();
  for (let i = 0; i < names.length; i++) {
    const topic = new DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic();
    topic.name = names[i];
    topic.topicId = new Uuid(1, <u64>i + 1);
    response.topics.push(topic);
  }
  return response;
}

function dtpCode(response: DescribeTopicPartitionsResponse, name: string): i32 {
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    if (topic.name !== null && topic.name! == name) return topic.errorCode;
  }
  return -1;
}

describe("DescribeTopicPartitions gate", () => {
  it("forwards allowed names and answers denied ones with 29", () => {
    const result = gateTopicApi(75, 0, dtpRequest(["orders", "secret-a"]), new FakeAuthorizer());
    const forwarded = expectRewrite<DescribeTopicPartitionsRequest>(result, 0);
    expect(forwarded.topics.length).toBe(1);
    expect(forwarded.topics[0].name).toBe("orders");
    const merged = mergeRoundTrip<DescribeTopicPartitionsResponse>(result!, dtpBroker(["orders"]), 0);
    expect(merged.topics.length).toBe(2);
    expect(dtpCode(merged, "orders")).toBe(0);
    expect(dtpCode(merged, "secret-a")).toBe(29);
  });

  it("answers without the broker when every name is denied, and passes when all are allowed", () => {
    const response = expectDeny<DescribeTopicPartitionsResponse>(
      gateTopicApi(75, 0, dtpRequest(["secret-a", "secret-b"]), new FakeAuthorizer()), 0);
    expect(response.topics.length).toBe(2);
    expect(dtpCode(response, "secret-b")).toBe(29);
    expect(response.nextCursor === null).toBe(true);
    expectPass(gateTopicApi(75, 0, dtpRequest(["orders", "payments"]), new FakeAuthorizer()));
  });

  it("moves a cursor off a denied topic, and answers only names from the cursor on", () => {
    const request = dtpRequest(["a-early", "orders", "secret-a", "zeta"]);
    const cursor = new DescribeTopicPartitionsRequest_Cursor();
    cursor.topicName = "secret-a";
    cursor.partitionIndex = 4;
    request.cursor = cursor;
    const result = gateTopicApi(75, 0, request, new FakeAuthorizer());
    const forwarded = expectRewrite<DescribeTopicPartitionsRequest>(result, 0);
    expect(forwarded.topics.length).toBe(3);
    expect(forwarded.cursor!.topicName).toBe("zeta");
    expect(forwarded.cursor!.partitionIndex).toBe(0);
    const merged = mergeRoundTrip<DescribeTopicPartitionsResponse>(result!, dtpBroker(["zeta"]), 0);
    expect(dtpCode(merged, "secret-a")).toBe(29);
    expect(dtpCode(merged, "zeta")).toBe(0);

    // Nothing allowed at or after the cursor: the broker would describe nothing.
    const late = dtpRequest(["orders", "secret-x"]);
    const lateCursor = new DescribeTopicPartitionsRequest_Cursor();
    lateCursor.topicName = "secret-x";
    late.cursor = lateCursor;
    const denied = expectDeny<DescribeTopicPartitionsResponse>(gateTopicApi(75, 0, late, new FakeAuthorizer()), 0);
    expect(denied.topics.length).toBe(1);
    expect(dtpCode(denied, "secret-x")).toBe(29);
  });

  it("quietly hides denied topics from a full listing and never hands out a denied cursor", () => {
    const authorizer = new FakeAuthorizer();
    const result = gateTopicApi(75, 0, dtpRequest([]), authorizer)!;
    expect(result.verdict).toBe(Verdict.Pass);
    const broker = dtpBroker(["orders", "secret-a", "payments"]);
    const next = new DescribeTopicPartitionsResponse_Cursor();
    next.topicName = "secret-b";
    next.partitionIndex = 3;
    broker.nextCursor = next;
    const merged = mergeRoundTrip<DescribeTopicPartitionsResponse>(result, broker, 0);
    expect(merged.topics.length).toBe(2);
    expect(dtpCode(merged, "secret-a")).toBe(-1);
    expect(merged.nextCursor === null).toBe(true);
    expect(authorizer.loggedDenials).toBe(0);

    const allowedCursor = gateTopicApi(75, 0, dtpRequest([]), new FakeAuthorizer())!;
    const page = dtpBroker(["orders"]);
    const nextAllowed = new DescribeTopicPartitionsResponse_Cursor();
    nextAllowed.topicName = "payments";
    page.nextCursor = nextAllowed;
    const kept = mergeRoundTrip<DescribeTopicPartitionsResponse>(allowedCursor, page, 0);
    expect(kept.nextCursor!.topicName).toBe("payments");
  });
});
