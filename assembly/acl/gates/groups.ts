// Gates for every API the codec knows that does not name topics first-hand: group,
// transaction, cluster and broker-internal APIs, and the ones Kafka never authorizes.
// The topic APIs are decided in gates/topics.ts, which gate.ts asks first; this returns
// null for them and for api keys the codec does not know. The README's API table lists
// every key with its rule.
import { Message } from "../../codec/message";
import { isKnownApi } from "../../codec/generated/apis";
import { OffsetCommitRequest } from "../../codec/generated/OffsetCommitRequest";
import { OffsetFetchRequest } from "../../codec/generated/OffsetFetchRequest";
import { FindCoordinatorRequest } from "../../codec/generated/FindCoordinatorRequest";
import { JoinGroupRequest } from "../../codec/generated/JoinGroupRequest";
import { HeartbeatRequest } from "../../codec/generated/HeartbeatRequest";
import { LeaveGroupRequest } from "../../codec/generated/LeaveGroupRequest";
import { SyncGroupRequest } from "../../codec/generated/SyncGroupRequest";
import { DescribeGroupsRequest } from "../../codec/generated/DescribeGroupsRequest";
import { InitProducerIdRequest } from "../../codec/generated/InitProducerIdRequest";
import { AddPartitionsToTxnRequest } from "../../codec/generated/AddPartitionsToTxnRequest";
import { AddOffsetsToTxnRequest } from "../../codec/generated/AddOffsetsToTxnRequest";
import { EndTxnRequest } from "../../codec/generated/EndTxnRequest";
import { TxnOffsetCommitRequest } from "../../codec/generated/TxnOffsetCommitRequest";
import { CreateDelegationTokenRequest } from "../../codec/generated/CreateDelegationTokenRequest";
import { DeleteGroupsRequest } from "../../codec/generated/DeleteGroupsRequest";
import { OffsetDeleteRequest } from "../../codec/generated/OffsetDeleteRequest";
import { DescribeTransactionsRequest } from "../../codec/generated/DescribeTransactionsRequest";
import { ConsumerGroupHeartbeatRequest } from "../../codec/generated/ConsumerGroupHeartbeatRequest";
import { ConsumerGroupDescribeRequest } from "../../codec/generated/ConsumerGroupDescribeRequest";
import { ShareGroupHeartbeatRequest } from "../../codec/generated/ShareGroupHeartbeatRequest";
import { ShareGroupDescribeRequest } from "../../codec/generated/ShareGroupDescribeRequest";
import { ShareFetchRequest } from "../../codec/generated/ShareFetchRequest";
import { ShareAcknowledgeRequest } from "../../codec/generated/ShareAcknowledgeRequest";
import { StreamsGroupHeartbeatRequest } from "../../codec/generated/StreamsGroupHeartbeatRequest";
import { StreamsGroupDescribeRequest } from "../../codec/generated/StreamsGroupDescribeRequest";
import { DescribeShareGroupOffsetsRequest } from "../../codec/generated/DescribeShareGroupOffsetsRequest";
import { AlterShareGroupOffsetsRequest } from "../../codec/generated/AlterShareGroupOffsetsRequest";
import { DeleteShareGroupOffsetsRequest } from "../../codec/generated/DeleteShareGroupOffsetsRequest";
import { Authorizer, GateResult, Operation, ResourceType } from "../model";
import { gateOffsetCommit, gateOffsetDelete, gateOffsetFetch } from "./group-offsets";
import {
  gateConsumerGroupDescribe, gateConsumerGroupHeartbeat, gateDeleteGroups, gateDescribeGroups, gateFindCoordinator,
  gateGroupRead, gateJoinGroup, gateListGroups, gateShareGroupDescribe, gateShareGroupHeartbeat, gateStreamsGroupDescribe,
} from "./group-membership";
import {
  gateAlterShareGroupOffsets, gateDeleteShareGroupOffsets, gateDescribeShareGroupOffsets, gateShareAcknowledge, gateShareFetch,
} from "./group-share";
import {
  gateAddOffsetsToTxn, gateAddPartitionsToTxn, gateDescribeTransactions, gateEndTxn, gateInitProducerId, gateListTransactions,
  gateTxnOffsetCommit,
} from "./txn-gates";
import { gateClusterOperation } from "./cluster-gates";
import { denyTopLevel } from "./group-common";

/** Kafka's error when a principal may not create a delegation token for another owner. */
const DELEGATION_TOKEN_AUTHORIZATION_FAILED: i16 = 65;

/** True for the api keys gates/topics.ts decides. */
export function isTopicGateApi(apiKey: i16): bool {
  switch (apiKey) {
    case 0: case 1: case 2: case 3: case 19: case 20: case 21: case 23: case 32: case 33: case 37:
    case 43: case 44: case 45: case 46: case 61: case 75:
      return true;
  }
  return false;
}

/** True for the APIs Kafka answers without any authorization. */
export function isAlwaysPassApi(apiKey: i16): bool {
  switch (apiKey) {
    case 17: // SaslHandshake
    case 18: // ApiVersions
    case 36: // SaslAuthenticate
    case 39: // RenewDelegationToken: the broker checks the token's owner/renewers itself
    case 40: // ExpireDelegationToken: likewise
    case 41: // DescribeDelegationToken: the broker filters tokens by owner/renewer
    case 60: // DescribeCluster: like Metadata's broker list, open to every principal
    case 71: // GetTelemetrySubscriptions (KIP-714): any client
    case 72: // PushTelemetry
      return true;
  }
  return false;
}

/** The Cluster operation an API needs as a whole; -1 when the API is not gated that way. */
export function clusterOperationFor(apiKey: i16): i32 {
  switch (apiKey) {
    case 29: return Operation.Describe;        // DescribeAcls
    case 30: return Operation.Alter;           // CreateAcls
    case 31: return Operation.Alter;           // DeleteAcls
    case 34: return Operation.Alter;           // AlterReplicaLogDirs
    case 35: return Operation.Describe;        // DescribeLogDirs
    case 48: return Operation.DescribeConfigs; // DescribeClientQuotas
    case 49: return Operation.AlterConfigs;    // AlterClientQuotas
    case 50: return Operation.Describe;        // DescribeUserScramCredentials
    case 51: return Operation.Alter;           // AlterUserScramCredentials
    case 55: return Operation.Describe;        // DescribeQuorum
    case 57: return Operation.Alter;           // UpdateFeatures
    case 64: return Operation.Alter;           // UnregisterBroker (an admin API)
    case 74: return Operation.DescribeConfigs; // ListConfigResources
    case 80: return Operation.Alter;           // AddRaftVoter (an admin API)
    case 81: return Operation.Alter;           // RemoveRaftVoter (an admin API)
    // Broker/controller-internal APIs.
    case 4: case 5: case 6: case 7:            // removed ZooKeeper-era APIs: no version decodes
    case 27:                                   // WriteTxnMarkers
    case 52: case 53: case 54: case 59:        // Vote, Begin/EndQuorumEpoch, FetchSnapshot
    case 56:                                   // AlterPartition
    case 58:                                   // Envelope
    case 62: case 63:                          // BrokerRegistration, BrokerHeartbeat
    case 67:                                   // AllocateProducerIds
    case 70:                                   // ControllerRegistration
    case 73:                                   // AssignReplicasToDirs
    case 82:                                   // UpdateRaftVoter
    case 83: case 84: case 85: case 86: case 87: // share-group state (broker to share coordinator)
      return Operation.ClusterAction;
  }
  return -1;
}

/**
 * CreateDelegationToken: creating a token for another owner needs CreateTokens on that
 * User ("Type:Name"); a token for oneself needs nothing.
 */
function gateCreateDelegationToken(version: i16, request: CreateDelegationTokenRequest, authorizer: Authorizer): GateResult {
  const ownerName = request.ownerPrincipalName;
  if (version < 3 || ownerName === null || ownerName.length == 0) return GateResult.pass();
  const ownerType = request.ownerPrincipalType;
  const owner = (ownerType !== null ? ownerType : "User") + ":" + ownerName;
  if (authorizer.allowed(ResourceType.User, owner, Operation.CreateTokens, true)) return GateResult.pass();
  const denied = denyTopLevel(38, version, DELEGATION_TOKEN_AUTHORIZATION_FAILED);
  return denied !== null ? denied : GateResult.deny(null);
}

/**
 * The gate for every API that is not a topic gate's: group, transaction and cluster APIs.
 * Returns null for an API key this build does not know or that gateTopicApi handles, so
 * the caller can tell "not mine" from a decision.
 */
export function gateGroupApi(apiKey: i16, apiVersion: i16, request: Message, authorizer: Authorizer): GateResult | null {
  if (!isKnownApi(apiKey) || isTopicGateApi(apiKey)) return null;
  if (isAlwaysPassApi(apiKey)) return GateResult.pass();
  const clusterOperation = clusterOperationFor(apiKey);
  if (clusterOperation >= 0) return gateClusterOperation(apiKey, apiVersion, request, <Operation>clusterOperation, authorizer);
  switch (apiKey) {
    case 8: return gateOffsetCommit(apiVersion, changetype<OffsetCommitRequest>(request), authorizer);
    case 9: return gateOffsetFetch(apiVersion, changetype<OffsetFetchRequest>(request), authorizer);
    case 10: return gateFindCoordinator(apiVersion, changetype<FindCoordinatorRequest>(request), authorizer);
    case 11: return gateJoinGroup(apiVersion, changetype<JoinGroupRequest>(request), authorizer);
    case 12: return gateGroupRead(apiKey, apiVersion, changetype<HeartbeatRequest>(request).groupId, authorizer);
    case 13: return gateGroupRead(apiKey, apiVersion, changetype<LeaveGroupRequest>(request).groupId, authorizer);
    case 14: return gateGroupRead(apiKey, apiVersion, changetype<SyncGroupRequest>(request).groupId, authorizer);
    case 15: return gateDescribeGroups(changetype<DescribeGroupsRequest>(request), authorizer);
    case 16: return gateListGroups(authorizer);
    case 22: return gateInitProducerId(changetype<InitProducerIdRequest>(request), authorizer);
    case 24: return gateAddPartitionsToTxn(apiVersion, changetype<AddPartitionsToTxnRequest>(request), authorizer);
    case 25: return gateAddOffsetsToTxn(changetype<AddOffsetsToTxnRequest>(request), authorizer);
    case 26: return gateEndTxn(changetype<EndTxnRequest>(request), authorizer);
    case 28: return gateTxnOffsetCommit(changetype<TxnOffsetCommitRequest>(request), authorizer);
    case 38: return gateCreateDelegationToken(apiVersion, changetype<CreateDelegationTokenRequest>(request), authorizer);
    case 42: return gateDeleteGroups(changetype<DeleteGroupsRequest>(request), authorizer);
    case 47: return gateOffsetDelete(changetype<OffsetDeleteRequest>(request), authorizer);
    case 65: return gateDescribeTransactions(changetype<DescribeTransactionsRequest>(request), authorizer);
    case 66: return gateListTransactions(authorizer);
    case 68: return gateConsumerGroupHeartbeat(apiVersion, changetype<ConsumerGroupHeartbeatRequest>(request), authorizer);
    case 69: return gateConsumerGroupDescribe(changetype<ConsumerGroupDescribeRequest>(request), authorizer);
    case 76: return gateShareGroupHeartbeat(apiVersion, changetype<ShareGroupHeartbeatRequest>(request), authorizer);
    case 77: return gateShareGroupDescribe(changetype<ShareGroupDescribeRequest>(request), authorizer);
    case 78: return gateShareFetch(apiVersion, changetype<ShareFetchRequest>(request), authorizer);
    case 79: return gateShareAcknowledge(apiVersion, changetype<ShareAcknowledgeRequest>(request), authorizer);
    case 88: return gateGroupRead(apiKey, apiVersion, changetype<StreamsGroupHeartbeatRequest>(request).groupId, authorizer);
    case 89: return gateStreamsGroupDescribe(changetype<StreamsGroupDescribeRequest>(request), authorizer);
    case 90: return gateDescribeShareGroupOffsets(changetype<DescribeShareGroupOffsetsRequest>(request), authorizer);
    case 91: return gateAlterShareGroupOffsets(changetype<AlterShareGroupOffsetsRequest>(request), authorizer);
    case 92: return gateDeleteShareGroupOffsets(changetype<DeleteShareGroupOffsetsRequest>(request), authorizer);
  }
  // A key the codec knows but no rule above names: refuse it rather than let it through.
  return GateResult.deny(null);
}
