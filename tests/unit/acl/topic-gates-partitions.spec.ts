// ListOffsets (2, v1-11), DeleteRecords (21, v0-2), OffsetForLeaderEpoch (23, v2-4) and
// DescribeProducers (61, v0): topics "orders" (allowed, partitions 0 and 1) and
// "secret-a" (denied, partition 5).
import { gateTopicApi } from "../../../assembly/acl/gates/topics";
import {
  ListOffsetsRequest, ListOffsetsRequest_ListOffsetsPartition, ListOffsetsRequest_ListOffsetsTopic,
} from "../../../assembly/codec/generated/ListOffsetsRequest";
import {
  ListOffsetsResponse, ListOffsetsResponse_ListOffsetsPartitionResponse, ListOffsetsResponse_ListOffsetsTopicResponse,
} from "../../../assembly/codec/generated/ListOffsetsResponse";
import {
  DeleteRecordsRequest, DeleteRecordsRequest_DeleteRecordsPartition, DeleteRecordsRequest_DeleteRecordsTopic,
} from "../../../assembly/codec/generated/DeleteRecordsRequest";
import {
  DeleteRecordsResponse, DeleteRecordsResponse_DeleteRecordsPartitionResult, DeleteRecordsResponse_DeleteRecordsTopicResult,
} from "../../../assembly/codec/generated/DeleteRecordsResponse";
import {
  OffsetForLeaderEpochRequest, OffsetForLeaderEpochRequest_OffsetForLeaderPartition, OffsetForLeaderEpochRequest_OffsetForLeaderTopic,
} from "../../../assembly/codec/generated/OffsetForLeaderEpochRequest";
import {
  OffsetForLeaderEpochResponse, OffsetForLeaderEpochResponse_EpochEndOffset, OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult,
} from "../../../assembly/codec/generated/OffsetForLeaderEpochResponse";
import { DescribeProducersRequest, DescribeProducersRequest_TopicRequest } from "../../../assembly/codec/generated/DescribeProducersRequest";
import {
  DescribeProducersResponse, DescribeProducersResponse_PartitionResponse, DescribeProducersResponse_TopicResponse,
} from "../../../assembly/codec/generated/DescribeProducersResponse";
import { FakeAuthorizer, expectDeny, expectPass, expectRewrite, mergeRoundTrip } from "./topic-gate-helpers";

function partitionsOf(name: string): i32[] {
  return name == "orders" ? [0, 1] : [5];
}

// ---- ListOffsets ----------------------------------------------------------------------------

function listOffsets(names: string[]): ListOffsetsRequest {
  const request = new ListOffsetsRequest();
  request.replicaId = -1;
  for (let i = 0; i < names.length; i++) {
    const topic = new ListOffsetsRequest_ListOffsetsTopic();
    topic.name = names[i];
    const ps = partitionsOf(names[i]);
    for (let p = 0; p < ps.length; p++) {
      const partition = new ListOffsetsRequest_ListOffsetsPartition();
      partition.partitionIndex = ps[p];
      partition.timestamp = -1;
      topic.partitions.push(partition);
    }
    request.topics.push(topic);
  }
  return request;
}

function listOffsetsBroker(forwarded: ListOffsetsRequest): ListOffsetsResponse {
  const response = new ListOffsetsResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const topic = new ListOffsetsResponse_ListOffsetsTopicResponse();
    topic.name = forwarded.topics[i].name;
    for (let p = 0; p < forwarded.topics[i].partitions.length; p++) {
      const partition = new ListOffsetsResponse_ListOffsetsPartitionResponse();
      partition.partitionIndex = forwarded.topics[i].partitions[p].partitionIndex;
      partition.offset = 10;
      topic.partitions.push(partition);
    }
    response.topics.push(topic);
  }
  return response;
}

/** "name:code,code|name:code" for every topic, in response order. */
function listOffsetsCodes(response: ListOffsetsResponse): string {
  let s = "";
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    s += (i > 0 ? "|" : "") + topic.name + ":";
    for (let p = 0; p < topic.partitions.length; p++) {
      s += (p > 0 ? "," : "") + topic.partitions[p].errorCode.toString();
      if (topic.partitions[p].errorCode != 0) expect(topic.partitions[p].offset).toBe(-1);
    }
  }
  return s;
}

describe("ListOffsets gate", () => {
  it("needs Describe on each topic, v1-11", () => {
    for (let v: i16 = 1; v <= 11; v++) {
      const result = gateTopicApi(2, v, listOffsets(["orders", "secret-a"]), new FakeAuthorizer());
      const forwarded = expectRewrite<ListOffsetsRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      expect(forwarded.topics[0].name).toBe("orders");
      const merged = mergeRoundTrip<ListOffsetsResponse>(result!, listOffsetsBroker(forwarded), v);
      expect(listOffsetsCodes(merged)).toBe("orders:0,0|secret-a:29");
      const denied = expectDeny<ListOffsetsResponse>(gateTopicApi(2, v, listOffsets(["secret-a"]), new FakeAuthorizer()), v);
      expect(listOffsetsCodes(denied)).toBe("secret-a:29");
      expectPass(gateTopicApi(2, v, listOffsets(["orders"]), new FakeAuthorizer()));
    }
  });
});

// ---- DeleteRecords ------------------------------------------------------------------------------

function deleteRecords(names: string[]): DeleteRecordsRequest {
  const request = new DeleteRecordsRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new DeleteRecordsRequest_DeleteRecordsTopic();
    topic.name = names[i];
    const ps = partitionsOf(names[i]);
    for (let p = 0; p < ps.length; p++) {
      const partition = new DeleteRecordsRequest_DeleteRecordsPartition();
      partition.partitionIndex = ps[p];
      partition.offset = 3;
      topic.partitions.push(partition);
    }
    request.topics.push(topic);
  }
  return request;
}

function deleteRecordsBroker(forwarded: DeleteRecordsRequest): DeleteRecordsResponse {
  const response = new DeleteRecordsResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const topic = new DeleteRecordsResponse_DeleteRecordsTopicResult();
    topic.name = forwarded.topics[i].name;
    for (let p = 0; p < forwarded.topics[i].partitions.length; p++) {
      const partition = new DeleteRecordsResponse_DeleteRecordsPartitionResult();
      partition.partitionIndex = forwarded.topics[i].partitions[p].partitionIndex;
      partition.lowWatermark = 3;
      topic.partitions.push(partition);
    }
    response.topics.push(topic);
  }
  return response;
}

function deleteRecordsCodes(response: DeleteRecordsResponse): string {
  let s = "";
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    s += (i > 0 ? "|" : "") + topic.name + ":";
    for (let p = 0; p < topic.partitions.length; p++) {
      s += (p > 0 ? "," : "") + topic.partitions[p].errorCode.toString();
      expect(topic.partitions[p].lowWatermark).toBe(topic.partitions[p].errorCode == 0 ? 3 : -1);
    }
  }
  return s;
}

describe("DeleteRecords gate", () => {
  it("needs Delete on each topic, v0-2", () => {
    for (let v: i16 = 0; v <= 2; v++) {
      const result = gateTopicApi(21, v, deleteRecords(["secret-a", "orders"]), new FakeAuthorizer());
      const forwarded = expectRewrite<DeleteRecordsRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      const merged = mergeRoundTrip<DeleteRecordsResponse>(result!, deleteRecordsBroker(forwarded), v);
      expect(deleteRecordsCodes(merged)).toBe("orders:0,0|secret-a:29");
      const denied = expectDeny<DeleteRecordsResponse>(gateTopicApi(21, v, deleteRecords(["secret-a"]), new FakeAuthorizer()), v);
      expect(deleteRecordsCodes(denied)).toBe("secret-a:29");
      expectPass(gateTopicApi(21, v, deleteRecords(["orders"]), new FakeAuthorizer()));
    }
  });
});

// ---- OffsetForLeaderEpoch -------------------------------------------------------------------------

function offsetForLeaderEpoch(names: string[]): OffsetForLeaderEpochRequest {
  const request = new OffsetForLeaderEpochRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new OffsetForLeaderEpochRequest_OffsetForLeaderTopic();
    topic.topic = names[i];
    const ps = partitionsOf(names[i]);
    for (let p = 0; p < ps.length; p++) {
      const partition = new OffsetForLeaderEpochRequest_OffsetForLeaderPartition();
      partition.partition = ps[p];
      partition.leaderEpoch = 2;
      topic.partitions.push(partition);
    }
    request.topics.push(topic);
  }
  return request;
}

function offsetForLeaderEpochBroker(forwarded: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  const response = new OffsetForLeaderEpochResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const topic = new OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult();
    topic.topic = forwarded.topics[i].topic;
    for (let p = 0; p < forwarded.topics[i].partitions.length; p++) {
      const partition = new OffsetForLeaderEpochResponse_EpochEndOffset();
      partition.partition = forwarded.topics[i].partitions[p].partition;
      partition.endOffset = 50;
      topic.partitions.push(partition);
    }
    response.topics.push(topic);
  }
  return response;
}

function offsetForLeaderEpochCodes(response: OffsetForLeaderEpochResponse): string {
  let s = "";
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    s += (i > 0 ? "|" : "") + topic.topic + ":";
    for (let p = 0; p < topic.partitions.length; p++) {
      s += (p > 0 ? "," : "") + topic.partitions[p].errorCode.toString();
      expect(topic.partitions[p].endOffset).toBe(topic.partitions[p].errorCode == 0 ? 50 : -1);
    }
  }
  return s;
}

describe("OffsetForLeaderEpoch gate", () => {
  it("passes anything with ClusterAction, else needs Describe on each topic, v2-4", () => {
    for (let v: i16 = 2; v <= 4; v++) {
      const authorizer = new FakeAuthorizer();
      expectPass(gateTopicApi(23, v, offsetForLeaderEpoch(["orders", "secret-a"]), authorizer));
      expect(authorizer.loggedDenials).toBe(0);

      const consumer = new FakeAuthorizer();
      consumer.clusterDenied = true;
      const result = gateTopicApi(23, v, offsetForLeaderEpoch(["orders", "secret-a"]), consumer);
      const forwarded = expectRewrite<OffsetForLeaderEpochRequest>(result, v);
      expect(forwarded.topics.length).toBe(1);
      const merged = mergeRoundTrip<OffsetForLeaderEpochResponse>(result!, offsetForLeaderEpochBroker(forwarded), v);
      expect(offsetForLeaderEpochCodes(merged)).toBe("orders:0,0|secret-a:29");
      // The Cluster question is quiet, as in Kafka; only the topic denial is logged.
      expect(consumer.quietDenials).toBe(1);
      expect(consumer.loggedDenials).toBe(1);

      const none = new FakeAuthorizer();
      none.clusterDenied = true;
      const denied = expectDeny<OffsetForLeaderEpochResponse>(gateTopicApi(23, v, offsetForLeaderEpoch(["secret-a"]), none), v);
      expect(offsetForLeaderEpochCodes(denied)).toBe("secret-a:29");
    }
  });
});

// ---- DescribeProducers ---------------------------------------------------------------------------

function describeProducers(names: string[]): DescribeProducersRequest {
  const request = new DescribeProducersRequest();
  for (let i = 0; i < names.length; i++) {
    const topic = new DescribeProducersRequest_TopicRequest();
    topic.name = names[i];
    const ps = partitionsOf(names[i]);
    for (let p = 0; p < ps.length; p++) topic.partitionIndexes.push(ps[p]);
    request.topics.push(topic);
  }
  return request;
}

function describeProducersBroker(forwarded: DescribeProducersRequest): DescribeProducersResponse {
  const response = new DescribeProducersResponse();
  for (let i = 0; i < forwarded.topics.length; i++) {
    const topic = new DescribeProducersResponse_TopicResponse();
    topic.name = forwarded.topics[i].name;
    for (let p = 0; p < forwarded.topics[i].partitionIndexes.length; p++) {
      const partition = new DescribeProducersResponse_PartitionResponse();
      partition.partitionIndex = forwarded.topics[i].partitionIndexes[p];
      topic.partitions.push(partition);
    }
    response.topics.push(topic);
  }
  return response;
}

function describeProducersCodes(response: DescribeProducersResponse): string {
  let s = "";
  for (let i = 0; i < response.topics.length; i++) {
    const topic = response.topics[i];
    s += (i > 0 ? "|" : "") + topic.name + ":";
    for (let p = 0; p < topic.partitions.length; p++) {
      s += (p > 0 ? "," : "") + topic.partitions[p].errorCode.toString();
    }
  }
  return s;
}

describe("DescribeProducers gate", () => {
  it("needs Read on each topic, v0", () => {
    const result = gateTopicApi(61, 0, describeProducers(["orders", "secret-a"]), new FakeAuthorizer());
    const forwarded = expectRewrite<DescribeProducersRequest>(result, 0);
    expect(forwarded.topics.length).toBe(1);
    const merged = mergeRoundTrip<DescribeProducersResponse>(result!, describeProducersBroker(forwarded), 0);
    expect(describeProducersCodes(merged)).toBe("orders:0,0|secret-a:29");
    const denied = expectDeny<DescribeProducersResponse>(gateTopicApi(61, 0, describeProducers(["secret-a"]), new FakeAuthorizer()), 0);
    expect(describeProducersCodes(denied)).toBe("secret-a:29");
    expectPass(gateTopicApi(61, 0, describeProducers(["orders"]), new FakeAuthorizer()));
  });
});
