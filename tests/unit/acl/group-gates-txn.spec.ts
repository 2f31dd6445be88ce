// InitProducerId, AddPartitionsToTxn (v0-3 and batched v4+), TxnOffsetCommit, EndTxn and
// one cluster API (CreateAcls) at every version.
import { InitProducerIdRequest } from "../../../assembly/codec/generated/InitProducerIdRequest";
import { InitProducerIdResponse } from "../../../assembly/codec/generated/InitProducerIdResponse";
import {
  AddPartitionsToTxnRequest, AddPartitionsToTxnRequest_AddPartitionsToTxnTopic, AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction,
} from "../../../assembly/codec/generated/AddPartitionsToTxnRequest";
import {
  AddPartitionsToTxnResponse, AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResponse_AddPartitionsToTxnResult,
  AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult,
} from "../../../assembly/codec/generated/AddPartitionsToTxnResponse";
import {
  TxnOffsetCommitRequest, TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition, TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic,
} from "../../../assembly/codec/generated/TxnOffsetCommitRequest";
import {
  TxnOffsetCommitResponse, TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition, TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic,
} from "../../../assembly/codec/generated/TxnOffsetCommitResponse";
import { EndTxnRequest } from "../../../assembly/codec/generated/EndTxnRequest";
import { CreateAclsRequest, CreateAclsRequest_AclCreation } from "../../../assembly/codec/generated/CreateAclsRequest";
import { gateRequest } from "../../../assembly/acl/gate";
import { Verdict } from "../../../assembly/acl/model";
import { allowing, deniedResponse, errorCodes, forwardedRequest, merged } from "./group-gate-helpers";

describe("InitProducerId gate", () => {
  it("needs Write on the transactional id; passes idempotent producers", () => {
    for (let v: i16 = 0; v <= 6; v++) {
      const request = new InitProducerIdRequest();
      request.transactionalId = "locked-txn";
      const response = changetype<InitProducerIdResponse>(deniedResponse(gateRequest(22, v, request, allowing())!, v));
      expect(response.errorCode).toBe(53);
      expect(response.producerId).toBe(-1);
      request.transactionalId = "txn";
      expect(gateRequest(22, v, request, allowing())!.verdict).toBe(Verdict.Pass);
      request.transactionalId = null;
      const authorizer = allowing();
      expect(gateRequest(22, v, request, authorizer)!.verdict).toBe(Verdict.Pass);
      expect(authorizer.quietQuestions).toBe(1);
    }
  });
});

function txnTopic(name: string, partitions: i32): AddPartitionsToTxnRequest_AddPartitionsToTxnTopic {
  const topic = new AddPartitionsToTxnRequest_AddPartitionsToTxnTopic();
  topic.name = name;
  for (let i = 0; i < partitions; i++) topic.partitions.push(i);
  return topic;
}

function txnEntry(id: string, withSecret: bool): AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction {
  const transaction = new AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction();
  transaction.transactionalId = id;
  transaction.topics.push(txnTopic("orders", 2));
  if (withSecret) transaction.topics.push(txnTopic("secret-ledger", 1));
  return transaction;
}

describe("AddPartitionsToTxn gate", () => {
  it("v0-3: 53 for all when the id is denied; 29 for denied topics and 55 for the rest", () => {
    for (let v: i16 = 0; v <= 3; v++) {
      const request = new AddPartitionsToTxnRequest();
      request.v3AndBelowTransactionalId = "locked-txn";
      request.v3AndBelowTopics.push(txnTopic("orders", 2));
      request.v3AndBelowTopics.push(txnTopic("secret-ledger", 1));
      expect(errorCodes(deniedResponse(gateRequest(24, v, request, allowing())!, v)!)).toBe("0,53,53,53");
      request.v3AndBelowTransactionalId = "txn";
      expect(errorCodes(deniedResponse(gateRequest(24, v, request, allowing())!, v)!)).toBe("0,55,55,29");
      request.v3AndBelowTopics.pop();
      expect(gateRequest(24, v, request, allowing())!.verdict).toBe(Verdict.Pass);
    }
  });

  it("v4+: ClusterAction first, then each transaction on its own", () => {
    for (let v: i16 = 4; v <= 5; v++) {
      const request = new AddPartitionsToTxnRequest();
      request.transactions.push(txnEntry("txn", false));
      request.transactions.push(txnEntry("locked-txn", false));
      request.transactions.push(txnEntry("txn-b", true));
      expect(errorCodes(deniedResponse(gateRequest(24, v, request, allowing())!, v)!)).toBe("31");

      const authorizer = allowing();
      authorizer.clusterAllowed = true;
      const result = gateRequest(24, v, request, authorizer)!;
      const sent = changetype<AddPartitionsToTxnRequest>(forwardedRequest(result, v));
      expect(sent.transactions.length).toBe(1);
      expect(sent.transactions[0].transactionalId).toBe("txn");
      const broker = new AddPartitionsToTxnResponse();
      const ok = new AddPartitionsToTxnResponse_AddPartitionsToTxnResult();
      ok.transactionalId = "txn";
      const topic = new AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult();
      topic.name = "orders";
      topic.resultsByPartition.push(new AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult());
      ok.topicResults.push(topic);
      broker.resultsByTransaction.push(ok);
      // top-level 0; txn 0; locked-txn 53 x2; txn-b orders 55 x2, secret 29.
      expect(errorCodes(merged(result, broker, v)!)).toBe("0,0,53,53,55,55,29");
    }
  });
});

function offsetTopic(name: string): TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic {
  const topic = new TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic();
  topic.name = name;
  topic.partitions.push(new TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition());
  return topic;
}

describe("TxnOffsetCommit gate", () => {
  it("53 for all, then 30 for all, then 29 per denied topic with the rest forwarded", () => {
    for (let v: i16 = 0; v <= 5; v++) {
      const request = new TxnOffsetCommitRequest();
      request.transactionalId = "locked-txn";
      request.groupId = "app";
      request.topics.push(offsetTopic("orders"));
      request.topics.push(offsetTopic("secret-ledger"));
      expect(errorCodes(deniedResponse(gateRequest(28, v, request, allowing())!, v)!)).toBe("53,53");
      request.transactionalId = "txn";
      request.groupId = "locked-app";
      expect(errorCodes(deniedResponse(gateRequest(28, v, request, allowing())!, v)!)).toBe("30,30");
      request.groupId = "app";
      const result = gateRequest(28, v, request, allowing())!;
      const sent = changetype<TxnOffsetCommitRequest>(forwardedRequest(result, v));
      expect(sent.topics.length).toBe(1);
      expect(sent.topics[0].name).toBe("orders");
      const broker = new TxnOffsetCommitResponse();
      const orders = new TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic();
      orders.name = "orders";
      orders.partitions.push(new TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition());
      broker.topics.push(orders);
      expect(errorCodes(merged(result, broker, v)!)).toBe("29,0");
    }
  });
});

describe("EndTxn gate", () => {
  it("needs Write on the transactional id", () => {
    for (let v: i16 = 0; v <= 5; v++) {
      const request = new EndTxnRequest();
      request.transactionalId = "locked-txn";
      expect(errorCodes(deniedResponse(gateRequest(26, v, request, allowing())!, v)!)).toBe("53");
      request.transactionalId = "txn";
      expect(gateRequest(26, v, request, allowing())!.verdict).toBe(Verdict.Pass);
    }
  });
});

describe("CreateAcls gate (a cluster API)", () => {
  it("needs Alter on the cluster; a denial answers 31 for every creation", () => {
    for (let v: i16 = 1; v <= 3; v++) {
      const request = new CreateAclsRequest();
      request.creations.push(new CreateAclsRequest_AclCreation());
      request.creations.push(new CreateAclsRequest_AclCreation());
      expect(errorCodes(deniedResponse(gateRequest(30, v, request, allowing())!, v)!)).toBe("31,31");
      const authorizer = allowing();
      authorizer.clusterAllowed = true;
      expect(gateRequest(30, v, request, authorizer)!.verdict).toBe(Verdict.Pass);
    }
  });
});
