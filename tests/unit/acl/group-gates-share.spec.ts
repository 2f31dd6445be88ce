// Share-group gates past the top level: ShareFetch and ShareAcknowledge refuse the whole
// request for one denied topic id; AlterShareGroupOffsets and DeleteShareGroupOffsets
// forward the allowed topics and answer the denied ones in the merged response.
import { Uuid } from "../../../assembly/codec/types";
import { ShareFetchRequest, ShareFetchRequest_FetchPartition, ShareFetchRequest_FetchTopic } from "../../../assembly/codec/generated/ShareFetchRequest";
import { ShareFetchResponse } from "../../../assembly/codec/generated/ShareFetchResponse";
import {
  ShareAcknowledgeRequest, ShareAcknowledgeRequest_AcknowledgePartition, ShareAcknowledgeRequest_AcknowledgeTopic,
} from "../../../assembly/codec/generated/ShareAcknowledgeRequest";
import { ShareAcknowledgeResponse } from "../../../assembly/codec/generated/ShareAcknowledgeResponse";
import {
  AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestPartition,
  AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestTopic,
} from "../../../assembly/codec/generated/AlterShareGroupOffsetsRequest";
import {
  AlterShareGroupOffsetsResponse, AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponsePartition,
  AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic,
} from "../../../assembly/codec/generated/AlterShareGroupOffsetsResponse";
import {
  DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsRequest_DeleteShareGroupOffsetsRequestTopic,
} from "../../../assembly/codec/generated/DeleteShareGroupOffsetsRequest";
import {
  DeleteShareGroupOffsetsResponse, DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic,
} from "../../../assembly/codec/generated/DeleteShareGroupOffsetsResponse";
import { gateRequest } from "../../../assembly/acl/gate";
import { Operation, ResourceType, Verdict } from "../../../assembly/acl/model";
import { FakeAuthorizer, ORDERS_ID, SECRET_ID, allowing, deniedResponse, errorCodes, forwardedRequest, merged } from "./group-gate-helpers";

/** Remembers the operation last asked of a group, to check which one a gate needs. */
class GroupOperationWatcher extends FakeAuthorizer {
  groupOperation: i32 = -1;

  allowed(resourceType: ResourceType, name: string, operation: Operation, logIfDenied: bool): bool {
    if (resourceType == ResourceType.Group) this.groupOperation = <i32>operation;
    return super.allowed(resourceType, name, operation, logIfDenied);
  }
}

function shareFetch(group: string, ids: Uuid[]): ShareFetchRequest {
  const request = new ShareFetchRequest();
  request.groupId = group;
  for (let i = 0; i < ids.length; i++) {
    const topic = new ShareFetchRequest_FetchTopic();
    topic.topicId = ids[i];
    topic.partitions = [new ShareFetchRequest_FetchPartition()];
    request.topics.push(topic);
  }
  return request;
}

function shareAcknowledge(group: string, ids: Uuid[]): ShareAcknowledgeRequest {
  const request = new ShareAcknowledgeRequest();
  request.groupId = group;
  for (let i = 0; i < ids.length; i++) {
    const topic = new ShareAcknowledgeRequest_AcknowledgeTopic();
    topic.topicId = ids[i];
    topic.partitions = [new ShareAcknowledgeRequest_AcknowledgePartition()];
    request.topics.push(topic);
  }
  return request;
}

describe("ShareFetch and ShareAcknowledge gates", () => {
  it("pass allowed topics; one denied topic id refuses the request with 29, a denied group with 30", () => {
    for (let v: i16 = 1; v <= 2; v++) {
      expect(gateRequest(78, v, shareFetch("g", [ORDERS_ID]), allowing())!.verdict).toBe(Verdict.Pass);
      const fetch = changetype<ShareFetchResponse>(deniedResponse(gateRequest(78, v, shareFetch("g", [ORDERS_ID, SECRET_ID]), allowing())!, v));
      expect(fetch.errorCode).toBe(29);
      const lockedFetch = changetype<ShareFetchResponse>(deniedResponse(gateRequest(78, v, shareFetch("locked", [ORDERS_ID]), allowing())!, v));
      expect(lockedFetch.errorCode).toBe(30);

      expect(gateRequest(79, v, shareAcknowledge("g", [ORDERS_ID]), allowing())!.verdict).toBe(Verdict.Pass);
      const ack = changetype<ShareAcknowledgeResponse>(deniedResponse(gateRequest(79, v, shareAcknowledge("g", [SECRET_ID, ORDERS_ID]), allowing())!, v));
      expect(ack.errorCode).toBe(29);
      const lockedAck = changetype<ShareAcknowledgeResponse>(deniedResponse(gateRequest(79, v, shareAcknowledge("locked", [ORDERS_ID]), allowing())!, v));
      expect(lockedAck.errorCode).toBe(30);
    }
  });
});

function alterOffsets(group: string, names: string[]): AlterShareGroupOffsetsRequest {
  const request = new AlterShareGroupOffsetsRequest();
  request.groupId = group;
  for (let i = 0; i < names.length; i++) {
    const topic = new AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestTopic();
    topic.topicName = names[i];
    for (let p = 0; p < 2; p++) {
      const partition = new AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestPartition();
      partition.partitionIndex = p;
      topic.partitions.push(partition);
    }
    request.topics.push(topic);
  }
  return request;
}

function deleteOffsets(group: string, names: string[]): DeleteShareGroupOffsetsRequest {
  const request = new DeleteShareGroupOffsetsRequest();
  request.groupId = group;
  for (let i = 0; i < names.length; i++) {
    const topic = new DeleteShareGroupOffsetsRequest_DeleteShareGroupOffsetsRequestTopic();
    topic.topicName = names[i];
    request.topics.push(topic);
  }
  return request;
}

describe("AlterShareGroupOffsets gate", () => {
  it("needs Read on the group (30); 29 per partition of a denied topic; the rest forwarded and merged", () => {
    const lockedGroup = changetype<AlterShareGroupOffsetsResponse>(deniedResponse(gateRequest(91, 0, alterOffsets("locked-g", ["orders"]), allowing())!, 0));
    expect(lockedGroup.errorCode).toBe(30);
    expect(lockedGroup.responses.length).toBe(0);
    const watcher = new GroupOperationWatcher();
    expect(gateRequest(91, 0, alterOffsets("g", ["orders"]), watcher)!.verdict).toBe(Verdict.Pass);
    expect(watcher.groupOperation).toBe(<i32>Operation.Read);

    const allDenied = changetype<AlterShareGroupOffsetsResponse>(deniedResponse(gateRequest(91, 0, alterOffsets("g", ["secret-a"]), allowing())!, 0));
    expect(allDenied.responses.length).toBe(1);
    expect(allDenied.responses[0].topicName).toBe("secret-a");
    expect(errorCodes(allDenied)).toBe("0,29,29");

    const result = gateRequest(91, 0, alterOffsets("g", ["orders", "secret-a"]), allowing())!;
    const forwarded = changetype<AlterShareGroupOffsetsRequest>(forwardedRequest(result, 0));
    expect(forwarded.topics.length).toBe(1);
    expect(forwarded.topics[0].topicName).toBe("orders");
    const broker = new AlterShareGroupOffsetsResponse();
    const orders = new AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic();
    orders.topicName = "orders";
    orders.partitions.push(new AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponsePartition());
    broker.responses.push(orders);
    const answer = changetype<AlterShareGroupOffsetsResponse>(merged(result, broker, 0));
    expect(answer.responses.length).toBe(2);
    expect(answer.responses[1].topicName).toBe("secret-a");
    expect(errorCodes(answer)).toBe("0,0,29,29");
  });
});

describe("DeleteShareGroupOffsets gate", () => {
  it("needs Delete on the group (30); 29 per denied topic; the rest forwarded and merged", () => {
    const lockedGroup = changetype<DeleteShareGroupOffsetsResponse>(deniedResponse(gateRequest(92, 0, deleteOffsets("locked-g", ["orders"]), allowing())!, 0));
    expect(lockedGroup.errorCode).toBe(30);
    const watcher = new GroupOperationWatcher();
    expect(gateRequest(92, 0, deleteOffsets("g", ["orders"]), watcher)!.verdict).toBe(Verdict.Pass);
    expect(watcher.groupOperation).toBe(<i32>Operation.Delete);

    const allDenied = changetype<DeleteShareGroupOffsetsResponse>(deniedResponse(gateRequest(92, 0, deleteOffsets("g", ["secret-a", "secret-b"]), allowing())!, 0));
    expect(errorCodes(allDenied)).toBe("0,29,29");

    const result = gateRequest(92, 0, deleteOffsets("g", ["secret-a", "orders"]), allowing())!;
    const forwarded = changetype<DeleteShareGroupOffsetsRequest>(forwardedRequest(result, 0));
    expect(forwarded.topics.length).toBe(1);
    expect(forwarded.topics[0].topicName).toBe("orders");
    const broker = new DeleteShareGroupOffsetsResponse();
    const orders = new DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic();
    orders.topicName = "orders";
    broker.responses.push(orders);
    const answer = changetype<DeleteShareGroupOffsetsResponse>(merged(result, broker, 0));
    expect(answer.responses.length).toBe(2);
    expect(answer.responses[1].topicName).toBe("secret-a");
    expect(errorCodes(answer)).toBe("0,0,29");
  });
});
