// Gates for the transaction APIs: InitProducerId (22), AddPartitionsToTxn (24),
// AddOffsetsToTxn (25), EndTxn (26), TxnOffsetCommit (28), DescribeTransactions (65),
// ListTransactions (66).
import { Message } from "../../codec/message";
import { InitProducerIdRequest } from "../../codec/generated/InitProducerIdRequest";
import { InitProducerIdResponse } from "../../codec/generated/InitProducerIdResponse";
import {
  AddPartitionsToTxnRequest, AddPartitionsToTxnRequest_AddPartitionsToTxnTopic, AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction,
} from "../../codec/generated/AddPartitionsToTxnRequest";
import {
  AddPartitionsToTxnResponse, AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult,
  AddPartitionsToTxnResponse_AddPartitionsToTxnResult, AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult,
} from "../../codec/generated/AddPartitionsToTxnResponse";
import { AddOffsetsToTxnRequest } from "../../codec/generated/AddOffsetsToTxnRequest";
import { AddOffsetsToTxnResponse } from "../../codec/generated/AddOffsetsToTxnResponse";
import { EndTxnRequest } from "../../codec/generated/EndTxnRequest";
import { EndTxnResponse } from "../../codec/generated/EndTxnResponse";
import { TxnOffsetCommitRequest, TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic } from "../../codec/generated/TxnOffsetCommitRequest";
import {
  TxnOffsetCommitResponse, TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition, TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic,
} from "../../codec/generated/TxnOffsetCommitResponse";
import { DescribeTransactionsRequest } from "../../codec/generated/DescribeTransactionsRequest";
import {
  DescribeTransactionsResponse, DescribeTransactionsResponse_TransactionState,
} from "../../codec/generated/DescribeTransactionsResponse";
import { ListTransactionsResponse, ListTransactionsResponse_TransactionState } from "../../codec/generated/ListTransactionsResponse";
import {
  Authorizer, CLUSTER_AUTHORIZATION_FAILED, CLUSTER_NAME, GROUP_AUTHORIZATION_FAILED, GateResult, Operation, ResourceType,
  ResponseMerger, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from "../model";
import { topicNameError } from "./group-common";
import { deniedFirst, inRequestOrder } from "./merge-order";

/** Kafka's answer for the partitions of a request it refuses because others were denied. */
const OPERATION_NOT_ATTEMPTED: i16 = 55;

function txnWriteAllowed(authorizer: Authorizer, transactionalId: string): bool {
  return authorizer.allowed(ResourceType.TransactionalId, transactionalId, Operation.Write, true);
}

// ---- InitProducerId (22) ---------------------------------------------------------------

/**
 * With a transactional id: Write on it, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 * Without one (idempotent producer): Kafka 3+ grants it with IdempotentWrite on the
 * cluster or Write on any topic. The Authorizer cannot answer "any topic", and a producer
 * id grants nothing by itself (every Produce is gated per topic), so this passes; the
 * cluster question is still asked, quietly, so the decision is counted.
 */
export function gateInitProducerId(request: InitProducerIdRequest, authorizer: Authorizer): GateResult {
  const transactionalId = request.transactionalId;
  if (transactionalId === null) {
    authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.IdempotentWrite, false);
    return GateResult.pass();
  }
  if (txnWriteAllowed(authorizer, transactionalId)) return GateResult.pass();
  const response = new InitProducerIdResponse();
  response.errorCode = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  response.producerId = -1;
  response.producerEpoch = -1;
  return GateResult.deny(response);
}

// ---- AddPartitionsToTxn (24) -----------------------------------------------------------

function topicResults(topics: Array<AddPartitionsToTxnRequest_AddPartitionsToTxnTopic>, codes: Array<i16>): Array<AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult> {
  const results = new Array<AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const result = new AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult();
    result.name = topic.name;
    const code = unchecked(codes[i]);
    const partitions = topic.partitions;
    for (let j = 0, m = partitions.length; j < m; j++) {
      const p = new AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult();
      p.partitionIndex = unchecked(partitions[j]);
      p.partitionErrorCode = code;
      result.resultsByPartition.push(p);
    }
    results.push(result);
  }
  return results;
}

/**
 * The per-topic codes for one transaction, or null when all is allowed: Kafka adds
 * nothing when anything is denied, answering 53 for all (transactional id denied) or
 * 29 for denied topics and OPERATION_NOT_ATTEMPTED for the rest.
 */
function transactionCodes(transactionalId: string, topics: Array<AddPartitionsToTxnRequest_AddPartitionsToTxnTopic>, authorizer: Authorizer): Array<i16> | null {
  const codes = new Array<i16>(topics.length);
  if (!txnWriteAllowed(authorizer, transactionalId)) {
    for (let i = 0, n = topics.length; i < n; i++) unchecked(codes[i] = TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    return codes;
  }
  let anyDenied = false;
  for (let i = 0, n = topics.length; i < n; i++) {
    const code = topicNameError(authorizer, unchecked(topics[i]).name, Operation.Write);
    unchecked(codes[i] = code);
    if (code != 0) anyDenied = true;
  }
  if (!anyDenied) return null;
  for (let i = 0, n = codes.length; i < n; i++) {
    if (unchecked(codes[i]) == 0) unchecked(codes[i] = OPERATION_NOT_ATTEMPTED);
  }
  return codes;
}

class AppendTransactionResults extends ResponseMerger {
  constructor(private denied: Array<AddPartitionsToTxnResponse_AddPartitionsToTxnResult>) { super(); }
  merge(response: Message): void {
    const results = changetype<AddPartitionsToTxnResponse>(response).resultsByTransaction;
    for (let i = 0, n = this.denied.length; i < n; i++) results.push(unchecked(this.denied[i]));
  }
}

/**
 * AddPartitionsToTxn (24): v0-3 come from producers, one transaction; v4+ batch
 * transactions and come from brokers verifying them (KIP-890), so they need ClusterAction.
 * A transaction with anything denied is answered whole (see transactionCodes).
 */
export function gateAddPartitionsToTxn(version: i16, request: AddPartitionsToTxnRequest, authorizer: Authorizer): GateResult {
  if (version < 4) {
    const codes = transactionCodes(request.v3AndBelowTransactionalId, request.v3AndBelowTopics, authorizer);
    if (codes === null) return GateResult.pass();
    const response = new AddPartitionsToTxnResponse();
    response.resultsByTopicV3AndBelow = topicResults(request.v3AndBelowTopics, codes);
    return GateResult.deny(response);
  }
  // v4+ batches transactions and is sent by brokers verifying a transaction.
  if (!authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.ClusterAction, true)) {
    const response = new AddPartitionsToTxnResponse();
    response.errorCode = CLUSTER_AUTHORIZATION_FAILED;
    return GateResult.deny(response);
  }
  const transactions = request.transactions;
  const kept = new Array<AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction>();
  const denied = new Array<AddPartitionsToTxnResponse_AddPartitionsToTxnResult>();
  for (let i = 0, n = transactions.length; i < n; i++) {
    const transaction = unchecked(transactions[i]);
    const codes = transactionCodes(transaction.transactionalId, transaction.topics, authorizer);
    if (codes === null) {
      kept.push(transaction);
      continue;
    }
    const result = new AddPartitionsToTxnResponse_AddPartitionsToTxnResult();
    result.transactionalId = transaction.transactionalId;
    result.topicResults = topicResults(transaction.topics, codes);
    denied.push(result);
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = new AddPartitionsToTxnResponse();
    response.resultsByTransaction = denied;
    return GateResult.deny(response);
  }
  request.transactions = kept;
  return GateResult.rewrite(request, new AppendTransactionResults(denied));
}

// ---- AddOffsetsToTxn (25), EndTxn (26) -------------------------------------------------

/** AddOffsetsToTxn (25): Write on the transactional id, then Read on the group; one top-level error. */
export function gateAddOffsetsToTxn(request: AddOffsetsToTxnRequest, authorizer: Authorizer): GateResult {
  let code: i16 = 0;
  if (!txnWriteAllowed(authorizer, request.transactionalId)) code = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  else if (!authorizer.allowed(ResourceType.Group, request.groupId, Operation.Read, true)) code = GROUP_AUTHORIZATION_FAILED;
  if (code == 0) return GateResult.pass();
  const response = new AddOffsetsToTxnResponse();
  response.errorCode = code;
  return GateResult.deny(response);
}

/** EndTxn (26): Write on the transactional id; a denial carries producer id and epoch -1. */
export function gateEndTxn(request: EndTxnRequest, authorizer: Authorizer): GateResult {
  if (txnWriteAllowed(authorizer, request.transactionalId)) return GateResult.pass();
  const response = new EndTxnResponse();
  response.errorCode = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  response.producerId = -1;
  response.producerEpoch = -1;
  return GateResult.deny(response);
}

// ---- TxnOffsetCommit (28) --------------------------------------------------------------

function txnOffsetTopicResult(topic: TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic, code: i16): TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic {
  const result = new TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic();
  result.name = topic.name;
  const partitions = topic.partitions;
  for (let i = 0, n = partitions.length; i < n; i++) {
    const p = new TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition();
    p.partitionIndex = unchecked(partitions[i]).partitionIndex;
    p.errorCode = code;
    result.partitions.push(p);
  }
  return result;
}

/** Kafka's response builder holds the refused topics before it merges in the coordinator's answer. */
class PrependTxnOffsetTopics extends ResponseMerger {
  constructor(private denied: Array<TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic>) { super(); }
  merge(response: Message): void {
    const committed = changetype<TxnOffsetCommitResponse>(response);
    committed.topics = deniedFirst(this.denied, committed.topics);
  }
}

/**
 * TxnOffsetCommit (28): Write on the transactional id, Read on the group (either denial
 * answers every partition), then Read per topic; refused topics come first.
 */
export function gateTxnOffsetCommit(request: TxnOffsetCommitRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  let wholeCode: i16 = 0;
  if (!txnWriteAllowed(authorizer, request.transactionalId)) wholeCode = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  else if (!authorizer.allowed(ResourceType.Group, request.groupId, Operation.Read, true)) wholeCode = GROUP_AUTHORIZATION_FAILED;
  const kept = new Array<TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic>();
  const denied = new Array<TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = wholeCode != 0 ? wholeCode : topicNameError(authorizer, topic.name, Operation.Read);
    if (code == 0) kept.push(topic);
    else denied.push(txnOffsetTopicResult(topic, code));
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = new TxnOffsetCommitResponse();
    response.topics = denied;
    return GateResult.deny(response);
  }
  request.topics = kept;
  return GateResult.rewrite(request, new PrependTxnOffsetTopics(denied));
}

// ---- DescribeTransactions (65), ListTransactions (66) ----------------------------------

/** Kafka answers the ids one by one in request order; the merged answer keeps that order. */
class MergeTransactionStates extends ResponseMerger {
  constructor(private deniedAt: Array<bool>, private denied: Array<DescribeTransactionsResponse_TransactionState>) { super(); }
  merge(response: Message): void {
    const described = changetype<DescribeTransactionsResponse>(response);
    described.transactionStates = inRequestOrder(this.deniedAt, this.denied, described.transactionStates);
  }
}

/** DescribeTransactions (65, KIP-664): Describe per transactional id; answers stay in request order. */
export function gateDescribeTransactions(request: DescribeTransactionsRequest, authorizer: Authorizer): GateResult {
  const ids = request.transactionalIds;
  const kept = new Array<string>();
  const denied = new Array<DescribeTransactionsResponse_TransactionState>();
  const deniedAt = new Array<bool>(ids.length);
  for (let i = 0, n = ids.length; i < n; i++) {
    const id = unchecked(ids[i]);
    if (authorizer.allowed(ResourceType.TransactionalId, id, Operation.Describe, true)) {
      kept.push(id);
    } else {
      unchecked(deniedAt[i] = true);
      const state = new DescribeTransactionsResponse_TransactionState();
      state.transactionalId = id;
      // Kafka sets only the id and the code; every other field keeps its schema default.
      state.errorCode = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      denied.push(state);
    }
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = new DescribeTransactionsResponse();
    response.transactionStates = denied;
    return GateResult.deny(response);
  }
  request.transactionalIds = kept;
  return GateResult.rewrite(request, new MergeTransactionStates(deniedAt, denied));
}

/** Drops, without an audit line, the transactions the principal may not Describe. */
class FilterListedTransactions extends ResponseMerger {
  constructor(private authorizer: Authorizer) { super(); }
  merge(response: Message): void {
    const listed = changetype<ListTransactionsResponse>(response);
    const shown = new Array<ListTransactionsResponse_TransactionState>();
    const states = listed.transactionStates;
    for (let i = 0, n = states.length; i < n; i++) {
      const state = unchecked(states[i]);
      if (this.authorizer.allowed(ResourceType.TransactionalId, state.transactionalId, Operation.Describe, false)) shown.push(state);
    }
    listed.transactionStates = shown;
  }
}

/** ListTransactions (66, KIP-664): the listing is filtered quietly to the ids the principal may Describe. */
export function gateListTransactions(authorizer: Authorizer): GateResult {
  return GateResult.passAndMerge(new FilterListedTransactions(authorizer));
}
