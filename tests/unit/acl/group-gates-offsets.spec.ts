// OffsetCommit and OffsetFetch (single-group v1-7 and batched v8+) at every version.
import { Uuid } from "../../../assembly/codec/types";
import {
  OffsetCommitRequest, OffsetCommitRequest_OffsetCommitRequestPartition, OffsetCommitRequest_OffsetCommitRequestTopic,
} from "../../../assembly/codec/generated/OffsetCommitRequest";
import {
  OffsetCommitResponse, OffsetCommitResponse_OffsetCommitResponsePartition, OffsetCommitResponse_OffsetCommitResponseTopic,
} from "../../../assembly/codec/generated/OffsetCommitResponse";
import {
  OffsetFetchRequest, OffsetFetchRequest_OffsetFetchRequestGroup, OffsetFetchRequest_OffsetFetchRequestTopic,
  OffsetFetchRequest_OffsetFetchRequestTopics,
} from "../../../assembly/codec/generated/OffsetFetchRequest";
import {
  OffsetFetchResponse, OffsetFetchResponse_OffsetFetchResponseGroup, OffsetFetchResponse_OffsetFetchResponsePartition,
  OffsetFetchResponse_OffsetFetchResponsePartitions, OffsetFetchResponse_OffsetFetchResponseTopic,
  OffsetFetchResponse_OffsetFetchResponseTopics,
} from "../../../assembly/codec/generated/OffsetFetchResponse";
import { gateRequest } from "../../../assembly/acl/gate";
import { Verdict } from "../../../assembly/acl/model";
import {
  ORDERS_ID, SECRET_ID, UNKNOWN_ID, allowing, deniedResponse, errorCodes, forwardedRequest, merged,
} from "./group-gate-helpers";

// ---- OffsetCommit ----------------------------------------------------------------------

function commitTopic(name: string, id: Uuid, partitions: i32): OffsetCommitRequest_OffsetCommitRequestTopic {
  const topic = new OffsetCommitRequest_OffsetCommitRequestTopic();
  topic.name = name;
  topic.topicId = id;
  for (let i = 0; i < partitions; i++) {
    const p = new OffsetCommitRequest_OffsetCommitRequestPartition();
    p.partitionIndex = i;
    topic.partitions.push(p);
  }
  return topic;
}

/** v2-9 name topics; v10 names them by id (ids of the names used below, plus an unknown one). */
function commitRequest(version: i16, group: string, withDenied: bool): OffsetCommitRequest {
  const request = new OffsetCommitRequest();
  request.groupId = group;
  const byId = version >= 10;
  request.topics.push(commitTopic(byId ? "" : "orders", byId ? ORDERS_ID : new Uuid(), 2));
  if (withDenied) {
    request.topics.push(commitTopic(byId ? "" : "secret-ledger", byId ? SECRET_ID : new Uuid(), 1));
    if (byId) request.topics.push(commitTopic("", UNKNOWN_ID, 1));
  }
  return request;
}

function commitBrokerResponse(forwarded: OffsetCommitRequest): OffsetCommitResponse {
  const response = new OffsetCommitResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const topic = forwarded.topics[i];
    const result = new OffsetCommitResponse_OffsetCommitResponseTopic();
    result.name = topic.name;
    result.topicId = topic.topicId;
    for (let j = 0; j < topic.partitions.length; j++) {
      const p = new OffsetCommitResponse_OffsetCommitResponsePartition();
      p.partitionIndex = topic.partitions[j].partitionIndex;
      result.partitions.push(p);
    }
    response.topics.push(result);
  }
  return response;
}

describe("OffsetCommit gate", () => {
  it("forwards allowed topics and answers denied ones per partition, at every version", () => {
    for (let v: i16 = 2; v <= 10; v++) {
      const result = gateRequest(8, v, commitRequest(v, "app", true), allowing())!;
      const forwarded = forwardedRequest(result, v);
      expect(forwarded !== null).toBe(true);
      const sent = changetype<OffsetCommitRequest>(forwarded);
      expect(sent.topics.length).toBe(1);
      if (v < 10) expect(sent.topics[0].name).toBe("orders");
      else expect(sent.topics[0].topicId.equals(ORDERS_ID)).toBe(true);
      const response = merged(result, commitBrokerResponse(sent), v);
      expect(response !== null).toBe(true);
      // Refused first, as Kafka's response builder holds them: secret (29), at v10 the
      // unknown id (100), then orders (2 partitions, broker's 0).
      expect(errorCodes(response!)).toBe(v < 10 ? "29,0,0" : "29,100,0,0");
    }
  });

  it("denies every partition with GROUP_AUTHORIZATION_FAILED when the group is denied", () => {
    for (let v: i16 = 2; v <= 10; v++) {
      const response = deniedResponse(gateRequest(8, v, commitRequest(v, "locked-app", true), allowing())!, v);
      expect(response !== null).toBe(true);
      expect(errorCodes(response!)).toBe(v < 10 ? "30,30,30" : "30,30,30,30");
    }
  });

  it("answers alone when every topic is denied, and passes when all are allowed", () => {
    for (let v: i16 = 2; v <= 10; v++) {
      const request = commitRequest(v, "app", true);
      request.topics.shift();
      const response = deniedResponse(gateRequest(8, v, request, allowing())!, v);
      expect(response !== null).toBe(true);
      expect(errorCodes(response!)).toBe(v < 10 ? "29" : "29,100");
      const allowed = gateRequest(8, v, commitRequest(v, "app", false), allowing())!;
      expect(allowed.verdict).toBe(Verdict.Pass);
      expect(allowed.request === null).toBe(true);
    }
  });
});

// ---- OffsetFetch -----------------------------------------------------------------------

function fetchTopic(name: string, partitions: i32): OffsetFetchRequest_OffsetFetchRequestTopic {
  const topic = new OffsetFetchRequest_OffsetFetchRequestTopic();
  topic.name = name;
  for (let i = 0; i < partitions; i++) topic.partitionIndexes.push(i);
  return topic;
}

function singleGroupFetch(group: string, withDenied: bool): OffsetFetchRequest {
  const request = new OffsetFetchRequest();
  request.groupId = group;
  const topics = new Array<OffsetFetchRequest_OffsetFetchRequestTopic>();
  topics.push(fetchTopic("orders", 2));
  if (withDenied) topics.push(fetchTopic("secret-ledger", 1));
  request.topics = topics;
  return request;
}

function singleGroupBrokerResponse(topicNames: Array<string>): OffsetFetchResponse {
  const response = new OffsetFetchResponse();
  for (let i = 0; i < topicNames.length; i++) {
    const topic = new OffsetFetchResponse_OffsetFetchResponseTopic();
    topic.name = topicNames[i];
    const p = new OffsetFetchResponse_OffsetFetchResponsePartition();
    topic.partitions.push(p);
    response.topics.push(topic);
  }
  return response;
}

function batchedTopics(version: i16, withDenied: bool): Array<OffsetFetchRequest_OffsetFetchRequestTopics> {
  const topics = new Array<OffsetFetchRequest_OffsetFetchRequestTopics>();
  const orders = new OffsetFetchRequest_OffsetFetchRequestTopics();
  if (version >= 10) orders.topicId = ORDERS_ID; else orders.name = "orders";
  orders.partitionIndexes.push(0);
  topics.push(orders);
  if (withDenied) {
    const secret = new OffsetFetchRequest_OffsetFetchRequestTopics();
    if (version >= 10) secret.topicId = SECRET_ID; else secret.name = "secret-ledger";
    secret.partitionIndexes.push(0);
    secret.partitionIndexes.push(1);
    topics.push(secret);
  }
  return topics;
}

function batchedGroup(id: string, topics: Array<OffsetFetchRequest_OffsetFetchRequestTopics> | null): OffsetFetchRequest_OffsetFetchRequestGroup {
  const group = new OffsetFetchRequest_OffsetFetchRequestGroup();
  group.groupId = id;
  group.topics = topics;
  return group;
}

function batchedBrokerTopic(version: i16, name: string, id: Uuid): OffsetFetchResponse_OffsetFetchResponseTopics {
  const topic = new OffsetFetchResponse_OffsetFetchResponseTopics();
  if (version >= 10) topic.topicId = id; else topic.name = name;
  topic.partitions.push(new OffsetFetchResponse_OffsetFetchResponsePartitions());
  return topic;
}

describe("OffsetFetch gate, one group (v1-7)", () => {
  it("forwards allowed topics and answers denied ones with 29", () => {
    for (let v: i16 = 1; v <= 7; v++) {
      const result = gateRequest(9, v, singleGroupFetch("app", true), allowing())!;
      const forwarded = forwardedRequest(result, v);
      expect(forwarded !== null).toBe(true);
      const sent = changetype<OffsetFetchRequest>(forwarded);
      expect(sent.topics!.length).toBe(1);
      expect(sent.topics![0].name).toBe("orders");
      const response = merged(result, singleGroupBrokerResponse(["orders"]), v);
      expect(response !== null).toBe(true);
      // The top-level ErrorCode (0; v1 has none and reports its default) follows the topics.
      expect(errorCodes(response!)).toBe("0,29,0");
    }
  });

  it("denies the group at the top level (v2+) or per partition (v1)", () => {
    for (let v: i16 = 1; v <= 7; v++) {
      const response = deniedResponse(gateRequest(9, v, singleGroupFetch("locked-app", true), allowing())!, v);
      expect(response !== null).toBe(true);
      expect(errorCodes(response!)).toBe(v >= 2 ? "30" : "30,30,30,0");
    }
  });

  it("quietly drops undescribable topics when all topics are asked for (v2+)", () => {
    for (let v: i16 = 2; v <= 7; v++) {
      const request = singleGroupFetch("app", false);
      request.topics = null;
      const authorizer = allowing();
      const result = gateRequest(9, v, request, authorizer)!;
      expect(result.verdict).toBe(Verdict.Pass);
      expect(result.merger !== null).toBe(true);
      const response = merged(result, singleGroupBrokerResponse(["orders", "secret-ledger"]), v);
      const topics = changetype<OffsetFetchResponse>(response).topics;
      expect(topics.length).toBe(1);
      expect(topics[0].name).toBe("orders");
      expect(authorizer.quietQuestions).toBe(2);
    }
  });
});

describe("OffsetFetch gate, batched groups (v8+)", () => {
  it("denies groups and topics per entry and forwards the rest", () => {
    for (let v: i16 = 8; v <= 10; v++) {
      const request = new OffsetFetchRequest();
      request.groups.push(batchedGroup("app", batchedTopics(v, true)));
      request.groups.push(batchedGroup("locked-app", batchedTopics(v, false)));
      request.groups.push(batchedGroup("all-topics", null));
      const result = gateRequest(9, v, request, allowing())!;
      const forwarded = forwardedRequest(result, v);
      expect(forwarded !== null).toBe(true);
      const sent = changetype<OffsetFetchRequest>(forwarded);
      expect(sent.groups.length).toBe(2);
      expect(sent.groups[0].groupId).toBe("app");
      expect(sent.groups[0].topics!.length).toBe(1);
      expect(sent.groups[1].groupId).toBe("all-topics");
      expect(sent.groups[1].topics === null).toBe(true);

      const broker = new OffsetFetchResponse();
      const app = new OffsetFetchResponse_OffsetFetchResponseGroup();
      app.groupId = "app";
      app.topics.push(batchedBrokerTopic(v, "orders", ORDERS_ID));
      broker.groups.push(app);
      const all = new OffsetFetchResponse_OffsetFetchResponseGroup();
      all.groupId = "all-topics";
      all.topics.push(batchedBrokerTopic(v, "orders", ORDERS_ID));
      all.topics.push(batchedBrokerTopic(v, "secret-ledger", SECRET_ID));
      broker.groups.push(all);
      const response = merged(result, broker, v);
      expect(response !== null).toBe(true);
      // The v1-7 top-level ErrorCode (default 0) comes first, then app: orders 0, secret 29 x2,
      // group 0; all-topics: orders 0 (secret dropped), group 0; locked-app: group 30.
      expect(errorCodes(response!)).toBe("0,0,29,29,0,0,0,30");
      const groups = changetype<OffsetFetchResponse>(response).groups;
      expect(groups.length).toBe(3);
      expect(groups[1].topics.length).toBe(1);
      expect(groups[2].groupId).toBe("locked-app");
    }
  });

  it("denies the whole request when every group is denied, and passes when all is allowed", () => {
    for (let v: i16 = 8; v <= 10; v++) {
      const request = new OffsetFetchRequest();
      request.groups.push(batchedGroup("locked-a", batchedTopics(v, true)));
      request.groups.push(batchedGroup("locked-b", null));
      const response = deniedResponse(gateRequest(9, v, request, allowing())!, v);
      expect(response !== null).toBe(true);
      expect(errorCodes(response!)).toBe("0,30,30");

      const allowed = new OffsetFetchRequest();
      allowed.groups.push(batchedGroup("app", batchedTopics(v, false)));
      const result = gateRequest(9, v, allowed, allowing())!;
      expect(result.verdict).toBe(Verdict.Pass);
      expect(result.merger === null).toBe(true);
    }
  });
});
