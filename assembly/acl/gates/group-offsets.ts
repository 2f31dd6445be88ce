// Gates for the consumer-offset APIs: OffsetCommit (8), OffsetFetch (9), OffsetDelete (47).
// Kafka checks the group first (denied: every entry gets GROUP_AUTHORIZATION_FAILED),
// then each topic (denied: its partitions get TOPIC_AUTHORIZATION_FAILED).
import { Message } from "../../codec/message";
import {
  OffsetCommitRequest, OffsetCommitRequest_OffsetCommitRequestTopic,
} from "../../codec/generated/OffsetCommitRequest";
import {
  OffsetCommitResponse, OffsetCommitResponse_OffsetCommitResponsePartition, OffsetCommitResponse_OffsetCommitResponseTopic,
} from "../../codec/generated/OffsetCommitResponse";
import {
  OffsetFetchRequest, OffsetFetchRequest_OffsetFetchRequestGroup, OffsetFetchRequest_OffsetFetchRequestTopic,
  OffsetFetchRequest_OffsetFetchRequestTopics,
} from "../../codec/generated/OffsetFetchRequest";
import {
  OffsetFetchResponse, OffsetFetchResponse_OffsetFetchResponseGroup, OffsetFetchResponse_OffsetFetchResponsePartition,
  OffsetFetchResponse_OffsetFetchResponsePartitions, OffsetFetchResponse_OffsetFetchResponseTopic,
  OffsetFetchResponse_OffsetFetchResponseTopics,
} from "../../codec/generated/OffsetFetchResponse";
import { OffsetDeleteRequest, OffsetDeleteRequest_OffsetDeleteRequestTopic } from "../../codec/generated/OffsetDeleteRequest";
import {
  OffsetDeleteResponse, OffsetDeleteResponse_OffsetDeleteResponsePartition, OffsetDeleteResponse_OffsetDeleteResponseTopic,
} from "../../codec/generated/OffsetDeleteResponse";
import {
  Authorizer, GROUP_AUTHORIZATION_FAILED, GateResult, Operation, ResourceType, ResponseMerger,
} from "../model";
import { topicIdError, topicIdListable, topicNameError } from "./group-common";
import { deniedFirst } from "./merge-order";

// ---- OffsetCommit (8) ------------------------------------------------------------------

function offsetCommitTopicResult(topic: OffsetCommitRequest_OffsetCommitRequestTopic, code: i16): OffsetCommitResponse_OffsetCommitResponseTopic {
  const result = new OffsetCommitResponse_OffsetCommitResponseTopic();
  result.name = topic.name;
  result.topicId = topic.topicId;
  const partitions = topic.partitions;
  for (let i = 0, n = partitions.length; i < n; i++) {
    const p = new OffsetCommitResponse_OffsetCommitResponsePartition();
    p.partitionIndex = unchecked(partitions[i]).partitionIndex;
    p.errorCode = code;
    result.partitions.push(p);
  }
  return result;
}

/** Kafka's response builder holds the refused topics before it merges in the coordinator's answer. */
class PrependOffsetCommitTopics extends ResponseMerger {
  constructor(private denied: Array<OffsetCommitResponse_OffsetCommitResponseTopic>) { super(); }
  merge(response: Message): void {
    const committed = changetype<OffsetCommitResponse>(response);
    committed.topics = deniedFirst(this.denied, committed.topics);
  }
}

/**
 * OffsetCommit (8): Read on the group, else every partition answers
 * GROUP_AUTHORIZATION_FAILED; then Read per topic (by id from v10, OffsetCommitRequest.json),
 * denied topics answered per partition before the coordinator's topics.
 */
export function gateOffsetCommit(version: i16, request: OffsetCommitRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  if (!authorizer.allowed(ResourceType.Group, request.groupId, Operation.Read, true)) {
    const response = new OffsetCommitResponse();
    for (let i = 0, n = topics.length; i < n; i++) {
      response.topics.push(offsetCommitTopicResult(unchecked(topics[i]), GROUP_AUTHORIZATION_FAILED));
    }
    return GateResult.deny(response);
  }
  const byId = version >= 10;
  const kept = new Array<OffsetCommitRequest_OffsetCommitRequestTopic>();
  const denied = new Array<OffsetCommitResponse_OffsetCommitResponseTopic>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = byId ? topicIdError(authorizer, topic.topicId, Operation.Read) : topicNameError(authorizer, topic.name, Operation.Read);
    if (code == 0) kept.push(topic);
    else denied.push(offsetCommitTopicResult(topic, code));
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    // Kafka answers without asking the coordinator when no topic is left.
    const response = new OffsetCommitResponse();
    response.topics = denied;
    return GateResult.deny(response);
  }
  request.topics = kept;
  return GateResult.rewrite(request, new PrependOffsetCommitTopics(denied));
}

// ---- OffsetFetch (9) -------------------------------------------------------------------

function offsetFetchPartition(partitionIndex: i32, code: i16): OffsetFetchResponse_OffsetFetchResponsePartition {
  const p = new OffsetFetchResponse_OffsetFetchResponsePartition();
  p.partitionIndex = partitionIndex;
  p.committedOffset = -1;
  p.errorCode = code;
  return p;
}

function offsetFetchTopicResult(topic: OffsetFetchRequest_OffsetFetchRequestTopic, code: i16): OffsetFetchResponse_OffsetFetchResponseTopic {
  const result = new OffsetFetchResponse_OffsetFetchResponseTopic();
  result.name = topic.name;
  const indexes = topic.partitionIndexes;
  for (let i = 0, n = indexes.length; i < n; i++) result.partitions.push(offsetFetchPartition(unchecked(indexes[i]), code));
  return result;
}

function offsetFetchTopicsResult(topic: OffsetFetchRequest_OffsetFetchRequestTopics, code: i16): OffsetFetchResponse_OffsetFetchResponseTopics {
  const result = new OffsetFetchResponse_OffsetFetchResponseTopics();
  result.name = topic.name;
  result.topicId = topic.topicId;
  const indexes = topic.partitionIndexes;
  for (let i = 0, n = indexes.length; i < n; i++) {
    const p = new OffsetFetchResponse_OffsetFetchResponsePartitions();
    p.partitionIndex = unchecked(indexes[i]);
    p.committedOffset = -1;
    p.errorCode = code;
    result.partitions.push(p);
  }
  return result;
}

/** v1-7: one group. Quietly drops undescribable topics when all were asked, appends denied ones. */
class MergeOffsetFetchSingleGroup extends ResponseMerger {
  constructor(private authorizer: Authorizer, private allTopics: bool,
              private denied: Array<OffsetFetchResponse_OffsetFetchResponseTopic>) { super(); }
  merge(response: Message): void {
    const fetched = changetype<OffsetFetchResponse>(response);
    if (this.allTopics) {
      const shown = new Array<OffsetFetchResponse_OffsetFetchResponseTopic>();
      const topics = fetched.topics;
      for (let i = 0, n = topics.length; i < n; i++) {
        const topic = unchecked(topics[i]);
        if (this.authorizer.allowed(ResourceType.Topic, topic.name, Operation.Describe, false)) shown.push(topic);
      }
      fetched.topics = shown;
    }
    for (let i = 0, n = this.denied.length; i < n; i++) fetched.topics.push(unchecked(this.denied[i]));
  }
}

function gateOffsetFetchSingleGroup(version: i16, request: OffsetFetchRequest, authorizer: Authorizer): GateResult {
  const topics = request.topics;
  if (!authorizer.allowed(ResourceType.Group, request.groupId, Operation.Describe, true)) {
    const response = new OffsetFetchResponse();
    if (!response.setTopLevelErrorCode(version, GROUP_AUTHORIZATION_FAILED) && topics !== null) {
      // v1 has no top-level error: each requested partition carries it.
      for (let i = 0, n = topics.length; i < n; i++) {
        response.topics.push(offsetFetchTopicResult(unchecked(topics[i]), GROUP_AUTHORIZATION_FAILED));
      }
    }
    return GateResult.deny(response);
  }
  if (topics === null) {
    return GateResult.passAndMerge(new MergeOffsetFetchSingleGroup(authorizer, true, new Array<OffsetFetchResponse_OffsetFetchResponseTopic>()));
  }
  const kept = new Array<OffsetFetchRequest_OffsetFetchRequestTopic>();
  const denied = new Array<OffsetFetchResponse_OffsetFetchResponseTopic>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = topicNameError(authorizer, topic.name, Operation.Describe);
    if (code == 0) kept.push(topic);
    else denied.push(offsetFetchTopicResult(topic, code));
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = new OffsetFetchResponse();
    response.topics = denied;
    return GateResult.deny(response);
  }
  request.topics = kept;
  return GateResult.rewrite(request, new MergeOffsetFetchSingleGroup(authorizer, false, denied));
}

/** What the v8+ merger does for one forwarded group. */
class OffsetFetchGroupPlan {
  constructor(public groupId: string, public allTopics: bool,
              public denied: Array<OffsetFetchResponse_OffsetFetchResponseTopics>) {}
}

class MergeOffsetFetchGroups extends ResponseMerger {
  constructor(private authorizer: Authorizer, private byId: bool, private plans: Array<OffsetFetchGroupPlan>,
              private deniedGroups: Array<OffsetFetchResponse_OffsetFetchResponseGroup>) { super(); }

  merge(response: Message): void {
    const groups = changetype<OffsetFetchResponse>(response).groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      const plan = this.planFor(group.groupId);
      if (plan === null) continue;
      if (plan.allTopics) this.dropUndescribable(group);
      for (let j = 0, m = plan.denied.length; j < m; j++) group.topics.push(unchecked(plan.denied[j]));
    }
    for (let i = 0, n = this.deniedGroups.length; i < n; i++) groups.push(unchecked(this.deniedGroups[i]));
  }

  private planFor(groupId: string): OffsetFetchGroupPlan | null {
    for (let i = 0, n = this.plans.length; i < n; i++) {
      const plan = unchecked(this.plans[i]);
      if (plan.groupId == groupId) return plan;
    }
    return null;
  }

  private dropUndescribable(group: OffsetFetchResponse_OffsetFetchResponseGroup): void {
    const shown = new Array<OffsetFetchResponse_OffsetFetchResponseTopics>();
    const topics = group.topics;
    for (let i = 0, n = topics.length; i < n; i++) {
      const topic = unchecked(topics[i]);
      const visible = this.byId
        ? topicIdListable(this.authorizer, topic.topicId, Operation.Describe)
        : this.authorizer.allowed(ResourceType.Topic, topic.name, Operation.Describe, false);
      if (visible) shown.push(topic);
    }
    group.topics = shown;
  }
}

function gateOffsetFetchGroups(version: i16, request: OffsetFetchRequest, authorizer: Authorizer): GateResult {
  const byId = version >= 10;
  const groups = request.groups;
  const kept = new Array<OffsetFetchRequest_OffsetFetchRequestGroup>();
  const plans = new Array<OffsetFetchGroupPlan>();
  const deniedGroups = new Array<OffsetFetchResponse_OffsetFetchResponseGroup>();
  let anyDeniedTopic = false;
  let anyAllTopics = false;
  for (let i = 0, n = groups.length; i < n; i++) {
    const group = unchecked(groups[i]);
    if (!authorizer.allowed(ResourceType.Group, group.groupId, Operation.Describe, true)) {
      const result = new OffsetFetchResponse_OffsetFetchResponseGroup();
      result.groupId = group.groupId;
      result.errorCode = GROUP_AUTHORIZATION_FAILED;
      deniedGroups.push(result);
      continue;
    }
    kept.push(group);
    const topics = group.topics;
    const denied = new Array<OffsetFetchResponse_OffsetFetchResponseTopics>();
    if (topics === null) {
      anyAllTopics = true;
    } else {
      const keptTopics = new Array<OffsetFetchRequest_OffsetFetchRequestTopics>();
      for (let j = 0, m = topics.length; j < m; j++) {
        const topic = unchecked(topics[j]);
        const code = byId ? topicIdError(authorizer, topic.topicId, Operation.Describe) : topicNameError(authorizer, topic.name, Operation.Describe);
        if (code == 0) keptTopics.push(topic);
        else denied.push(offsetFetchTopicsResult(topic, code));
      }
      if (denied.length > 0) {
        anyDeniedTopic = true;
        group.topics = keptTopics;
      }
    }
    plans.push(new OffsetFetchGroupPlan(group.groupId, topics === null, denied));
  }
  const merger = new MergeOffsetFetchGroups(authorizer, byId, plans, deniedGroups);
  if (kept.length == 0) {
    const response = new OffsetFetchResponse();
    response.groups = deniedGroups;
    return GateResult.deny(response);
  }
  if (deniedGroups.length == 0 && !anyDeniedTopic) {
    return anyAllTopics ? GateResult.passAndMerge(merger) : GateResult.pass();
  }
  request.groups = kept;
  return GateResult.rewrite(request, merger);
}

/**
 * OffsetFetch (9): v8+ name several groups (KIP-709), earlier versions one; Describe on
 * each group and Describe on each named topic (by id from v10), denied entries answered
 * in Kafka's shape; an all-topics fetch is filtered quietly.
 */
export function gateOffsetFetch(version: i16, request: OffsetFetchRequest, authorizer: Authorizer): GateResult {
  return version >= 8 ? gateOffsetFetchGroups(version, request, authorizer) : gateOffsetFetchSingleGroup(version, request, authorizer);
}

// ---- OffsetDelete (47) -----------------------------------------------------------------

function offsetDeleteTopicResult(topic: OffsetDeleteRequest_OffsetDeleteRequestTopic, code: i16): OffsetDeleteResponse_OffsetDeleteResponseTopic {
  const result = new OffsetDeleteResponse_OffsetDeleteResponseTopic();
  result.name = topic.name;
  const partitions = topic.partitions;
  for (let i = 0, n = partitions.length; i < n; i++) {
    const p = new OffsetDeleteResponse_OffsetDeleteResponsePartition();
    p.partitionIndex = unchecked(partitions[i]).partitionIndex;
    p.errorCode = code;
    result.partitions.push(p);
  }
  return result;
}

/** As OffsetCommit: the refused topics come before the coordinator's answer. */
class PrependOffsetDeleteTopics extends ResponseMerger {
  constructor(private denied: Array<OffsetDeleteResponse_OffsetDeleteResponseTopic>) { super(); }
  merge(response: Message): void {
    const deleted = changetype<OffsetDeleteResponse>(response);
    deleted.topics = deniedFirst(this.denied, deleted.topics);
  }
}

/**
 * OffsetDelete (47): Delete on the group, else GROUP_AUTHORIZATION_FAILED at the top level;
 * then Read per topic, denied topics answered per partition before the coordinator's.
 */
export function gateOffsetDelete(request: OffsetDeleteRequest, authorizer: Authorizer): GateResult {
  if (!authorizer.allowed(ResourceType.Group, request.groupId, Operation.Delete, true)) {
    const response = new OffsetDeleteResponse();
    response.errorCode = GROUP_AUTHORIZATION_FAILED;
    return GateResult.deny(response);
  }
  const topics = request.topics;
  const kept = new Array<OffsetDeleteRequest_OffsetDeleteRequestTopic>();
  const denied = new Array<OffsetDeleteResponse_OffsetDeleteResponseTopic>();
  for (let i = 0, n = topics.length; i < n; i++) {
    const topic = unchecked(topics[i]);
    const code = topicNameError(authorizer, topic.name, Operation.Read);
    if (code == 0) kept.push(topic);
    else denied.push(offsetDeleteTopicResult(topic, code));
  }
  if (denied.length == 0) return GateResult.pass();
  // Kafka still asks the coordinator with no topic left: the group's own errors
  // (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...) come back at the top level.
  request.topics = kept;
  return GateResult.rewrite(request, new PrependOffsetDeleteTopics(denied));
}
