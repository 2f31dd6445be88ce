// Synthesized denials must look like Kafka 4.3.1's own answer for the same refusal
// (issue 9's review): the error message is present exactly where Kafka sets one, with
// Kafka's text (Errors.message()), and a request entry that names nothing to authorize
// reaches the broker instead of being answered by the filter.
import { Uuid } from "../../../assembly/codec/types";
import { AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource } from "../../../assembly/codec/generated/AlterConfigsRequest";
import { AlterConfigsResponse } from "../../../assembly/codec/generated/AlterConfigsResponse";
import {
  IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequest_AlterConfigsResource,
} from "../../../assembly/codec/generated/IncrementalAlterConfigsRequest";
import { IncrementalAlterConfigsResponse } from "../../../assembly/codec/generated/IncrementalAlterConfigsResponse";
import { DeleteTopicsRequest, DeleteTopicsRequest_DeleteTopicState } from "../../../assembly/codec/generated/DeleteTopicsRequest";
import { DeleteTopicsResponse, DeleteTopicsResponse_DeletableTopicResult } from "../../../assembly/codec/generated/DeleteTopicsResponse";
import { FindCoordinatorRequest } from "../../../assembly/codec/generated/FindCoordinatorRequest";
import { FindCoordinatorResponse } from "../../../assembly/codec/generated/FindCoordinatorResponse";
import { DescribeTransactionsRequest } from "../../../assembly/codec/generated/DescribeTransactionsRequest";
import { DescribeTransactionsResponse } from "../../../assembly/codec/generated/DescribeTransactionsResponse";
import { DescribeClientQuotasRequest } from "../../../assembly/codec/generated/DescribeClientQuotasRequest";
import { DescribeClientQuotasResponse } from "../../../assembly/codec/generated/DescribeClientQuotasResponse";
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import { gateRequest } from "../../../assembly/acl/gate";
import { FakeAuthorizer, SECRET_ID, UNKNOWN_ID, expectDeny, expectRewrite, mergeRoundTrip } from "./topic-gate-helpers";
import { allowing, deniedResponse } from "./group-gate-helpers";

function alterResource(type: i8, name: string): AlterConfigsRequest_AlterConfigsResource {
  const resource = new AlterConfigsRequest_AlterConfigsResource();
  resource.resourceType = type;
  resource.resourceName = name;
  return resource;
}

function incrementalResource(type: i8, name: string): IncrementalAlterConfigsRequest_AlterConfigsResource {
  const resource = new IncrementalAlterConfigsRequest_AlterConfigsResource();
  resource.resourceType = type;
  resource.resourceName = name;
  return resource;
}

describe("AlterConfigs and IncrementalAlterConfigs denials", () => {
  // Kafka 4's controller answers each refused resource with new ApiError(error): its default message.
  it("carry Kafka's default message per resource type (AlterConfigs v0-2)", () => {
    for (let v: i16 = 0; v <= 2; v++) {
      const request = new AlterConfigsRequest();
      request.resources = [alterResource(2, "secret-a"), alterResource(4, "1"), alterResource(32, "locked")];
      const authorizer = new FakeAuthorizer();
      authorizer.clusterDenied = true;
      const denied = expectDeny<AlterConfigsResponse>(gateTopicApi(33, v, request, authorizer), v);
      expect(denied.responses.length).toBe(3);
      expect(denied.responses[0].errorCode).toBe(29);
      expect(denied.responses[0].errorMessage).toBe("Topic authorization failed.");
      expect(denied.responses[1].errorCode).toBe(31);
      expect(denied.responses[1].errorMessage).toBe("Cluster authorization failed.");
      expect(denied.responses[2].errorCode).toBe(30);
      expect(denied.responses[2].errorMessage).toBe("Group authorization failed.");
    }
  });

  it("carry Kafka's default message when merged into the broker's answer (IncrementalAlterConfigs v0-1)", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const request = new IncrementalAlterConfigsRequest();
      request.resources = [incrementalResource(2, "orders"), incrementalResource(2, "secret-a")];
      const result = gateTopicApi(44, v, request, new FakeAuthorizer());
      const forwarded = expectRewrite<IncrementalAlterConfigsRequest>(result, v);
      expect(forwarded.resources.length).toBe(1);
      const broker = new IncrementalAlterConfigsResponse();
      const merged = mergeRoundTrip<IncrementalAlterConfigsResponse>(result!, broker, v);
      expect(merged.responses.length).toBe(1);
      expect(merged.responses[0].resourceName).toBe("secret-a");
      expect(merged.responses[0].errorMessage).toBe("Topic authorization failed.");
    }
  });
});

function deleteState(name: string | null, id: Uuid): DeleteTopicsRequest_DeleteTopicState {
  const state = new DeleteTopicsRequest_DeleteTopicState();
  state.name = name;
  state.topicId = id;
  return state;
}

describe("DeleteTopics denials", () => {
  // The controller's appendResponse sets error.message of new ApiError(error); v5 added the field.
  it("carry Kafka's default message from v5, none before", () => {
    for (let v: i16 = 1; v <= 5; v++) {
      const request = new DeleteTopicsRequest();
      request.topicNames = ["secret-a"];
      const denied = expectDeny<DeleteTopicsResponse>(gateTopicApi(20, v, request, new FakeAuthorizer()), v);
      expect(denied.responses.length).toBe(1);
      expect(denied.responses[0].errorCode).toBe(29);
      if (v >= 5) expect(denied.responses[0].errorMessage).toBe("Topic authorization failed.");
      else expect(denied.responses[0].errorMessage).toBeNull();
    }
    const byId = new DeleteTopicsRequest();
    byId.topics = [deleteState(null, SECRET_ID), deleteState(null, UNKNOWN_ID)];
    const denied = expectDeny<DeleteTopicsResponse>(gateTopicApi(20, 6, byId, new FakeAuthorizer()), 6);
    expect(denied.responses[0].errorMessage).toBe("Topic authorization failed.");
    expect(denied.responses[1].errorCode).toBe(100);
    expect(denied.responses[1].errorMessage).toBe("This server does not host this topic ID.");
  });

  it("forwards a v6 entry naming neither topic nor id: the broker answers it (INVALID_REQUEST)", () => {
    const request = new DeleteTopicsRequest();
    request.topics = [deleteState(null, new Uuid()), deleteState("secret-a", new Uuid())];
    const result = gateTopicApi(20, 6, request, new FakeAuthorizer());
    const forwarded = expectRewrite<DeleteTopicsRequest>(result, 6);
    expect(forwarded.topics.length).toBe(1);
    expect(forwarded.topics[0].name).toBeNull();
    expect(forwarded.topics[0].topicId.isZero()).toBe(true);
    const broker = new DeleteTopicsResponse();
    const invalid = new DeleteTopicsResponse_DeletableTopicResult();
    invalid.name = null;
    invalid.errorCode = 42;
    broker.responses.push(invalid);
    const merged = mergeRoundTrip<DeleteTopicsResponse>(result!, broker, 6);
    expect(merged.responses.length).toBe(2);
    expect(merged.responses[0].errorCode).toBe(42);
    expect(merged.responses[1].name).toBe("secret-a");
    expect(merged.responses[1].errorCode).toBe(29);
  });
});

describe("FindCoordinator denials", () => {
  // v0-3: KafkaApis sets Errors.message(); v4+: it sets no message, so the schema default "" stays.
  it("carry Errors.message() at v1-3 and the default empty message per key at v4+", () => {
    for (let v: i16 = 1; v <= 3; v++) {
      const request = new FindCoordinatorRequest();
      request.key = "locked";
      const response = changetype<FindCoordinatorResponse>(deniedResponse(gateRequest(10, v, request, allowing())!, v));
      expect(response.errorCode).toBe(30);
      expect(response.errorMessage).toBe("Group authorization failed.");
      expect(response.host).toBe("");
      expect(response.port).toBe(-1);
    }
    for (let v: i16 = 4; v <= 6; v++) {
      const request = new FindCoordinatorRequest();
      request.coordinatorKeys.push("locked");
      const response = changetype<FindCoordinatorResponse>(deniedResponse(gateRequest(10, v, request, allowing())!, v));
      expect(response.coordinators.length).toBe(1);
      expect(response.coordinators[0].errorCode).toBe(30);
      expect(response.coordinators[0].errorMessage).toBe("");
      expect(response.coordinators[0].nodeId).toBe(-1);
    }
  });
});

describe("whole-entry denials keep Kafka's defaults", () => {
  // KafkaApis sets only the transactional id and the code on a refused id.
  it("DescribeTransactions: a refused id carries only its id and 53", () => {
    const request = new DescribeTransactionsRequest();
    request.transactionalIds = ["locked-tx"];
    const response = changetype<DescribeTransactionsResponse>(deniedResponse(gateRequest(65, 0, request, allowing())!, 0));
    expect(response.transactionStates.length).toBe(1);
    const state = response.transactionStates[0];
    expect(state.transactionalId).toBe("locked-tx");
    expect(state.errorCode).toBe(53);
    expect(state.producerId).toBe(0);
    expect(state.producerEpoch).toBe(0);
    expect(state.transactionTimeoutMs).toBe(0);
    expect(state.transactionStartTimeMs).toBe(0);
  });

  // DescribeClientQuotasRequest.getErrorResponse sets Entries to null.
  it("DescribeClientQuotas: 31 with a null entry list (v0-1)", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const request = new DescribeClientQuotasRequest();
      const response = changetype<DescribeClientQuotasResponse>(deniedResponse(gateRequest(48, v, request, allowing())!, v));
      expect(response.errorCode).toBe(31);
      expect(response.entries === null).toBe(true, "entries null");
    }
  });
});
