// Produce (0, v3-13) and Fetch (1, v4-18) gates, at every version: the forwarded
// request carries only allowed topics, the merged response answers every topic asked.
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import { GateResult, Verdict } from "../../../assembly/acl/model";
import { Uuid } from "../../../assembly/codec/types";
import {
  ProduceRequest, ProduceRequest_PartitionProduceData, ProduceRequest_TopicProduceData,
} from "../../../assembly/codec/generated/ProduceRequest";
import {
  ProduceResponse, ProduceResponse_PartitionProduceResponse, ProduceResponse_TopicProduceResponse,
} from "../../../assembly/codec/generated/ProduceResponse";
import {
  FetchRequest, FetchRequest_FetchPartition, FetchRequest_FetchTopic, FetchRequest_ForgottenTopic,
} from "../../../assembly/codec/generated/FetchRequest";
import {
  FetchResponse, FetchResponse_FetchableTopicResponse, FetchResponse_PartitionData,
} from "../../../assembly/codec/generated/FetchResponse";
import {
  FakeAuthorizer, ORDERS_ID, SECRET_ID, UNKNOWN_ID, expectDeny, expectPass, expectRewrite, mergeRoundTrip, roundTrip,
} from "./topic-gate-helpers";

// ---- Produce --------------------------------------------------------------------------

function produceTopic(version: i16, name: string, id: Uuid, partitions: i32[]): ProduceRequest_TopicProduceData {
  const topic = new ProduceRequest_TopicProduceData();
  if (version >= 13) topic.topicId = id;
  else topic.name = name;
  for (let i = 0; i < partitions.length; i++) {
    const partition = new ProduceRequest_PartitionProduceData();
    partition.index = partitions[i];
    topic.partitionData.push(partition);
  }
  return topic;
}

/** "orders" [0, 1] allowed, "secret-a" [0] denied and, by id (v13), an unknown id [2]. */
function produceRequest(version: i16, withAllowed: bool, withDenied: bool): ProduceRequest {
  const request = new ProduceRequest();
  request.acks = -1;
  request.timeoutMs = 1000;
  if (withAllowed) request.topicData.push(produceTopic(version, "orders", ORDERS_ID, [0, 1]));
  if (withDenied) {
    request.topicData.push(produceTopic(version, "secret-a", SECRET_ID, [0]));
    if (version >= 13) request.topicData.push(produceTopic(version, "", UNKNOWN_ID, [2]));
  }
  return request;
}

function findProduceTopic(response: ProduceResponse, version: i16, name: string, id: Uuid): ProduceResponse_TopicProduceResponse | null {
  for (let i = 0; i < response.responses.length; i++) {
    const topic = response.responses[i];
    if (version >= 13 ? topic.topicId.equals(id) : topic.name == name) return topic;
  }
  return null;
}

function expectProducePartitions(response: ProduceResponse, version: i16, name: string, id: Uuid, count: i32, code: i16): void {
  const topic = findProduceTopic(response, version, name, id);
  expect(topic === null).toBe(false, name + " missing at v" + version.toString());
  const partitions = topic!.partitionResponses;
  expect(partitions.length).toBe(count);
  for (let p = 0; p < partitions.length; p++) {
    expect(partitions[p].errorCode).toBe(code);
    if (code != 0) expect(partitions[p].baseOffset).toBe(-1);
  }
}

function brokerProduceResponse(forwarded: ProduceRequest): ProduceResponse {
  const response = new ProduceResponse();
  for (let i = 0; i < forwarded.topicData.length; i++) {
    const asked = forwarded.topicData[i];
    const topic = new ProduceResponse_TopicProduceResponse();
    topic.name = asked.name;
    topic.topicId = asked.topicId.clone();
    for (let p = 0; p < asked.partitionData.length; p++) {
      const partition = new ProduceResponse_PartitionProduceResponse();
      partition.index = asked.partitionData[p].index;
      partition.baseOffset = 42;
      topic.partitionResponses.push(partition);
    }
    response.responses.push(topic);
  }
  return response;
}

describe("Produce gate", () => {
  it("forwards allowed topics and answers denied ones with 29 (100 for unknown ids), v3-13", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const authorizer = new FakeAuthorizer();
      const result = gateTopicApi(0, v, produceRequest(v, true, true), authorizer);
      const forwarded = expectRewrite<ProduceRequest>(result, v);
      expect(forwarded.topicData.length).toBe(1);
      if (v >= 13) expect(forwarded.topicData[0].topicId.equals(ORDERS_ID)).toBe(true);
      else expect(forwarded.topicData[0].name).toBe("orders");
      expect(forwarded.topicData[0].partitionData.length).toBe(2);

      const merged = mergeRoundTrip<ProduceResponse>(result!, brokerProduceResponse(forwarded), v);
      expect(merged.responses.length).toBe(v >= 13 ? 3 : 2);
      expectProducePartitions(merged, v, "orders", ORDERS_ID, 2, 0);
      expectProducePartitions(merged, v, "secret-a", SECRET_ID, 1, 29);
      if (v >= 13) expectProducePartitions(merged, v, "", UNKNOWN_ID, 1, 100);
      expect(findProduceTopic(merged, v, "orders", ORDERS_ID)!.partitionResponses[0].baseOffset).toBe(42);
    }
  });

  it("answers without the broker when every topic is denied, v3-13", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const response = expectDeny<ProduceResponse>(gateTopicApi(0, v, produceRequest(v, false, true), new FakeAuthorizer()), v);
      expect(response.responses.length).toBe(v >= 13 ? 2 : 1);
      expectProducePartitions(response, v, "secret-a", SECRET_ID, 1, 29);
      expect(response.throttleTimeMs).toBe(0);
    }
  });

  it("denies with no response when acks=0 and everything is denied; rewrites when some is allowed", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const request = produceRequest(v, false, true);
      request.acks = 0;
      const result = gateTopicApi(0, v, request, new FakeAuthorizer())!;
      expect(result.verdict).toBe(Verdict.Deny);
      expect(result.response === null).toBe(true);

      const partly = produceRequest(v, true, true);
      partly.acks = 0;
      const forwarded = expectRewrite<ProduceRequest>(gateTopicApi(0, v, partly, new FakeAuthorizer()), v);
      expect(forwarded.acks).toBe(0);
      expect(forwarded.topicData.length).toBe(1);
    }
  });

  it("answers every partition with 53 when the transactional id is denied, v3-13", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const request = produceRequest(v, true, true);
      request.transactionalId = "locked-tx";
      const response = expectDeny<ProduceResponse>(gateTopicApi(0, v, request, new FakeAuthorizer()), v);
      expect(response.responses.length).toBe(v >= 13 ? 3 : 2);
      expectProducePartitions(response, v, "orders", ORDERS_ID, 2, 53);
      expectProducePartitions(response, v, "secret-a", SECRET_ID, 1, 53);

      const quiet = produceRequest(v, true, false);
      quiet.transactionalId = "locked-tx";
      quiet.acks = 0;
      const result = gateTopicApi(0, v, quiet, new FakeAuthorizer())!;
      expect(result.verdict).toBe(Verdict.Deny);
      expect(result.response === null).toBe(true);
    }
  });

  it("passes a request whose topics and transactional id are all allowed, v3-13", () => {
    for (let v: i16 = 3; v <= 13; v++) {
      const request = produceRequest(v, true, false);
      request.transactionalId = "tx-1";
      const authorizer = new FakeAuthorizer();
      expectPass(gateTopicApi(0, v, request, authorizer));
      expect(authorizer.loggedDenials).toBe(0);
    }
  });
});

// ---- Fetch ----------------------------------------------------------------------------

function fetchTopic(version: i16, name: string, id: Uuid, partitions: i32[]): FetchRequest_FetchTopic {
  const topic = new FetchRequest_FetchTopic();
  if (version >= 13) topic.topicId = id;
  else topic.topic = name;
  for (let i = 0; i < partitions.length; i++) {
    const partition = new FetchRequest_FetchPartition();
    partition.partition = partitions[i];
    partition.fetchOffset = 7;
    partition.partitionMaxBytes = 1024;
    topic.partitions.push(partition);
  }
  return topic;
}

function fetchRequest(version: i16, withAllowed: bool, withDenied: bool): FetchRequest {
  const request = new FetchRequest();
  request.maxWaitMs = 500;
  if (withAllowed) request.topics.push(fetchTopic(version, "orders", ORDERS_ID, [0, 1]));
  if (withDenied) {
    request.topics.push(fetchTopic(version, "secret-a", SECRET_ID, [0]));
    if (version >= 13) request.topics.push(fetchTopic(version, "", UNKNOWN_ID, [2]));
  }
  return request;
}

function setReplica(request: FetchRequest, version: i16, replicaId: i32): void {
  if (version >= 15) request.replicaState.replicaId = replicaId;
  else request.replicaId = replicaId;
}

function findFetchTopic(response: FetchResponse, version: i16, name: string, id: Uuid): FetchResponse_FetchableTopicResponse | null {
  for (let i = 0; i < response.responses.length; i++) {
    const topic = response.responses[i];
    if (version >= 13 ? topic.topicId.equals(id) : topic.topic == name) return topic;
  }
  return null;
}

function expectFetchPartitions(response: FetchResponse, version: i16, name: string, id: Uuid, count: i32, code: i16): void {
  const topic = findFetchTopic(response, version, name, id);
  expect(topic === null).toBe(false, name + " missing at v" + version.toString());
  const partitions = topic!.partitions;
  expect(partitions.length).toBe(count);
  for (let p = 0; p < partitions.length; p++) {
    expect(partitions[p].errorCode).toBe(code);
    expect(partitions[p].highWatermark).toBe(code == 0 ? 100 : -1);
    if (code != 0) {
      expect(partitions[p].records === null).toBe(false);
      expect(partitions[p].records!.length).toBe(0);
    }
  }
}

function brokerFetchResponse(forwarded: FetchRequest, version: i16): FetchResponse {
  const response = new FetchResponse();
  if (version >= 7) response.sessionId = 77;
  for (let i = 0; i < forwarded.topics.length; i++) {
    const asked = forwarded.topics[i];
    const topic = new FetchResponse_FetchableTopicResponse();
    topic.topic = asked.topic;
    topic.topicId = asked.topicId.clone();
    for (let p = 0; p < asked.partitions.length; p++) {
      const partition = new FetchResponse_PartitionData();
      partition.partitionIndex = asked.partitions[p].partition;
      partition.highWatermark = 100;
      topic.partitions.push(partition);
    }
    response.responses.push(topic);
  }
  return response;
}

describe("Fetch gate", () => {
  it("forwards allowed topics and answers denied ones per partition, v4-18", () => {
    for (let v: i16 = 4; v <= 18; v++) {
      const request = fetchRequest(v, true, true);
      if (v >= 7) {
        const forgotten = new FetchRequest_ForgottenTopic();
        if (v >= 13) forgotten.topicId = SECRET_ID;
        else forgotten.topic = "secret-b";
        forgotten.partitions.push(3);
        request.forgottenTopicsData.push(forgotten);
      }
      const result = gateTopicApi(1, v, request, new FakeAuthorizer());
      const forwarded = expectRewrite<FetchRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      if (v >= 13) expect(forwarded.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
      else expect(forwarded.topics[0].topic).toBe("orders");
      // Forgetting a partition only edits the client's own session: left untouched.
      expect(forwarded.forgottenTopicsData.length).toBe(v >= 7 ? 1 : 0);

      const merged = mergeRoundTrip<FetchResponse>(result!, brokerFetchResponse(forwarded, v), v);
      expect(merged.responses.length).toBe(v >= 13 ? 3 : 2);
      expectFetchPartitions(merged, v, "orders", ORDERS_ID, 2, 0);
      expectFetchPartitions(merged, v, "secret-a", SECRET_ID, 1, 29);
      if (v >= 13) expectFetchPartitions(merged, v, "", UNKNOWN_ID, 1, 100);
      if (v >= 7) expect(merged.sessionId).toBe(77);
    }
  });

  it("answers a full fetch of denied topics itself, with no session, v4-18", () => {
    for (let v: i16 = 4; v <= 18; v++) {
      const request = fetchRequest(v, false, true);
      if (v >= 7) request.sessionEpoch = 0;
      const response = expectDeny<FetchResponse>(gateTopicApi(1, v, request, new FakeAuthorizer()), v);
      expect(response.responses.length).toBe(v >= 13 ? 2 : 1);
      expectFetchPartitions(response, v, "secret-a", SECRET_ID, 1, 29);
      expect(response.errorCode).toBe(0);
      expect(response.sessionId).toBe(0);
    }
  });

  it("still forwards an incremental fetch naming only denied topics (the session fetches the rest), v7-18", () => {
    for (let v: i16 = 7; v <= 18; v++) {
      const request = fetchRequest(v, false, true);
      request.sessionId = 77;
      request.sessionEpoch = 3;
      const result = gateTopicApi(1, v, request, new FakeAuthorizer());
      const forwarded = expectRewrite<FetchRequest>(result, v);
      expect(forwarded.topics.length).toBe(0);
      expect(forwarded.sessionId).toBe(77);
      expect(forwarded.sessionEpoch).toBe(3);
      const broker = fetchRequest(v, true, false);
      const merged = mergeRoundTrip<FetchResponse>(result!, brokerFetchResponse(broker, v), v);
      expectFetchPartitions(merged, v, "orders", ORDERS_ID, 2, 0);
      expectFetchPartitions(merged, v, "secret-a", SECRET_ID, 1, 29);
    }
  });

  it("lets followers with ClusterAction fetch anything, and answers others 29 everywhere, v4-18", () => {
    for (let v: i16 = 4; v <= 18; v++) {
      const request = fetchRequest(v, true, true);
      setReplica(request, v, 1);
      expectPass(gateTopicApi(1, v, request, new FakeAuthorizer()));

      const denied = fetchRequest(v, true, true);
      setReplica(denied, v, 1);
      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      const response = expectDeny<FetchResponse>(gateTopicApi(1, v, denied, authorizer), v);
      expectFetchPartitions(response, v, "orders", ORDERS_ID, 2, 29);
      expectFetchPartitions(response, v, "secret-a", SECRET_ID, 1, 29);
      expect(response.errorCode).toBe(0);
    }
  });

  it("passes consumers fetching allowed topics, v4-18", () => {
    for (let v: i16 = 4; v <= 18; v++) {
      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      expectPass(gateTopicApi(1, v, fetchRequest(v, true, false), authorizer));
      expect(authorizer.loggedDenials).toBe(0);
    }
  });

  it("leaves APIs it does not own to other gates", () => {
    const other = gateTopicApi(9, 8, new FetchRequest(), new FakeAuthorizer());
    expect(other === null).toBe(true);
    // A body of the wrong class for the key is never cast blindly.
    expect(gateTopicApi(0, 9, new FetchRequest(), new FakeAuthorizer()) === null).toBe(true);
  });
});
