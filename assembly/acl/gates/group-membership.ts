// Gates for group membership and group listings: JoinGroup/Heartbeat/LeaveGroup/SyncGroup,
// DescribeGroups, ListGroups, DeleteGroups, FindCoordinator, and the consumer, share and
// streams group heartbeats and describes (KIP-848, KIP-932, KIP-1071).
import { Message } from "../../codec/message";
import { JoinGroupRequest } from "../../codec/generated/JoinGroupRequest";
import { JoinGroupResponse } from "../../codec/generated/JoinGroupResponse";
import { DescribeGroupsRequest } from "../../codec/generated/DescribeGroupsRequest";
import { DescribeGroupsResponse, DescribeGroupsResponse_DescribedGroup } from "../../codec/generated/DescribeGroupsResponse";
import { ListGroupsResponse, ListGroupsResponse_ListedGroup } from "../../codec/generated/ListGroupsResponse";
import { DeleteGroupsRequest } from "../../codec/generated/DeleteGroupsRequest";
import { DeleteGroupsResponse, DeleteGroupsResponse_DeletableGroupResult } from "../../codec/generated/DeleteGroupsResponse";
import { FindCoordinatorRequest } from "../../codec/generated/FindCoordinatorRequest";
import { FindCoordinatorResponse, FindCoordinatorResponse_Coordinator } from "../../codec/generated/FindCoordinatorResponse";
import { ConsumerGroupHeartbeatRequest } from "../../codec/generated/ConsumerGroupHeartbeatRequest";
import { ConsumerGroupDescribeRequest } from "../../codec/generated/ConsumerGroupDescribeRequest";
import {
  ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponse_Assignment, ConsumerGroupDescribeResponse_DescribedGroup,
} from "../../codec/generated/ConsumerGroupDescribeResponse";
import { ShareGroupHeartbeatRequest } from "../../codec/generated/ShareGroupHeartbeatRequest";
import { ShareGroupDescribeRequest } from "../../codec/generated/ShareGroupDescribeRequest";
import { ShareGroupDescribeResponse, ShareGroupDescribeResponse_DescribedGroup } from "../../codec/generated/ShareGroupDescribeResponse";
import { StreamsGroupDescribeRequest } from "../../codec/generated/StreamsGroupDescribeRequest";
import {
  StreamsGroupDescribeResponse, StreamsGroupDescribeResponse_DescribedGroup, StreamsGroupDescribeResponse_TopicInfo,
} from "../../codec/generated/StreamsGroupDescribeResponse";
import {
  Authorizer, CLUSTER_AUTHORIZATION_FAILED, CLUSTER_NAME, GROUP_AUTHORIZATION_FAILED, GateResult, Operation, ResourceType,
  ResponseMerger, TOPIC_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, denialMessage,
} from "../model";
import { denyTopLevel } from "./group-common";
import { deniedFirst } from "./merge-order";

/** Deny with `code` at the top level of the API's response (all these APIs have one in every version). */
function denyWhole(apiKey: i16, version: i16, code: i16): GateResult {
  const denied = denyTopLevel(apiKey, version, code);
  return denied !== null ? denied : GateResult.deny(null);
}

/** Read on the group, else GROUP_AUTHORIZATION_FAILED at the top level (Heartbeat, LeaveGroup, SyncGroup, ...). */
export function gateGroupRead(apiKey: i16, version: i16, groupId: string | null, authorizer: Authorizer): GateResult {
  const name = groupId !== null ? groupId : "";
  if (authorizer.allowed(ResourceType.Group, name, Operation.Read, true)) return GateResult.pass();
  return denyWhole(apiKey, version, GROUP_AUTHORIZATION_FAILED);
}

/**
 * A denial shaped like Kafka's JoinGroupRequest.getErrorResponse: generation -1, member
 * and leader "" (UNKNOWN_MEMBER_ID, not the id the client sent), protocol name null from
 * v7 ("" before), no members.
 */
export function gateJoinGroup(version: i16, request: JoinGroupRequest, authorizer: Authorizer): GateResult {
  if (authorizer.allowed(ResourceType.Group, request.groupId, Operation.Read, true)) return GateResult.pass();
  const response = new JoinGroupResponse();
  response.errorCode = GROUP_AUTHORIZATION_FAILED;
  if (version >= 7) response.protocolName = null;
  return GateResult.deny(response);
}

// ---- per-group listings: DescribeGroups, ConsumerGroupDescribe, ShareGroupDescribe, StreamsGroupDescribe, DeleteGroups

/** Splits group ids into those allowed (forwarded) and error entries of type G for the rest. */
class GroupSplit<G> {
  kept: Array<string> = new Array<string>();
  denied: Array<G> = new Array<G>();

  constructor(ids: Array<string>, operation: Operation, authorizer: Authorizer) {
    for (let i = 0, n = ids.length; i < n; i++) {
      const id = unchecked(ids[i]);
      if (authorizer.allowed(ResourceType.Group, id, operation, true)) {
        this.kept.push(id);
      } else {
        const entry = instantiate<G>();
        entry.groupId = id;
        entry.errorCode = GROUP_AUTHORIZATION_FAILED;
        this.denied.push(entry);
      }
    }
  }
}

/** Puts the denied entries first in a response R whose per-group list is `groups`, as Kafka does. */
class PrependGroups<R, G> extends ResponseMerger {
  constructor(private denied: Array<G>) { super(); }
  merge(response: Message): void {
    const typed = changetype<R>(response);
    // @ts-ignore: every R used here has `groups: Array<G>`
    typed.groups = deniedFirst<G>(this.denied, typed.groups);
  }
}

/**
 * The shared shape of the describe APIs: every denied id becomes an error entry; the
 * allowed ids are forwarded (the caller stores `split.kept` back into the request).
 */
function gateGroupList<R extends Message, G>(request: Message, split: GroupSplit<G>): GateResult {
  if (split.denied.length == 0) return GateResult.pass();
  if (split.kept.length == 0) {
    const response = instantiate<R>();
    // @ts-ignore: every R used here has `groups: Array<G>`
    response.groups = split.denied;
    return GateResult.deny(response);
  }
  return GateResult.rewrite(request, new PrependGroups<R, G>(split.denied));
}

/**
 * DescribeGroups (15): Describe per group. Denied ids become GROUP_AUTHORIZATION_FAILED
 * entries placed before the broker's, as Kafka answers them; the rest are forwarded, or,
 * when none is left, the whole answer is made here without the broker.
 */
export function gateDescribeGroups(request: DescribeGroupsRequest, authorizer: Authorizer): GateResult {
  const split = new GroupSplit<DescribeGroupsResponse_DescribedGroup>(request.groups, Operation.Describe, authorizer);
  request.groups = split.kept;
  return gateGroupList<DescribeGroupsResponse, DescribeGroupsResponse_DescribedGroup>(request, split);
}

class AppendDeleteGroupResults extends ResponseMerger {
  constructor(private denied: Array<DeleteGroupsResponse_DeletableGroupResult>) { super(); }
  merge(response: Message): void {
    const results = changetype<DeleteGroupsResponse>(response).results;
    for (let i = 0, n = this.denied.length; i < n; i++) results.push(unchecked(this.denied[i]));
  }
}

/**
 * DeleteGroups (42): Delete per group. Denied ids get GROUP_AUTHORIZATION_FAILED results
 * appended after the broker's; the request is answered here when none is allowed.
 */
export function gateDeleteGroups(request: DeleteGroupsRequest, authorizer: Authorizer): GateResult {
  const split = new GroupSplit<DeleteGroupsResponse_DeletableGroupResult>(request.groupsNames, Operation.Delete, authorizer);
  if (split.denied.length == 0) return GateResult.pass();
  if (split.kept.length == 0) {
    const response = new DeleteGroupsResponse();
    response.results = split.denied;
    return GateResult.deny(response);
  }
  request.groupsNames = split.kept;
  return GateResult.rewrite(request, new AppendDeleteGroupResults(split.denied));
}

/** Kafka 4.3.1's messages (KafkaApis) on a described group replaced for naming a topic the principal may not Describe. */
const GROUP_TOPICS_NOT_DESCRIBABLE = "The group has described topic(s) that the client is not authorized to describe.";
const STREAMS_TOPICS_NOT_DESCRIBABLE = "The described group uses topics that the client is not authorized to describe.";

/**
 * The consumer, share and streams group describes: Describe per group, and (as Kafka 4
 * does) a described group naming a topic the principal may not Describe is replaced by
 * a TOPIC_AUTHORIZATION_FAILED entry with Kafka's message and no members. `merger` knows
 * which topics a group of its API names and puts the denied groups' entries first.
 */
function gateDescribedGroups<R extends Message, G>(
  request: Message, split: GroupSplit<G>, merger: ResponseMerger,
): GateResult {
  if (split.kept.length == 0 && split.denied.length > 0) {
    const response = instantiate<R>();
    // @ts-ignore: every R used here has `groups: Array<G>`
    response.groups = split.denied;
    return GateResult.deny(response);
  }
  if (split.denied.length == 0) return GateResult.passAndMerge(merger);
  return GateResult.rewrite(request, merger);
}

/** Share groups name the topics of each member's assignment (KafkaApis.handleShareGroupDescribe). */
class MergeShareGroupDescribe extends ResponseMerger {
  constructor(private authorizer: Authorizer, private denied: Array<ShareGroupDescribeResponse_DescribedGroup>) { super(); }

  merge(response: Message): void {
    const groups = changetype<ShareGroupDescribeResponse>(response).groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      if (group.errorCode != 0 || this.namesOnlyDescribable(group)) continue;
      const replaced = new ShareGroupDescribeResponse_DescribedGroup();
      replaced.groupId = group.groupId;
      replaced.errorCode = TOPIC_AUTHORIZATION_FAILED;
      replaced.errorMessage = GROUP_TOPICS_NOT_DESCRIBABLE;
      unchecked(groups[i] = replaced);
    }
    changetype<ShareGroupDescribeResponse>(response).groups = deniedFirst(this.denied, groups);
  }

  private namesOnlyDescribable(group: ShareGroupDescribeResponse_DescribedGroup): bool {
    const members = group.members;
    for (let i = 0, n = members.length; i < n; i++) {
      const topics = unchecked(members[i]).assignment.topicPartitions;
      for (let j = 0, m = topics.length; j < m; j++) {
        if (!this.authorizer.allowed(ResourceType.Topic, unchecked(topics[j]).topicName, Operation.Describe, true)) return false;
      }
    }
    return true;
  }
}

/**
 * ShareGroupDescribe (77, KIP-932): Describe per group, then a group whose members are
 * assigned a topic the principal may not Describe becomes TOPIC_AUTHORIZATION_FAILED
 * with Kafka's message (MergeShareGroupDescribe).
 */
export function gateShareGroupDescribe(request: ShareGroupDescribeRequest, authorizer: Authorizer): GateResult {
  const split = new GroupSplit<ShareGroupDescribeResponse_DescribedGroup>(request.groupIds, Operation.Describe, authorizer);
  request.groupIds = split.kept;
  return gateDescribedGroups<ShareGroupDescribeResponse, ShareGroupDescribeResponse_DescribedGroup>(
    request, split, new MergeShareGroupDescribe(authorizer, split.denied));
}

/**
 * Streams groups name the topics of their topology: each subtopology's source,
 * repartition sink, repartition source and state changelog topics
 * (KafkaApis.handleStreamsGroupDescribe).
 */
class MergeStreamsGroupDescribe extends ResponseMerger {
  constructor(private authorizer: Authorizer, private denied: Array<StreamsGroupDescribeResponse_DescribedGroup>) { super(); }

  merge(response: Message): void {
    const groups = changetype<StreamsGroupDescribeResponse>(response).groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      if (group.errorCode != 0 || this.namesOnlyDescribable(group)) continue;
      const replaced = new StreamsGroupDescribeResponse_DescribedGroup();
      replaced.groupId = group.groupId;
      replaced.errorCode = TOPIC_AUTHORIZATION_FAILED;
      replaced.errorMessage = STREAMS_TOPICS_NOT_DESCRIBABLE;
      unchecked(groups[i] = replaced);
    }
    changetype<StreamsGroupDescribeResponse>(response).groups = deniedFirst(this.denied, groups);
  }

  private namesOnlyDescribable(group: StreamsGroupDescribeResponse_DescribedGroup): bool {
    const topology = group.topology;
    if (topology === null) return true;
    const subtopologies = topology.subtopologies;
    if (subtopologies === null) return true;
    for (let i = 0, n = subtopologies.length; i < n; i++) {
      const sub = unchecked(subtopologies[i]);
      if (!this.allNames(sub.sourceTopics) || !this.allNames(sub.repartitionSinkTopics) ||
          !this.allInfos(sub.repartitionSourceTopics) || !this.allInfos(sub.stateChangelogTopics)) return false;
    }
    return true;
  }

  private allNames(names: Array<string>): bool {
    for (let i = 0, n = names.length; i < n; i++) {
      if (!this.authorizer.allowed(ResourceType.Topic, unchecked(names[i]), Operation.Describe, true)) return false;
    }
    return true;
  }

  private allInfos(topics: Array<StreamsGroupDescribeResponse_TopicInfo>): bool {
    for (let i = 0, n = topics.length; i < n; i++) {
      if (!this.authorizer.allowed(ResourceType.Topic, unchecked(topics[i]).name, Operation.Describe, true)) return false;
    }
    return true;
  }
}

/**
 * StreamsGroupDescribe (89, KIP-1071): Describe per group, then a group whose topology
 * names a topic the principal may not Describe becomes TOPIC_AUTHORIZATION_FAILED
 * (MergeStreamsGroupDescribe).
 */
export function gateStreamsGroupDescribe(request: StreamsGroupDescribeRequest, authorizer: Authorizer): GateResult {
  const split = new GroupSplit<StreamsGroupDescribeResponse_DescribedGroup>(request.groupIds, Operation.Describe, authorizer);
  request.groupIds = split.kept;
  return gateDescribedGroups<StreamsGroupDescribeResponse, StreamsGroupDescribeResponse_DescribedGroup>(
    request, split, new MergeStreamsGroupDescribe(authorizer, split.denied));
}

/**
 * ConsumerGroupDescribe: Describe per group, and (as Kafka 4 does) a described group whose
 * members are assigned a topic the principal may not Describe is replaced by a
 * TOPIC_AUTHORIZATION_FAILED entry.
 */
class MergeConsumerGroupDescribe extends ResponseMerger {
  constructor(private authorizer: Authorizer, private denied: Array<ConsumerGroupDescribeResponse_DescribedGroup>) { super(); }

  merge(response: Message): void {
    const groups = changetype<ConsumerGroupDescribeResponse>(response).groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      if (group.errorCode != 0 || this.assignsOnlyDescribable(group)) continue;
      const replaced = new ConsumerGroupDescribeResponse_DescribedGroup();
      replaced.groupId = group.groupId;
      replaced.errorCode = TOPIC_AUTHORIZATION_FAILED;
      replaced.errorMessage = GROUP_TOPICS_NOT_DESCRIBABLE;
      unchecked(groups[i] = replaced);
    }
    changetype<ConsumerGroupDescribeResponse>(response).groups = deniedFirst(this.denied, groups);
  }

  private assignsOnlyDescribable(group: ConsumerGroupDescribeResponse_DescribedGroup): bool {
    const members = group.members;
    for (let i = 0, n = members.length; i < n; i++) {
      const member = unchecked(members[i]);
      if (!this.describable(member.assignment) || !this.describable(member.targetAssignment)) return false;
    }
    return true;
  }

  private describable(assignment: ConsumerGroupDescribeResponse_Assignment): bool {
    const topics = assignment.topicPartitions;
    for (let i = 0, n = topics.length; i < n; i++) {
      if (!this.authorizer.allowed(ResourceType.Topic, unchecked(topics[i]).topicName, Operation.Describe, true)) return false;
    }
    return true;
  }
}

/**
 * ConsumerGroupDescribe (69, KIP-848): Describe per group, then a group with a member
 * (current or target) assignment naming an undescribable topic becomes
 * TOPIC_AUTHORIZATION_FAILED (MergeConsumerGroupDescribe).
 */
export function gateConsumerGroupDescribe(request: ConsumerGroupDescribeRequest, authorizer: Authorizer): GateResult {
  const split = new GroupSplit<ConsumerGroupDescribeResponse_DescribedGroup>(request.groupIds, Operation.Describe, authorizer);
  request.groupIds = split.kept;
  return gateDescribedGroups<ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponse_DescribedGroup>(
    request, split, new MergeConsumerGroupDescribe(authorizer, split.denied));
}

// ---- ListGroups (16) -------------------------------------------------------------------

/** Drops, without an audit line, the groups the principal may not Describe (Kafka's quiet filter). */
class FilterListedGroups extends ResponseMerger {
  constructor(private authorizer: Authorizer) { super(); }
  merge(response: Message): void {
    const listed = changetype<ListGroupsResponse>(response);
    const shown = new Array<ListGroupsResponse_ListedGroup>();
    const groups = listed.groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      if (this.authorizer.allowed(ResourceType.Group, group.groupId, Operation.Describe, false)) shown.push(group);
    }
    listed.groups = shown;
  }
}

/**
 * ListGroups (16): Describe on the Cluster lists every group; without it the broker's
 * list is filtered to the groups the principal may Describe, quietly (no audit line,
 * no error), as KafkaApis.handleListGroupsRequest does.
 */
export function gateListGroups(authorizer: Authorizer): GateResult {
  if (authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.Describe, false)) return GateResult.pass();
  return GateResult.passAndMerge(new FilterListedGroups(authorizer));
}

// ---- FindCoordinator (10) --------------------------------------------------------------

const KEY_TYPE_GROUP: i8 = 0;
const KEY_TYPE_TRANSACTION: i8 = 1;
const KEY_TYPE_SHARE: i8 = 2;

/** The error a coordinator lookup for `key` gets; 0 when allowed or when the key type is not one Kafka authorizes. */
function coordinatorKeyError(keyType: i8, key: string, authorizer: Authorizer): i16 {
  if (keyType == KEY_TYPE_GROUP) {
    return authorizer.allowed(ResourceType.Group, key, Operation.Describe, true) ? 0 : GROUP_AUTHORIZATION_FAILED;
  }
  if (keyType == KEY_TYPE_TRANSACTION) {
    return authorizer.allowed(ResourceType.TransactionalId, key, Operation.Describe, true) ? 0 : TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  }
  if (keyType == KEY_TYPE_SHARE) {
    // Share-state coordinator keys are broker-internal ("group:topicId:partition").
    return authorizer.allowed(ResourceType.Cluster, CLUSTER_NAME, Operation.ClusterAction, true) ? 0 : CLUSTER_AUTHORIZATION_FAILED;
  }
  // The broker rejects unknown key types with INVALID_REQUEST; nothing is named.
  return 0;
}

/**
 * A v4+ denied key as Kafka 4 answers it: node -1, host "", port -1, and the error
 * message left at the schema default "" (KafkaApis sets none for v4+; v0-3 carry
 * `Errors.message()`).
 */
function deniedCoordinator(key: string, code: i16): FindCoordinatorResponse_Coordinator {
  const coordinator = new FindCoordinatorResponse_Coordinator();
  coordinator.key = key;
  coordinator.nodeId = -1;
  coordinator.port = -1;
  coordinator.errorCode = code;
  return coordinator;
}

class AppendCoordinators extends ResponseMerger {
  constructor(private denied: Array<FindCoordinatorResponse_Coordinator>) { super(); }
  merge(response: Message): void {
    const coordinators = changetype<FindCoordinatorResponse>(response).coordinators;
    for (let i = 0, n = this.denied.length; i < n; i++) coordinators.push(unchecked(this.denied[i]));
  }
}

/**
 * FindCoordinator (10): Describe on the group (key type 0) or transactional id (1),
 * ClusterAction on the Cluster for share-state keys (2). v0-3 carry one key and are
 * answered whole (node -1, port -1, Kafka's default message); v4+ batch keys
 * (KIP-699): denied keys get error entries appended after the broker's coordinators.
 */
export function gateFindCoordinator(version: i16, request: FindCoordinatorRequest, authorizer: Authorizer): GateResult {
  if (version < 4) {
    const code = coordinatorKeyError(request.keyType, request.key, authorizer);
    if (code == 0) return GateResult.pass();
    const response = new FindCoordinatorResponse();
    response.errorCode = code;
    response.errorMessage = denialMessage(code);
    response.nodeId = -1;
    response.port = -1;
    return GateResult.deny(response);
  }
  const keys = request.coordinatorKeys;
  const kept = new Array<string>();
  const denied = new Array<FindCoordinatorResponse_Coordinator>();
  for (let i = 0, n = keys.length; i < n; i++) {
    const key = unchecked(keys[i]);
    const code = coordinatorKeyError(request.keyType, key, authorizer);
    if (code == 0) kept.push(key);
    else denied.push(deniedCoordinator(key, code));
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = new FindCoordinatorResponse();
    response.coordinators = denied;
    return GateResult.deny(response);
  }
  request.coordinatorKeys = kept;
  return GateResult.rewrite(request, new AppendCoordinators(denied));
}

// ---- new-protocol heartbeats: ConsumerGroupHeartbeat (68), ShareGroupHeartbeat (76) ----

/**
 * Read on the group (GROUP_AUTHORIZATION_FAILED), then Describe on every subscribed topic
 * name: Kafka 4 answers TOPIC_AUTHORIZATION_FAILED when any is denied.
 */
function gateSubscribingHeartbeat(apiKey: i16, version: i16, groupId: string, subscribed: Array<string> | null, authorizer: Authorizer): GateResult {
  if (!authorizer.allowed(ResourceType.Group, groupId, Operation.Read, true)) {
    return denyWhole(apiKey, version, GROUP_AUTHORIZATION_FAILED);
  }
  if (subscribed !== null) {
    let allDescribable = true;
    for (let i = 0, n = subscribed.length; i < n; i++) {
      // Ask about every topic so each denial is audited, as Kafka logs each one.
      if (!authorizer.allowed(ResourceType.Topic, unchecked(subscribed[i]), Operation.Describe, true)) allDescribable = false;
    }
    if (!allDescribable) return denyWhole(apiKey, version, TOPIC_AUTHORIZATION_FAILED);
  }
  return GateResult.pass();
}

/** ConsumerGroupHeartbeat (68, KIP-848): Read on the group, Describe on every subscribed topic name. */
export function gateConsumerGroupHeartbeat(version: i16, request: ConsumerGroupHeartbeatRequest, authorizer: Authorizer): GateResult {
  return gateSubscribingHeartbeat(68, version, request.groupId, request.subscribedTopicNames, authorizer);
}

/** ShareGroupHeartbeat (76, KIP-932): Read on the group, Describe on every subscribed topic name. */
export function gateShareGroupHeartbeat(version: i16, request: ShareGroupHeartbeatRequest, authorizer: Authorizer): GateResult {
  return gateSubscribingHeartbeat(76, version, request.groupId, request.subscribedTopicNames, authorizer);
}
