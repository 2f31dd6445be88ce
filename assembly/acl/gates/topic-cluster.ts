// Partition administration that Kafka authorizes on the Cluster alone, all or nothing:
// ElectLeaders (43, Alter), AlterPartitionReassignments (45, Alter) and
// ListPartitionReassignments (46, Describe). A denial is Kafka's error response for
// the request: CLUSTER_AUTHORIZATION_FAILED at the top (where the version has a
// top-level error) and on every partition the request named.
import { ElectLeadersRequest } from "../../codec/generated/ElectLeadersRequest";
import {
  ElectLeadersResponse, ElectLeadersResponse_PartitionResult, ElectLeadersResponse_ReplicaElectionResult,
} from "../../codec/generated/ElectLeadersResponse";
import { AlterPartitionReassignmentsRequest } from "../../codec/generated/AlterPartitionReassignmentsRequest";
import {
  AlterPartitionReassignmentsResponse, AlterPartitionReassignmentsResponse_ReassignablePartitionResponse,
  AlterPartitionReassignmentsResponse_ReassignableTopicResponse,
} from "../../codec/generated/AlterPartitionReassignmentsResponse";
import { ListPartitionReassignmentsResponse } from "../../codec/generated/ListPartitionReassignmentsResponse";
import { Authorizer, CLUSTER_AUTHORIZATION_FAILED, CLUSTER_NAME, GateResult, Operation, ResourceType, denialMessage } from "../model";

function clusterAllowed(authorizer: Authorizer, operation: Operation): bool {
  return authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, operation, true);
}

/** v0 has no top-level error; a request for all partitions (null) then lists none. */
export function gateElectLeaders(version: i16, request: ElectLeadersRequest, authorizer: Authorizer): GateResult {
  if (clusterAllowed(authorizer, Operation.Alter)) return GateResult.pass();
  const response = new ElectLeadersResponse();
  if (version >= 1) response.errorCode = CLUSTER_AUTHORIZATION_FAILED;
  const topics = request.topicPartitions;
  if (topics !== null) {
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const result = new ElectLeadersResponse_ReplicaElectionResult();
      result.topic = topic.topic;
      const partitions = topic.partitions;
      for (let p = 0, k = partitions.length; p < k; p++) {
        const partition = new ElectLeadersResponse_PartitionResult();
        partition.partitionId = unchecked(partitions[p]);
        partition.errorCode = CLUSTER_AUTHORIZATION_FAILED;
        partition.errorMessage = null;
        result.partitionResult.push(partition);
      }
      response.replicaElectionResults.push(result);
    }
  }
  return GateResult.deny(response);
}

/**
 * AlterPartitionReassignments (45): Alter on the Cluster, else the whole request is answered
 * with CLUSTER_AUTHORIZATION_FAILED at the top level and on every named partition.
 */
export function gateAlterPartitionReassignments(request: AlterPartitionReassignmentsRequest, authorizer: Authorizer): GateResult {
  if (clusterAllowed(authorizer, Operation.Alter)) return GateResult.pass();
  const response = new AlterPartitionReassignmentsResponse();
  response.errorCode = CLUSTER_AUTHORIZATION_FAILED;
  response.errorMessage = denialMessage(CLUSTER_AUTHORIZATION_FAILED);
  const topics = request.topics;
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const result = new AlterPartitionReassignmentsResponse_ReassignableTopicResponse();
    result.name = topic.name;
    const partitions = topic.partitions;
    for (let p = 0, k = partitions.length; p < k; p++) {
      const partition = new AlterPartitionReassignmentsResponse_ReassignablePartitionResponse();
      partition.partitionIndex = unchecked(partitions[p]).partitionIndex;
      partition.errorCode = CLUSTER_AUTHORIZATION_FAILED;
      partition.errorMessage = denialMessage(CLUSTER_AUTHORIZATION_FAILED);
      result.partitions.push(partition);
    }
    response.responses.push(result);
  }
  return GateResult.deny(response);
}

/** The response has only a top-level error; no reassignments are listed. */
export function gateListPartitionReassignments(authorizer: Authorizer): GateResult {
  if (clusterAllowed(authorizer, Operation.Describe)) return GateResult.pass();
  const response = new ListPartitionReassignmentsResponse();
  response.errorCode = CLUSTER_AUTHORIZATION_FAILED;
  response.errorMessage = denialMessage(CLUSTER_AUTHORIZATION_FAILED);
  return GateResult.deny(response);
}
