// CreateTopics (19, v2-7), DeleteTopics (20, v1-6), CreatePartitions (37, v0-3), the
// config APIs (32 v1-4, 33 v0-2, 44 v0-1) and the Cluster-only partition APIs
// (43 v0-2, 45 v0-1, 46 v0).
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import { Verdict } from "../../../assembly/acl/model";
import { Uuid } from "../../../assembly/codec/types";
import { CreateTopicsRequest, CreateTopicsRequest_CreatableTopic } from "../../../assembly/codec/generated/CreateTopicsRequest";
import {
  CreateTopicsResponse, CreateTopicsResponse_CreatableTopicConfigs, CreateTopicsResponse_CreatableTopicResult,
} from "../../../assembly/codec/generated/CreateTopicsResponse";
import { DeleteTopicsRequest, DeleteTopicsRequest_DeleteTopicState } from "../../../assembly/codec/generated/DeleteTopicsRequest";
import { DeleteTopicsResponse, DeleteTopicsResponse_DeletableTopicResult } from "../../../assembly/codec/generated/DeleteTopicsResponse";
import { CreatePartitionsRequest, CreatePartitionsRequest_CreatePartitionsTopic } from "../../../assembly/codec/generated/CreatePartitionsRequest";
import {
  CreatePartitionsResponse, CreatePartitionsResponse_CreatePartitionsTopicResult,
} from "../../../assembly/codec/generated/CreatePartitionsResponse";
import { DescribeConfigsRequest, DescribeConfigsRequest_DescribeConfigsResource } from "../../../assembly/codec/generated/DescribeConfigsRequest";
import { DescribeConfigsResponse, DescribeConfigsResponse_DescribeConfigsResult } from "../../../assembly/codec/generated/DescribeConfigsResponse";
import { AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource } from "../../../assembly/codec/generated/AlterConfigsRequest";
import { AlterConfigsResponse, AlterConfigsResponse_AlterConfigsResourceResponse } from "../../../assembly/codec/generated/AlterConfigsResponse";
import {
  IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequest_AlterConfigsResource,
} from "../../../assembly/codec/generated/IncrementalAlterConfigsRequest";
import {
  IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponse_AlterConfigsResourceResponse,
} from "../../../assembly/codec/generated/IncrementalAlterConfigsResponse";
import { ElectLeadersRequest, ElectLeadersRequest_TopicPartitions } from "../../../assembly/codec/generated/ElectLeadersRequest";
import { ElectLeadersResponse } from "../../../assembly/codec/generated/ElectLeadersResponse";
import {
  AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsRequest_ReassignablePartition,
  AlterPartitionReassignmentsRequest_ReassignableTopic,
} from "../../../assembly/codec/generated/AlterPartitionReassignmentsRequest";
import { AlterPartitionReassignmentsResponse } from "../../../assembly/codec/generated/AlterPartitionReassignmentsResponse";
import { ListPartitionReassignmentsRequest } from "../../../assembly/codec/generated/ListPartitionReassignmentsRequest";
import { ListPartitionReassignmentsResponse } from "../../../assembly/codec/generated/ListPartitionReassignmentsResponse";
import {
  FakeAuthorizer, ORDERS_ID, SECRET_ID, UNKNOWN_ID, expectDeny, expectPass, expectRewrite, mergeRoundTrip,
} from "./topic-gate-helpers";

// ---- CreateTopics -----------------------------------------------------------------------------

function createTopics(names: string[]): CreateTopicsRequest {
  const request = new CreateTopicsRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new CreateTopicsRequest_CreatableTopic();
    topic.name = names[i];
    topic.numPartitions = 3;
    topic.replicationFactor = 1;
    request.topics.push(topic);
  }
  return request;
}

function createTopicsBroker(forwarded: CreateTopicsRequest, version: i16): CreateTopicsResponse {
  const response = new CreateTopicsResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const result = new CreateTopicsResponse_CreatableTopicResult();
    result.name = forwarded.topics[i].name;
    result.errorMessage = null;
    if (version >= 5) {
      result.numPartitions = 3;
      result.replicationFactor = 1;
      const config = new CreateTopicsResponse_CreatableTopicConfigs();
      config.name = "retention.ms";
      config.value = "1000";
      result.configs = [config];
    }
    response.topics.push(result);
  }
  return response;
}

function createResult(response: CreateTopicsResponse, name: string): CreateTopicsResponse_CreatableTopicResult | null {
  for (let i = 0; i < response.topics.length; i++) if (response.topics[i].name == name) return response.topics[i];
  return null;
}

describe("CreateTopics gate", () => {
  it("needs Create on the Cluster or on the topic, v2-7", () => {
    for (let v: i16 = 2; v <= 7; v++) {
      expectPass(gateTopicApi(19, v, createTopics(["orders", "secret-a"]), new FakeAuthorizer()));

      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      const result = gateTopicApi(19, v, createTopics(["orders", "secret-a"]), authorizer);
      const forwarded = expectRewrite<CreateTopicsRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      expect(forwarded.topics[0].name).toBe("orders");
      const merged = mergeRoundTrip<CreateTopicsResponse>(result!, createTopicsBroker(forwarded, v), v);
      expect(merged.topics.length).toBe(2);
      expect(createResult(merged, "orders")!.errorCode).toBe(0);
      const denied = createResult(merged, "secret-a")!;
      expect(denied.errorCode).toBe(29);
      expect(denied.errorMessage!).toBe("Authorization failed.");
      expect(denied.numPartitions).toBe(-1);
      expect(denied.replicationFactor).toBe(-1);
      expect(denied.configs!.length).toBe(0);

      const none = new FakeAuthorizer();
      none.clusterDenied = true;
      const response = expectDeny<CreateTopicsResponse>(gateTopicApi(19, v, createTopics(["secret-a", "secret-b"]), none), v);
      expect(response.topics.length).toBe(2);
      expect(createResult(response, "secret-b")!.errorCode).toBe(29);
    }
  });

  it("hides the created topic's configs without DescribeConfigs on it, v5-7", () => {
    for (let v: i16 = 2; v <= 7; v++) {
      const result = gateTopicApi(19, v, createTopics(["orders", "nocreate-x"]), new FakeAuthorizer())!;
      if (v < 5) {
        expectPass(result);
        continue;
      }
      expect(result.verdict).toBe(Verdict.Pass);
      const merged = mergeRoundTrip<CreateTopicsResponse>(result, createTopicsBroker(createTopics(["orders", "nocreate-x"]), v), v);
      const hidden = createResult(merged, "nocreate-x")!;
      expect(hidden.errorCode).toBe(0);
      expect(hidden.topicConfigErrorCode).toBe(29);
      expect(hidden.configs!.length).toBe(0);
      expect(hidden.numPartitions).toBe(3);
      const shown = createResult(merged, "orders")!;
      expect(shown.topicConfigErrorCode).toBe(0);
      expect(shown.configs!.length).toBe(1);
    }
  });
});

// ---- DeleteTopics ------------------------------------------------------------------------------

function deleteState(name: string | null, id: Uuid): DeleteTopicsRequest_DeleteTopicState {
  const state = new DeleteTopicsRequest_DeleteTopicState();
  state.name = name;
  state.topicId = id;
  return state;
}

function deleteBroker(forwarded: DeleteTopicsRequest, version: i16): DeleteTopicsResponse {
  const response = new DeleteTopicsResponse();
  if (version < 6) {
    for (let i = 0; i < forwarded.topicNames.length; i++) {
      const result = new DeleteTopicsResponse_DeletableTopicResult();
      result.name = forwarded.topicNames[i];
      response.responses.push(result);
    }
  } else {
    for (let i = 0; i < forwarded.topics.length; i++) {
      const result = new DeleteTopicsResponse_DeletableTopicResult();
      const asked = forwarded.topics[i];
      result.name = asked.name !== null ? asked.name : "orders";
      result.topicId = asked.topicId.isZero() ? ORDERS_ID : asked.topicId;
      response.responses.push(result);
    }
  }
  return response;
}

/** "name-or-null/id-kind:code" entries in response order. */
function deleteCodes(response: DeleteTopicsResponse): string {
  let s = "";
  for (let i = 0; i < response.responses.length; i++) {
    const r = response.responses[i];
    const id = r.topicId;
    const idKind = id.equals(ORDERS_ID) ? "orders-id" : id.equals(SECRET_ID) ? "secret-id" : id.equals(UNKNOWN_ID) ? "unknown-id" : "-";
    s += (i > 0 ? "|" : "") + (r.name !== null ? r.name! : "null") + "/" + idKind + ":" + r.errorCode.toString();
  }
  return s;
}

describe("DeleteTopics gate", () => {
  it("needs Delete on each named topic, v1-5", () => {
    for (let v: i16 = 1; v <= 5; v++) {
      const request = new DeleteTopicsRequest();
      request.topicNames = ["orders", "secret-a"];
      const result = gateTopicApi(20, v, request, new FakeAuthorizer());
      const forwarded = expectRewrite<DeleteTopicsRequest>(result, v);
      expect(forwarded.topicNames.length).toBe(1);
      const merged = mergeRoundTrip<DeleteTopicsResponse>(result!, deleteBroker(forwarded, v), v);
      expect(deleteCodes(merged)).toBe("orders/-:0|secret-a/-:29");

      const all = new DeleteTopicsRequest();
      all.topicNames = ["secret-a"];
      const denied = expectDeny<DeleteTopicsResponse>(gateTopicApi(20, v, all, new FakeAuthorizer()), v);
      expect(deleteCodes(denied)).toBe("secret-a/-:29");

      const allowed = new DeleteTopicsRequest();
      allowed.topicNames = ["orders"];
      expectPass(gateTopicApi(20, v, allowed, new FakeAuthorizer()));
    }
  });

  it("resolves ids at v6: unknown 100, denied 29 without the name", () => {
    const request = new DeleteTopicsRequest();
    request.topics = [
      deleteState(null, ORDERS_ID), deleteState(null, SECRET_ID), deleteState(null, UNKNOWN_ID),
      deleteState("secret-a", new Uuid()), deleteState("payments", new Uuid()),
    ];
    const result = gateTopicApi(20, 6, request, new FakeAuthorizer());
    const forwarded = expectRewrite<DeleteTopicsRequest>(result, 6);
    expect(forwarded.topics.length).toBe(2);
    const merged = mergeRoundTrip<DeleteTopicsResponse>(result!, deleteBroker(forwarded, 6), 6);
    expect(deleteCodes(merged)).toBe(
      "orders/orders-id:0|payments/orders-id:0|null/secret-id:29|null/unknown-id:100|secret-a/-:29");

    const all = new DeleteTopicsRequest();
    all.topics = [deleteState(null, SECRET_ID)];
    const denied = expectDeny<DeleteTopicsResponse>(gateTopicApi(20, 6, all, new FakeAuthorizer()), 6);
    expect(deleteCodes(denied)).toBe("null/secret-id:29");
  });
});

// ---- CreatePartitions --------------------------------------------------------------------------

function createPartitions(names: string[]): CreatePartitionsRequest {
  const request = new CreatePartitionsRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new CreatePartitionsRequest_CreatePartitionsTopic();
    topic.name = names[i];
    topic.count = 6;
    request.topics.push(topic);
  }
  return request;
}

function createPartitionsCodes(response: CreatePartitionsResponse): string {
  let s = "";
  for (let i = 0; i < response.results.length; i++) {
    s += (i > 0 ? "|" : "") + response.results[i].name + ":" + response.results[i].errorCode.toString();
  }
  return s;
}

describe("CreatePartitions gate", () => {
  it("needs Alter on each topic, v0-3", () => {
    for (let v: i16 = 0; v <= 3; v++) {
      const result = gateTopicApi(37, v, createPartitions(["secret-a", "orders"]), new FakeAuthorizer());
      const forwarded = expectRewrite<CreatePartitionsRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      const broker = new CreatePartitionsResponse();
      const ok = new CreatePartitionsResponse_CreatePartitionsTopicResult();
      ok.name = forwarded.topics[0].name;
      broker.results.push(ok);
      const merged = mergeRoundTrip<CreatePartitionsResponse>(result!, broker, v);
      // Kafka's controller lists refused topics first.
      expect(createPartitionsCodes(merged)).toBe("secret-a:29|orders:0");
      const denied = expectDeny<CreatePartitionsResponse>(gateTopicApi(37, v, createPartitions(["secret-a"]), new FakeAuthorizer()), v);
      expect(createPartitionsCodes(denied)).toBe("secret-a:29");
      expectPass(gateTopicApi(37, v, createPartitions(["orders"]), new FakeAuthorizer()));
    }
  });
});

// ---- Config APIs -------------------------------------------------------------------------------

// Resource types: topic 2, broker 4, broker logger 8, client metrics 16, group 32.
const TYPES: i8[] = [2, 2, 4, 8, 16, 32, 32];
const NAMES: string[] = ["orders", "secret-a", "1", "1", "metrics", "locked", "g1"];
/** With the Cluster denied: the expected code per resource above. */
const DENIED_CODES: i16[] = [0, 29, 31, 31, 31, 30, 0];

/** A config request (any of the three APIs: their resources share these fields) naming `types`/`names`. */
function configRequest<Request, Resource>(types: i8[], names: string[]): Request {
  const request = instantiate<Request>();
  for (let i = 0; i < types.length; i++) {
    const resource = instantiate<Resource>();
    resource.resourceType = types[i];
    resource.resourceName = names[i];
    request.resources.push(resource);
  }
  return request;
}

function describeConfigs(types: i8[], names: string[]): DescribeConfigsRequest {
  return configRequest<DescribeConfigsRequest, DescribeConfigsRequest_DescribeConfigsResource>(types, names);
}

function alterConfigs(types: i8[], names: string[]): AlterConfigsRequest {
  return configRequest<AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource>(types, names);
}

function incrementalAlterConfigs(types: i8[], names: string[]): IncrementalAlterConfigsRequest {
  return configRequest<IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequest_AlterConfigsResource>(types, names);
}

function clusterDenied(): FakeAuthorizer {
  const authorizer = new FakeAuthorizer();
  authorizer.clusterDenied = true;
  return authorizer;
}

/** The code each requested resource got in the merged answer, keyed by (type, name). */
function expectConfigCodes(types: Array<i8>, names: Array<string>, codes: Array<i16>, expected: i16[]): void {
  expect(types.length).toBe(TYPES.length);
  for (let i = 0; i < TYPES.length; i++) {
    let found = -1;
    for (let j = 0; j < types.length; j++) if (types[j] == TYPES[i] && names[j] == NAMES[i]) found = j;
    expect(found).toBeGreaterThanOrEqual(0);
    expect(codes[found]).toBe(expected[i]);
  }
}

/**
 * For either alter API (their responses share these fields): TYPES/NAMES under a denied
 * Cluster forward the two allowed resources, and the merged answer carries DENIED_CODES.
 */
function expectAlteredConfigsMerged<Request, Response, Result>(apiKey: i16, version: i16, request: Request): void {
  const result = gateTopicApi(apiKey, version, request, clusterDenied());
  const forwarded = expectRewrite<Request>(result, version);
  expect(forwarded.resources.length).toBe(2);
  const broker = instantiate<Response>();
  for (let i = 0; i < forwarded.resources.length; i++) {
    const r = instantiate<Result>();
    r.resourceType = forwarded.resources[i].resourceType;
    r.resourceName = forwarded.resources[i].resourceName;
    broker.responses.push(r);
  }
  const merged = mergeRoundTrip<Response>(result!, broker, version);
  const types = new Array<i8>(), names = new Array<string>(), codes = new Array<i16>();
  for (let i = 0; i < merged.responses.length; i++) {
    types.push(merged.responses[i].resourceType);
    names.push(merged.responses[i].resourceName);
    codes.push(merged.responses[i].errorCode);
  }
  expectConfigCodes(types, names, codes, DENIED_CODES);
}

describe("Config gates", () => {
  it("DescribeConfigs: per resource, topic 29, cluster-level 31, group 30, v1-4", () => {
    for (let v: i16 = 1; v <= 4; v++) {
      const result = gateTopicApi(32, v, describeConfigs(TYPES, NAMES), clusterDenied());
      const forwarded = expectRewrite<DescribeConfigsRequest>(result, v);
      expect(forwarded.resources.length).toBe(2);
      const broker = new DescribeConfigsResponse();
      for (let i = 0; i < forwarded.resources.length; i++) {
        const r = new DescribeConfigsResponse_DescribeConfigsResult();
        r.resourceType = forwarded.resources[i].resourceType;
        r.resourceName = forwarded.resources[i].resourceName;
        r.errorMessage = null;
        broker.results.push(r);
      }
      const merged = mergeRoundTrip<DescribeConfigsResponse>(result!, broker, v);
      const types = new Array<i8>(), names = new Array<string>(), codes = new Array<i16>();
      for (let i = 0; i < merged.results.length; i++) {
        types.push(merged.results[i].resourceType);
        names.push(merged.results[i].resourceName);
        codes.push(merged.results[i].errorCode);
        if (merged.results[i].errorCode == 31) expect(merged.results[i].errorMessage!).toBe("Cluster authorization failed.");
      }
      expectConfigCodes(types, names, codes, DENIED_CODES);

      const denied = expectDeny<DescribeConfigsResponse>(gateTopicApi(32, v, describeConfigs([2, 4], ["secret-a", "1"]), clusterDenied()), v);
      expect(denied.results.length).toBe(2);
      expect(denied.results[0].errorCode).toBe(29);
      expect(denied.results[1].errorCode).toBe(31);
      expectPass(gateTopicApi(32, v, describeConfigs([2, 4, 32], ["orders", "1", "g1"]), new FakeAuthorizer()));
    }
  });

  it("AlterConfigs: same rule with AlterConfigs, v0-2", () => {
    for (let v: i16 = 0; v <= 2; v++) {
      expectAlteredConfigsMerged<
        AlterConfigsRequest, AlterConfigsResponse, AlterConfigsResponse_AlterConfigsResourceResponse
      >(33, v, alterConfigs(TYPES, NAMES));
      const denied = expectDeny<AlterConfigsResponse>(gateTopicApi(33, v, alterConfigs([32], ["locked"]), new FakeAuthorizer()), v);
      expect(denied.responses[0].errorCode).toBe(30);
      expectPass(gateTopicApi(33, v, alterConfigs([2], ["orders"]), new FakeAuthorizer()));
    }
  });

  it("IncrementalAlterConfigs: same rule with AlterConfigs, v0-1", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      expectAlteredConfigsMerged<
        IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponse_AlterConfigsResourceResponse
      >(44, v, incrementalAlterConfigs(TYPES, NAMES));
      const denied = expectDeny<IncrementalAlterConfigsResponse>(
        gateTopicApi(44, v, incrementalAlterConfigs([8], ["1"]), clusterDenied()), v);
      expect(denied.responses[0].errorCode).toBe(31);
      expectPass(gateTopicApi(44, v, incrementalAlterConfigs([2, 8], ["orders", "1"]), new FakeAuthorizer()));
    }
  });
});

// ---- Cluster-only partition administration --------------------------------------------------------

describe("Cluster-only gates", () => {
  it("ElectLeaders needs Alter on the Cluster, v0-2", () => {
    for (let v: i16 = 0; v <= 2; v++) {
      const request = new ElectLeadersRequest();
      const topic = new ElectLeadersRequest_TopicPartitions();
      topic.topic = "orders";
      topic.partitions = [0, 1];
      request.topicPartitions = [topic];
      expectPass(gateTopicApi(43, v, request, new FakeAuthorizer()));
      const response = expectDeny<ElectLeadersResponse>(gateTopicApi(43, v, request, clusterDenied()), v);
      expect(response.errorCode).toBe(v >= 1 ? 31 : 0);
      expect(response.replicaElectionResults.length).toBe(1);
      expect(response.replicaElectionResults[0].partitionResult.length).toBe(2);
      expect(response.replicaElectionResults[0].partitionResult[1].errorCode).toBe(31);

      const everything = new ElectLeadersRequest();
      everything.topicPartitions = null;
      const all = expectDeny<ElectLeadersResponse>(gateTopicApi(43, v, everything, clusterDenied()), v);
      expect(all.replicaElectionResults.length).toBe(0);
    }
  });

  it("AlterPartitionReassignments needs Alter on the Cluster, v0-1", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const request = new AlterPartitionReassignmentsRequest();
      const topic = new AlterPartitionReassignmentsRequest_ReassignableTopic();
      topic.name = "secret-a";
      const partition = new AlterPartitionReassignmentsRequest_ReassignablePartition();
      partition.partitionIndex = 4;
      topic.partitions.push(partition);
      request.topics.push(topic);
      expectPass(gateTopicApi(45, v, request, new FakeAuthorizer()));
      const response = expectDeny<AlterPartitionReassignmentsResponse>(gateTopicApi(45, v, request, clusterDenied()), v);
      expect(response.errorCode).toBe(31);
      expect(response.responses[0].partitions[0].partitionIndex).toBe(4);
      expect(response.responses[0].partitions[0].errorCode).toBe(31);
    }
  });

  it("ListPartitionReassignments needs Describe on the Cluster, v0", () => {
    const request = new ListPartitionReassignmentsRequest();
    expectPass(gateTopicApi(46, 0, request, new FakeAuthorizer()));
    const response = expectDeny<ListPartitionReassignmentsResponse>(gateTopicApi(46, 0, request, clusterDenied()), 0);
    expect(response.errorCode).toBe(31);
    expect(response.topics.length).toBe(0);
  });
});
