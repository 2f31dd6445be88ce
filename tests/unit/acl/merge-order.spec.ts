// Merged answers list entries where Kafka 4.3.1 lists them: refused groups and
// CreatePartitions topics first, DescribeProducers / DescribeTransactions / the config
// alters in request order, Metadata's unknown topic ids first and refused topics last.
import { deniedFirst, inRequestOrder } from "../../../assembly/acl/gates/merge-order";
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import { gateRequest } from "../../../assembly/acl/gate";
import { DescribeProducersRequest, DescribeProducersRequest_TopicRequest } from "../../../assembly/codec/generated/DescribeProducersRequest";
import { DescribeProducersResponse, DescribeProducersResponse_TopicResponse } from "../../../assembly/codec/generated/DescribeProducersResponse";
import { DescribeTransactionsRequest } from "../../../assembly/codec/generated/DescribeTransactionsRequest";
import {
  DescribeTransactionsResponse, DescribeTransactionsResponse_TransactionState,
} from "../../../assembly/codec/generated/DescribeTransactionsResponse";
import { AlterConfigsRequest, AlterConfigsRequest_AlterConfigsResource } from "../../../assembly/codec/generated/AlterConfigsRequest";
import { AlterConfigsResponse, AlterConfigsResponse_AlterConfigsResourceResponse } from "../../../assembly/codec/generated/AlterConfigsResponse";
import { CreatePartitionsRequest, CreatePartitionsRequest_CreatePartitionsTopic } from "../../../assembly/codec/generated/CreatePartitionsRequest";
import {
  CreatePartitionsResponse, CreatePartitionsResponse_CreatePartitionsTopicResult,
} from "../../../assembly/codec/generated/CreatePartitionsResponse";
import { DescribeGroupsRequest } from "../../../assembly/codec/generated/DescribeGroupsRequest";
import { DescribeGroupsResponse, DescribeGroupsResponse_DescribedGroup } from "../../../assembly/codec/generated/DescribeGroupsResponse";
import { MetadataRequest, MetadataRequest_MetadataRequestTopic } from "../../../assembly/codec/generated/MetadataRequest";
import { MetadataResponse, MetadataResponse_MetadataResponseTopic } from "../../../assembly/codec/generated/MetadataResponse";
import { OffsetCommitRequest, OffsetCommitRequest_OffsetCommitRequestTopic } from "../../../assembly/codec/generated/OffsetCommitRequest";
import { OffsetCommitResponse, OffsetCommitResponse_OffsetCommitResponseTopic } from "../../../assembly/codec/generated/OffsetCommitResponse";
import { OffsetDeleteRequest, OffsetDeleteRequest_OffsetDeleteRequestTopic } from "../../../assembly/codec/generated/OffsetDeleteRequest";
import { OffsetDeleteResponse, OffsetDeleteResponse_OffsetDeleteResponseTopic } from "../../../assembly/codec/generated/OffsetDeleteResponse";
import { TxnOffsetCommitRequest, TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic } from "../../../assembly/codec/generated/TxnOffsetCommitRequest";
import {
  TxnOffsetCommitResponse, TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic,
} from "../../../assembly/codec/generated/TxnOffsetCommitResponse";
import { FakeAuthorizer, ORDERS_ID, UNKNOWN_ID, mergeRoundTrip } from "./topic-gate-helpers";
import { allowing, merged } from "./group-gate-helpers";

describe("merge-order helpers", () => {
  it("deniedFirst puts the refused entries before the broker's", () => {
    expect(deniedFirst<i32>([1, 2], [3, 4]).join(",")).toBe("1,2,3,4");
    const listed: i32[] = [5];
    expect(deniedFirst<i32>([], listed) == listed).toBe(true, "nothing denied: the broker's list as is");
  });

  it("inRequestOrder interleaves by the request's positions and keeps leftovers", () => {
    expect(inRequestOrder<i32>([true, false, true, false], [10, 30], [20, 40]).join(",")).toBe("10,20,30,40");
    expect(inRequestOrder<i32>([false, true], [20], [10, 11, 12]).join(",")).toBe("10,20,11,12");
  });
});

describe("merged answers in Kafka's order", () => {
  it("DescribeProducers answers in request order", () => {
    const request = new DescribeProducersRequest();
    const names = ["secret-a", "orders", "secret-b", "payments"];
    for (let i = 0; i < names.length; i++) {
      const topic = new DescribeProducersRequest_TopicRequest();
      topic.name = names[i];
      topic.partitionIndexes.push(0);
      request.topics.push(topic);
    }
    const result = gateTopicApi(61, 0, request, new FakeAuthorizer())!;
    const broker = new DescribeProducersResponse();
    for (let i = 0; i < 2; i++) {
      const topic = new DescribeProducersResponse_TopicResponse();
      topic.name = i == 0 ? "orders" : "payments";
      broker.topics.push(topic);
    }
    const out = mergeRoundTrip<DescribeProducersResponse>(result, broker, 0);
    let order = "";
    for (let i = 0; i < out.topics.length; i++) order += (i > 0 ? "," : "") + out.topics[i].name;
    expect(order).toBe("secret-a,orders,secret-b,payments");
  });

  it("DescribeTransactions answers in request order", () => {
    const request = new DescribeTransactionsRequest();
    request.transactionalIds = ["tx-a", "locked-1", "tx-b"];
    const result = gateRequest(65, 0, request, allowing())!;
    const broker = new DescribeTransactionsResponse();
    for (let i = 0; i < 2; i++) {
      const state = new DescribeTransactionsResponse_TransactionState();
      state.transactionalId = i == 0 ? "tx-a" : "tx-b";
      broker.transactionStates.push(state);
    }
    const out = changetype<DescribeTransactionsResponse>(merged(result, broker, 0));
    expect(out.transactionStates[0].transactionalId).toBe("tx-a");
    expect(out.transactionStates[1].transactionalId).toBe("locked-1");
    expect(out.transactionStates[2].transactionalId).toBe("tx-b");
  });

  it("AlterConfigs answers in request order, as a Kafka 4 broker reassembles it", () => {
    const request = new AlterConfigsRequest();
    const names = ["orders", "secret-a", "payments"];
    for (let i = 0; i < names.length; i++) {
      const resource = new AlterConfigsRequest_AlterConfigsResource();
      resource.resourceType = 2;
      resource.resourceName = names[i];
      request.resources.push(resource);
    }
    const result = gateTopicApi(33, 1, request, new FakeAuthorizer())!;
    const broker = new AlterConfigsResponse();
    for (let i = 0; i < 2; i++) {
      const entry = new AlterConfigsResponse_AlterConfigsResourceResponse();
      entry.resourceType = 2;
      entry.resourceName = i == 0 ? "orders" : "payments";
      broker.responses.push(entry);
    }
    const out = mergeRoundTrip<AlterConfigsResponse>(result, broker, 1);
    expect(out.responses[0].resourceName).toBe("orders");
    expect(out.responses[1].resourceName).toBe("secret-a");
    expect(out.responses[2].resourceName).toBe("payments");
  });

  it("CreatePartitions lists refused topics first, as Kafka's controller does", () => {
    const request = new CreatePartitionsRequest();
    const names = ["orders", "secret-a"];
    for (let i = 0; i < names.length; i++) {
      const topic = new CreatePartitionsRequest_CreatePartitionsTopic();
      topic.name = names[i];
      topic.count = 3;
      request.topics.push(topic);
    }
    const result = gateTopicApi(37, 3, request, new FakeAuthorizer())!;
    const broker = new CreatePartitionsResponse();
    const created = new CreatePartitionsResponse_CreatePartitionsTopicResult();
    created.name = "orders";
    broker.results.push(created);
    const out = mergeRoundTrip<CreatePartitionsResponse>(result, broker, 3);
    expect(out.results[0].name).toBe("secret-a");
    expect(out.results[1].name).toBe("orders");
  });

  it("DescribeGroups lists refused groups first", () => {
    for (let v: i16 = 0; v <= 5; v++) {
      const request = new DescribeGroupsRequest();
      request.groups = ["app", "locked-a"];
      const result = gateRequest(15, v, request, allowing())!;
      const broker = new DescribeGroupsResponse();
      const app = new DescribeGroupsResponse_DescribedGroup();
      app.groupId = "app";
      broker.groups.push(app);
      const out = changetype<DescribeGroupsResponse>(merged(result, broker, v));
      expect(out.groups[0].groupId).toBe("locked-a");
      expect(out.groups[1].groupId).toBe("app");
    }
  });

  it("Metadata lists unknown topic ids first and refused topics last", () => {
    const request = new MetadataRequest();
    const byName = new MetadataRequest_MetadataRequestTopic();
    byName.name = "secret-a";
    const unknown = new MetadataRequest_MetadataRequestTopic();
    unknown.name = null;
    unknown.topicId = UNKNOWN_ID;
    const orders = new MetadataRequest_MetadataRequestTopic();
    orders.name = null;
    orders.topicId = ORDERS_ID;
    request.topics = [byName, unknown, orders];
    const result = gateTopicApi(3, 12, request, new FakeAuthorizer())!;
    const broker = new MetadataResponse();
    const described = new MetadataResponse_MetadataResponseTopic();
    described.name = "orders";
    described.topicId = ORDERS_ID;
    broker.topics.push(described);
    const out = mergeRoundTrip<MetadataResponse>(result, broker, 12);
    expect(out.topics.length).toBe(3);
    expect(out.topics[0].errorCode).toBe(100);
    expect(out.topics[1].name).toBe("orders");
    expect(out.topics[2].name).toBe("secret-a");
    expect(out.topics[2].errorCode).toBe(29);
  });

  it("OffsetCommit, TxnOffsetCommit and OffsetDelete list refused topics first", () => {
    const commit = new OffsetCommitRequest();
    commit.groupId = "app";
    for (let i = 0; i < 2; i++) {
      const topic = new OffsetCommitRequest_OffsetCommitRequestTopic();
      topic.name = i == 0 ? "orders" : "secret-a";
      commit.topics.push(topic);
    }
    const commitResult = gateRequest(8, 8, commit, allowing())!;
    const commitBroker = new OffsetCommitResponse();
    const committed = new OffsetCommitResponse_OffsetCommitResponseTopic();
    committed.name = "orders";
    commitBroker.topics.push(committed);
    const commitOut = changetype<OffsetCommitResponse>(merged(commitResult, commitBroker, 8));
    expect(commitOut.topics[0].name).toBe("secret-a");
    expect(commitOut.topics[1].name).toBe("orders");

    const txn = new TxnOffsetCommitRequest();
    txn.transactionalId = "tx";
    txn.groupId = "app";
    for (let i = 0; i < 2; i++) {
      const topic = new TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic();
      topic.name = i == 0 ? "orders" : "secret-a";
      txn.topics.push(topic);
    }
    const txnResult = gateRequest(28, 3, txn, allowing())!;
    const txnBroker = new TxnOffsetCommitResponse();
    const txnCommitted = new TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic();
    txnCommitted.name = "orders";
    txnBroker.topics.push(txnCommitted);
    const txnOut = changetype<TxnOffsetCommitResponse>(merged(txnResult, txnBroker, 3));
    expect(txnOut.topics[0].name).toBe("secret-a");
    expect(txnOut.topics[1].name).toBe("orders");

    const del = new OffsetDeleteRequest();
    del.groupId = "app";
    for (let i = 0; i < 2; i++) {
      const topic = new OffsetDeleteRequest_OffsetDeleteRequestTopic();
      topic.name = i == 0 ? "orders" : "secret-a";
      del.topics.push(topic);
    }
    const delResult = gateRequest(47, 0, del, allowing())!;
    const delBroker = new OffsetDeleteResponse();
    const deleted = new OffsetDeleteResponse_OffsetDeleteResponseTopic();
    deleted.name = "orders";
    delBroker.topics.push(deleted);
    const delOut = changetype<OffsetDeleteResponse>(merged(delResult, delBroker, 0));
    expect(delOut.topics[0].name).toBe("secret-a");
    expect(delOut.topics[1].name).toBe("orders");
  });
});
