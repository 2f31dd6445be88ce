// Gates for the APIs that need one operation on the Cluster resource ("kafka-cluster"):
// admin APIs (ACLs, quotas, SCRAM credentials, log dirs, features, quorum) and the
// broker/controller-internal APIs (ClusterAction). A denial answers
// CLUSTER_AUTHORIZATION_FAILED at the top-level error, or in every entry of responses
// without one, mirroring the entries the request named.
import { Message } from "../../codec/message";
import { CreateAclsRequest } from "../../codec/generated/CreateAclsRequest";
import { CreateAclsResponse, CreateAclsResponse_AclCreationResult } from "../../codec/generated/CreateAclsResponse";
import { DeleteAclsRequest } from "../../codec/generated/DeleteAclsRequest";
import { DeleteAclsResponse, DeleteAclsResponse_DeleteAclsFilterResult } from "../../codec/generated/DeleteAclsResponse";
import { AlterReplicaLogDirsRequest } from "../../codec/generated/AlterReplicaLogDirsRequest";
import {
  AlterReplicaLogDirsResponse, AlterReplicaLogDirsResponse_AlterReplicaLogDirPartitionResult,
  AlterReplicaLogDirsResponse_AlterReplicaLogDirTopicResult,
} from "../../codec/generated/AlterReplicaLogDirsResponse";
import { DescribeLogDirsResponse } from "../../codec/generated/DescribeLogDirsResponse";
import { DescribeClientQuotasResponse } from "../../codec/generated/DescribeClientQuotasResponse";
import { AlterClientQuotasRequest } from "../../codec/generated/AlterClientQuotasRequest";
import {
  AlterClientQuotasResponse, AlterClientQuotasResponse_EntityData, AlterClientQuotasResponse_EntryData,
} from "../../codec/generated/AlterClientQuotasResponse";
import { AlterUserScramCredentialsRequest } from "../../codec/generated/AlterUserScramCredentialsRequest";
import {
  AlterUserScramCredentialsResponse, AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult,
} from "../../codec/generated/AlterUserScramCredentialsResponse";
import { WriteTxnMarkersRequest } from "../../codec/generated/WriteTxnMarkersRequest";
import {
  WriteTxnMarkersResponse, WriteTxnMarkersResponse_WritableTxnMarkerPartitionResult, WriteTxnMarkersResponse_WritableTxnMarkerResult,
  WriteTxnMarkersResponse_WritableTxnMarkerTopicResult,
} from "../../codec/generated/WriteTxnMarkersResponse";
import { InitializeShareGroupStateRequest } from "../../codec/generated/InitializeShareGroupStateRequest";
import {
  InitializeShareGroupStateResponse, InitializeShareGroupStateResponse_InitializeStateResult, InitializeShareGroupStateResponse_PartitionResult,
} from "../../codec/generated/InitializeShareGroupStateResponse";
import { ReadShareGroupStateRequest } from "../../codec/generated/ReadShareGroupStateRequest";
import {
  ReadShareGroupStateResponse, ReadShareGroupStateResponse_PartitionResult, ReadShareGroupStateResponse_ReadStateResult,
} from "../../codec/generated/ReadShareGroupStateResponse";
import { WriteShareGroupStateRequest } from "../../codec/generated/WriteShareGroupStateRequest";
import {
  WriteShareGroupStateResponse, WriteShareGroupStateResponse_PartitionResult, WriteShareGroupStateResponse_WriteStateResult,
} from "../../codec/generated/WriteShareGroupStateResponse";
import { DeleteShareGroupStateRequest } from "../../codec/generated/DeleteShareGroupStateRequest";
import {
  DeleteShareGroupStateResponse, DeleteShareGroupStateResponse_DeleteStateResult, DeleteShareGroupStateResponse_PartitionResult,
} from "../../codec/generated/DeleteShareGroupStateResponse";
import { ReadShareGroupStateSummaryRequest } from "../../codec/generated/ReadShareGroupStateSummaryRequest";
import {
  ReadShareGroupStateSummaryResponse, ReadShareGroupStateSummaryResponse_PartitionResult,
  ReadShareGroupStateSummaryResponse_ReadStateSummaryResult,
} from "../../codec/generated/ReadShareGroupStateSummaryResponse";
import { Authorizer, CLUSTER_AUTHORIZATION_FAILED, GateResult, Operation } from "../model";
import { clusterAllowed, denyCluster } from "./group-common";

const DENIED: i16 = CLUSTER_AUTHORIZATION_FAILED;

/** Pass when `operation` on the cluster is allowed, else the API's cluster denial. */
export function gateClusterOperation(apiKey: i16, version: i16, request: Message, operation: Operation, authorizer: Authorizer): GateResult {
  if (clusterAllowed(authorizer, operation)) return GateResult.pass();
  return GateResult.deny(clusterDenial(apiKey, version, request));
}

/** The response a broker gives when the whole request is refused on the cluster. */
export function clusterDenial(apiKey: i16, version: i16, request: Message): Message | null {
  switch (apiKey) {
    case 27: return deniedTxnMarkers(changetype<WriteTxnMarkersRequest>(request));
    case 30: return deniedCreateAcls(changetype<CreateAclsRequest>(request));
    case 31: return deniedDeleteAcls(changetype<DeleteAclsRequest>(request));
    case 34: return deniedAlterReplicaLogDirs(changetype<AlterReplicaLogDirsRequest>(request));
    case 35: return deniedDescribeLogDirs(version);
    case 48: return deniedDescribeClientQuotas();
    case 49: return deniedAlterClientQuotas(changetype<AlterClientQuotasRequest>(request));
    case 51: return deniedAlterScram(changetype<AlterUserScramCredentialsRequest>(request));
    case 83: return deniedInitializeShareState(changetype<InitializeShareGroupStateRequest>(request));
    case 84: return deniedReadShareState(changetype<ReadShareGroupStateRequest>(request));
    case 85: return deniedWriteShareState(changetype<WriteShareGroupStateRequest>(request));
    case 86: return deniedDeleteShareState(changetype<DeleteShareGroupStateRequest>(request));
    case 87: return deniedReadShareStateSummary(changetype<ReadShareGroupStateSummaryRequest>(request));
  }
  return denyCluster(apiKey, version).response;
}

function deniedCreateAcls(request: CreateAclsRequest): Message {
  const response = new CreateAclsResponse();
  for (let i = 0, n = request.creations.length; i < n; i++) {
    const result = new CreateAclsResponse_AclCreationResult();
    result.errorCode = DENIED;
    result.errorMessage = null;
    response.results.push(result);
  }
  return response;
}

function deniedDeleteAcls(request: DeleteAclsRequest): Message {
  const response = new DeleteAclsResponse();
  for (let i = 0, n = request.filters.length; i < n; i++) {
    const result = new DeleteAclsResponse_DeleteAclsFilterResult();
    result.errorCode = DENIED;
    result.errorMessage = null;
    response.filterResults.push(result);
  }
  return response;
}

/** Before v3 the response has no error field: Kafka answers an empty result list. */
function deniedDescribeLogDirs(version: i16): Message {
  const response = new DescribeLogDirsResponse();
  response.setTopLevelErrorCode(version, DENIED);
  return response;
}

/** DescribeClientQuotasRequest.getErrorResponse answers a null entry list, not an empty one. */
function deniedDescribeClientQuotas(): Message {
  const response = new DescribeClientQuotasResponse();
  response.errorCode = DENIED;
  response.entries = null;
  return response;
}

function deniedAlterReplicaLogDirs(request: AlterReplicaLogDirsRequest): Message {
  const response = new AlterReplicaLogDirsResponse();
  const dirs = request.dirs;
  for (let i = 0, n = dirs.length; i < n; i++) {
    const topics = unchecked(dirs[i]).topics;
    for (let j = 0, m = topics.length; j < m; j++) {
      const topic = unchecked(topics[j]);
      const result = new AlterReplicaLogDirsResponse_AlterReplicaLogDirTopicResult();
      result.topicName = topic.name;
      for (let k = 0, l = topic.partitions.length; k < l; k++) {
        const p = new AlterReplicaLogDirsResponse_AlterReplicaLogDirPartitionResult();
        p.partitionIndex = unchecked(topic.partitions[k]);
        p.errorCode = DENIED;
        result.partitions.push(p);
      }
      response.results.push(result);
    }
  }
  return response;
}

function deniedAlterClientQuotas(request: AlterClientQuotasRequest): Message {
  const response = new AlterClientQuotasResponse();
  const entries = request.entries;
  for (let i = 0, n = entries.length; i < n; i++) {
    const entry = unchecked(entries[i]);
    const result = new AlterClientQuotasResponse_EntryData();
    result.errorCode = DENIED;
    result.errorMessage = null;
    for (let j = 0, m = entry.entity.length; j < m; j++) {
      const source = unchecked(entry.entity[j]);
      const entity = new AlterClientQuotasResponse_EntityData();
      entity.entityType = source.entityType;
      entity.entityName = source.entityName;
      result.entity.push(entity);
    }
    response.entries.push(result);
  }
  return response;
}

function scramResult(user: string): AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult {
  const result = new AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult();
  result.user = user;
  result.errorCode = DENIED;
  result.errorMessage = null;
  return result;
}

function deniedAlterScram(request: AlterUserScramCredentialsRequest): Message {
  const response = new AlterUserScramCredentialsResponse();
  for (let i = 0, n = request.deletions.length; i < n; i++) response.results.push(scramResult(unchecked(request.deletions[i]).name));
  for (let i = 0, n = request.upsertions.length; i < n; i++) response.results.push(scramResult(unchecked(request.upsertions[i]).name));
  return response;
}

function deniedTxnMarkers(request: WriteTxnMarkersRequest): Message {
  const response = new WriteTxnMarkersResponse();
  const markers = request.markers;
  for (let i = 0, n = markers.length; i < n; i++) {
    const marker = unchecked(markers[i]);
    const result = new WriteTxnMarkersResponse_WritableTxnMarkerResult();
    result.producerId = marker.producerId;
    for (let j = 0, m = marker.topics.length; j < m; j++) {
      const topic = unchecked(marker.topics[j]);
      const topicResult = new WriteTxnMarkersResponse_WritableTxnMarkerTopicResult();
      topicResult.name = topic.name;
      for (let k = 0, l = topic.partitionIndexes.length; k < l; k++) {
        const p = new WriteTxnMarkersResponse_WritableTxnMarkerPartitionResult();
        p.partitionIndex = unchecked(topic.partitionIndexes[k]);
        p.errorCode = DENIED;
        topicResult.partitions.push(p);
      }
      result.topics.push(topicResult);
    }
    response.markers.push(result);
  }
  return response;
}

// The five share-group state APIs (broker to share coordinator) share one shape:
// topics[topicId, partitions[partition]] → results[topicId, partitions[partition, errorCode]].

function deniedInitializeShareState(request: InitializeShareGroupStateRequest): Message {
  const response = new InitializeShareGroupStateResponse();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const result = new InitializeShareGroupStateResponse_InitializeStateResult();
    result.topicId = topic.topicId;
    for (let j = 0, m = topic.partitions.length; j < m; j++) {
      const p = new InitializeShareGroupStateResponse_PartitionResult();
      p.partition = unchecked(topic.partitions[j]).partition;
      p.errorCode = DENIED;
      result.partitions.push(p);
    }
    response.results.push(result);
  }
  return response;
}

function deniedReadShareState(request: ReadShareGroupStateRequest): Message {
  const response = new ReadShareGroupStateResponse();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const result = new ReadShareGroupStateResponse_ReadStateResult();
    result.topicId = topic.topicId;
    for (let j = 0, m = topic.partitions.length; j < m; j++) {
      const p = new ReadShareGroupStateResponse_PartitionResult();
      p.partition = unchecked(topic.partitions[j]).partition;
      p.errorCode = DENIED;
      result.partitions.push(p);
    }
    response.results.push(result);
  }
  return response;
}

function deniedWriteShareState(request: WriteShareGroupStateRequest): Message {
  const response = new WriteShareGroupStateResponse();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const result = new WriteShareGroupStateResponse_WriteStateResult();
    result.topicId = topic.topicId;
    for (let j = 0, m = topic.partitions.length; j < m; j++) {
      const p = new WriteShareGroupStateResponse_PartitionResult();
      p.partition = unchecked(topic.partitions[j]).partition;
      p.errorCode = DENIED;
      result.partitions.push(p);
    }
    response.results.push(result);
  }
  return response;
}

function deniedDeleteShareState(request: DeleteShareGroupStateRequest): Message {
  const response = new DeleteShareGroupStateResponse();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const result = new DeleteShareGroupStateResponse_DeleteStateResult();
    result.topicId = topic.topicId;
    for (let j = 0, m = topic.partitions.length; j < m; j++) {
      const p = new DeleteShareGroupStateResponse_PartitionResult();
      p.partition = unchecked(topic.partitions[j]).partition;
      p.errorCode = DENIED;
      result.partitions.push(p);
    }
    response.results.push(result);
  }
  return response;
}

function deniedReadShareStateSummary(request: ReadShareGroupStateSummaryRequest): Message {
  const response = new ReadShareGroupStateSummaryResponse();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const result = new ReadShareGroupStateSummaryResponse_ReadStateSummaryResult();
    result.topicId = topic.topicId;
    for (let j = 0, m = topic.partitions.length; j < m; j++) {
      const p = new ReadShareGroupStateSummaryResponse_PartitionResult();
      p.partition = unchecked(topic.partitions[j]).partition;
      p.errorCode = DENIED;
      result.partitions.push(p);
    }
    response.results.push(result);
  }
  return response;
}
