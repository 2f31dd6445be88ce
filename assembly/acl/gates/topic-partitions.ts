// APIs that name topics by name with partitions under them and answer per partition:
// ListOffsets (2, Describe), DeleteRecords (21, Delete), OffsetForLeaderEpoch (23,
// ClusterAction on the Cluster or else Describe) and DescribeProducers (61, Read).
// Denied topics are removed from the request; each of their partitions is answered
// with TOPIC_AUTHORIZATION_FAILED and the "unknown" values Kafka uses for it.
import { Message } from "../../codec/message";
import { inRequestOrder } from "./merge-order";
import { ListOffsetsRequest, ListOffsetsRequest_ListOffsetsTopic } from "../../codec/generated/ListOffsetsRequest";
import {
  ListOffsetsResponse, ListOffsetsResponse_ListOffsetsPartitionResponse, ListOffsetsResponse_ListOffsetsTopicResponse,
} from "../../codec/generated/ListOffsetsResponse";
import { DeleteRecordsRequest, DeleteRecordsRequest_DeleteRecordsTopic } from "../../codec/generated/DeleteRecordsRequest";
import {
  DeleteRecordsResponse, DeleteRecordsResponse_DeleteRecordsPartitionResult, DeleteRecordsResponse_DeleteRecordsTopicResult,
} from "../../codec/generated/DeleteRecordsResponse";
import {
  OffsetForLeaderEpochRequest, OffsetForLeaderEpochRequest_OffsetForLeaderTopic,
} from "../../codec/generated/OffsetForLeaderEpochRequest";
import {
  OffsetForLeaderEpochResponse, OffsetForLeaderEpochResponse_EpochEndOffset,
  OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult,
} from "../../codec/generated/OffsetForLeaderEpochResponse";
import { DescribeProducersRequest, DescribeProducersRequest_TopicRequest } from "../../codec/generated/DescribeProducersRequest";
import {
  DescribeProducersResponse, DescribeProducersResponse_PartitionResponse, DescribeProducersResponse_TopicResponse,
} from "../../codec/generated/DescribeProducersResponse";
import {
  Authorizer, CLUSTER_NAME, GateResult, Operation, ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED, denialMessage,
} from "../model";

// ---- ListOffsets (2) ------------------------------------------------------------

/** ListOffsets (2): Describe per topic; denied partitions answer TOPIC_AUTHORIZATION_FAILED with -1 offsets. */
export function gateListOffsets(request: ListOffsetsRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  const allowed = new Array<ListOffsetsRequest_ListOffsetsTopic>();
  let denied: Array<ListOffsetsRequest_ListOffsetsTopic> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    if (authorizer.allowed(ResourceType.Topic, topic.name, Operation.Describe, true)) {
      allowed.push(topic);
    } else {
      if (denied === null) denied = new Array<ListOffsetsRequest_ListOffsetsTopic>();
      denied.push(topic);
    }
  }
  if (denied === null) return GateResult.pass();
  const merger = new ListOffsetsDenials(denied);
  if (allowed.length == 0) {
    const response = new ListOffsetsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

class ListOffsetsDenials extends ResponseMerger {
  constructor(private topics: Array<ListOffsetsRequest_ListOffsetsTopic>) {
    super();
  }

  /** Timestamp, offset and leader epoch stay -1 (unknown), as in Kafka's error entries. */
  merge(response: Message): void {
    if (!(response instanceof ListOffsetsResponse)) return;
    const out = changetype<ListOffsetsResponse>(response).topics;
    const topics = this.topics;
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const entry = new ListOffsetsResponse_ListOffsetsTopicResponse();
      entry.name = topic.name;
      const partitions = topic.partitions;
      for (let p = 0, k = partitions.length; p < k; p++) {
        const partition = new ListOffsetsResponse_ListOffsetsPartitionResponse();
        partition.partitionIndex = unchecked(partitions[p]).partitionIndex;
        partition.errorCode = TOPIC_AUTHORIZATION_FAILED;
        entry.partitions.push(partition);
      }
      out.push(entry);
    }
  }
}

// ---- DeleteRecords (21) -----------------------------------------------------------

/** DeleteRecords (21): Delete per topic; denied partitions answer TOPIC_AUTHORIZATION_FAILED. */
export function gateDeleteRecords(request: DeleteRecordsRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  const allowed = new Array<DeleteRecordsRequest_DeleteRecordsTopic>();
  let denied: Array<DeleteRecordsRequest_DeleteRecordsTopic> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    if (authorizer.allowed(ResourceType.Topic, topic.name, Operation.Delete, true)) {
      allowed.push(topic);
    } else {
      if (denied === null) denied = new Array<DeleteRecordsRequest_DeleteRecordsTopic>();
      denied.push(topic);
    }
  }
  if (denied === null) return GateResult.pass();
  const merger = new DeleteRecordsDenials(denied);
  if (allowed.length == 0) {
    const response = new DeleteRecordsResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

class DeleteRecordsDenials extends ResponseMerger {
  constructor(private topics: Array<DeleteRecordsRequest_DeleteRecordsTopic>) {
    super();
  }

  /** Low watermark -1 (INVALID_LOW_WATERMARK), as Kafka answers a denied partition. */
  merge(response: Message): void {
    if (!(response instanceof DeleteRecordsResponse)) return;
    const out = changetype<DeleteRecordsResponse>(response).topics;
    const topics = this.topics;
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const entry = new DeleteRecordsResponse_DeleteRecordsTopicResult();
      entry.name = topic.name;
      const partitions = topic.partitions;
      for (let p = 0, k = partitions.length; p < k; p++) {
        const partition = new DeleteRecordsResponse_DeleteRecordsPartitionResult();
        partition.partitionIndex = unchecked(partitions[p]).partitionIndex;
        partition.lowWatermark = -1;
        partition.errorCode = TOPIC_AUTHORIZATION_FAILED;
        entry.partitions.push(partition);
      }
      out.push(entry);
    }
  }
}

// ---- OffsetForLeaderEpoch (23) ------------------------------------------------------

/**
 * Kafka first asks, quietly, for ClusterAction on the Cluster (brokers use this API);
 * without it each topic needs Describe (KIP-320 consumers), whatever the replica id.
 */
export function gateOffsetForLeaderEpoch(request: OffsetForLeaderEpochRequest, authorizer: Authorizer): GateResult {
  if (authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.ClusterAction, false)) return GateResult.pass();
  const topics = request.topics;
  const allowed = new Array<OffsetForLeaderEpochRequest_OffsetForLeaderTopic>();
  let denied: Array<OffsetForLeaderEpochRequest_OffsetForLeaderTopic> | null = null;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    if (authorizer.allowed(ResourceType.Topic, topic.topic, Operation.Describe, true)) {
      allowed.push(topic);
    } else {
      if (denied === null) denied = new Array<OffsetForLeaderEpochRequest_OffsetForLeaderTopic>();
      denied.push(topic);
    }
  }
  if (denied === null) return GateResult.pass();
  const merger = new OffsetForLeaderEpochDenials(denied);
  if (allowed.length == 0) {
    const response = new OffsetForLeaderEpochResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

class OffsetForLeaderEpochDenials extends ResponseMerger {
  constructor(private topics: Array<OffsetForLeaderEpochRequest_OffsetForLeaderTopic>) {
    super();
  }

  /** Leader epoch and end offset stay -1 (undefined), as in Kafka's error entries. */
  merge(response: Message): void {
    if (!(response instanceof OffsetForLeaderEpochResponse)) return;
    const out = changetype<OffsetForLeaderEpochResponse>(response).topics;
    const topics = this.topics;
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const entry = new OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult();
      entry.topic = topic.topic;
      const partitions = topic.partitions;
      for (let p = 0, k = partitions.length; p < k; p++) {
        const partition = new OffsetForLeaderEpochResponse_EpochEndOffset();
        partition.partition = unchecked(partitions[p]).partition;
        partition.errorCode = TOPIC_AUTHORIZATION_FAILED;
        entry.partitions.push(partition);
      }
      out.push(entry);
    }
  }
}

// ---- DescribeProducers (61) ---------------------------------------------------------

/** DescribeProducers (61, KIP-664): Read per topic; denied topics keep their request position. */
export function gateDescribeProducers(request: DescribeProducersRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  const allowed = new Array<DescribeProducersRequest_TopicRequest>();
  let denied: Array<DescribeProducersRequest_TopicRequest> | null = null;
  const deniedAt = new Array<bool>(topics.length);
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    if (authorizer.allowed(ResourceType.Topic, topic.name, Operation.Read, true)) {
      allowed.push(topic);
    } else {
      if (denied === null) denied = new Array<DescribeProducersRequest_TopicRequest>();
      denied.push(topic);
      unchecked(deniedAt[i] = true);
    }
  }
  if (denied === null) return GateResult.pass();
  const merger = new DescribeProducersDenials(deniedAt, denied);
  if (allowed.length == 0) {
    const response = new DescribeProducersResponse();
    merger.merge(response);
    return GateResult.deny(response);
  }
  request.topics = allowed;
  return GateResult.rewrite(request, merger);
}

/** Kafka answers topic by topic in request order; the merged answer keeps that order. */
class DescribeProducersDenials extends ResponseMerger {
  constructor(private deniedAt: Array<bool>, private topics: Array<DescribeProducersRequest_TopicRequest>) {
    super();
  }

  merge(response: Message): void {
    if (!(response instanceof DescribeProducersResponse)) return;
    const described = changetype<DescribeProducersResponse>(response);
    const out = new Array<DescribeProducersResponse_TopicResponse>();
    const topics = this.topics;
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const entry = new DescribeProducersResponse_TopicResponse();
      entry.name = topic.name;
      const partitions = topic.partitionIndexes;
      for (let p = 0, k = partitions.length; p < k; p++) {
        const partition = new DescribeProducersResponse_PartitionResponse();
        partition.partitionIndex = unchecked(partitions[p]);
        partition.errorCode = TOPIC_AUTHORIZATION_FAILED;
        partition.errorMessage = denialMessage(TOPIC_AUTHORIZATION_FAILED);
        entry.partitions.push(partition);
      }
      out.push(entry);
    }
    described.topics = inRequestOrder(this.deniedAt, out, described.topics);
  }
}
