// Gates for share groups (KIP-932: ShareFetch 78, ShareAcknowledge 79, the share-group
// offset admin APIs 90-92) and streams groups (KIP-1071: StreamsGroupHeartbeat 88).
import { Message } from "../../codec/message";
import { ShareFetchRequest } from "../../codec/generated/ShareFetchRequest";
import { ShareAcknowledgeRequest } from "../../codec/generated/ShareAcknowledgeRequest";
import { DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsRequest_DescribeShareGroupOffsetsRequestGroup } from "../../codec/generated/DescribeShareGroupOffsetsRequest";
import {
  DescribeShareGroupOffsetsResponse, DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseGroup,
  DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseTopic,
} from "../../codec/generated/DescribeShareGroupOffsetsResponse";
import { AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestTopic } from "../../codec/generated/AlterShareGroupOffsetsRequest";
import {
  AlterShareGroupOffsetsResponse, AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponsePartition,
  AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic,
} from "../../codec/generated/AlterShareGroupOffsetsResponse";
import { DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsRequest_DeleteShareGroupOffsetsRequestTopic } from "../../codec/generated/DeleteShareGroupOffsetsRequest";
import {
  DeleteShareGroupOffsetsResponse, DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic,
} from "../../codec/generated/DeleteShareGroupOffsetsResponse";
import {
  Authorizer, GROUP_AUTHORIZATION_FAILED, GateResult, Operation, ResourceType, ResponseMerger, TOPIC_AUTHORIZATION_FAILED,
} from "../model";
import { denyTopLevel, topicIdError, topicNameError } from "./group-common";
import { gateGroupRead } from "./group-membership";

function denyWhole(apiKey: i16, version: i16, code: i16): GateResult {
  const denied = denyTopLevel(apiKey, version, code);
  return denied !== null ? denied : GateResult.deny(null);
}

// ---- ShareFetch (78), ShareAcknowledge (79) --------------------------------------------

/** ShareFetch (78, KIP-932): see gateShareSession; any denied topic refuses the whole request. */
export function gateShareFetch(version: i16, request: ShareFetchRequest, authorizer: Authorizer): GateResult {
  return gateShareSession<ShareFetchRequest>(78, version, request, authorizer);
}

/** ShareAcknowledge (79, KIP-932): see gateShareSession; any denied topic refuses the whole request. */
export function gateShareAcknowledge(version: i16, request: ShareAcknowledgeRequest, authorizer: Authorizer): GateResult {
  return gateShareSession<ShareAcknowledgeRequest>(79, version, request, authorizer);
}

/**
 * Read on the group, then Read on every topic (named by id). Kafka answers a denied
 * topic per partition and serves the rest; the share session makes a partial rewrite
 * unsafe here, so any denied or unknown topic refuses the whole request with
 * TOPIC_AUTHORIZATION_FAILED at the top level (fail closed, documented). ShareFetch and
 * ShareAcknowledge name the group and topics alike, so this template serves both.
 */
function gateShareSession<Request>(apiKey: i16, version: i16, request: Request, authorizer: Authorizer): GateResult {
  const group = gateGroupRead(apiKey, version, request.groupId, authorizer);
  if (group.verdict != 0) return group;
  let allowed = true;
  for (let i = 0, n = request.topics.length; i < n; i++) {
    if (topicIdError(authorizer, unchecked(request.topics[i]).topicId, Operation.Read) != 0) allowed = false;
  }
  return allowed ? GateResult.pass() : denyWhole(apiKey, version, TOPIC_AUTHORIZATION_FAILED);
}

// ---- DescribeShareGroupOffsets (90) ----------------------------------------------------

/**
 * Appends the denied groups and quietly drops, from every forwarded group, topics the
 * principal may not Describe (what Kafka does when all topics were asked for).
 */
class MergeShareGroupOffsets extends ResponseMerger {
  constructor(private authorizer: Authorizer, private denied: Array<DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseGroup>) { super(); }
  merge(response: Message): void {
    const groups = changetype<DescribeShareGroupOffsetsResponse>(response).groups;
    for (let i = 0, n = groups.length; i < n; i++) {
      const group = unchecked(groups[i]);
      const shown = new Array<DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseTopic>();
      for (let j = 0, m = group.topics.length; j < m; j++) {
        const topic = unchecked(group.topics[j]);
        if (this.authorizer.allowed(ResourceType.Topic, topic.topicName, Operation.Describe, false)) shown.push(topic);
      }
      group.topics = shown;
    }
    for (let i = 0, n = this.denied.length; i < n; i++) groups.push(unchecked(this.denied[i]));
  }
}

/**
 * Describe on each group (GROUP_AUTHORIZATION_FAILED per group). An explicitly named topic
 * the principal may not Describe fails its whole group with TOPIC_AUTHORIZATION_FAILED
 * (Kafka answers that per partition; approximated, fail closed).
 */
export function gateDescribeShareGroupOffsets(request: DescribeShareGroupOffsetsRequest, authorizer: Authorizer): GateResult {
  const groups = request.groups;
  const kept = new Array<DescribeShareGroupOffsetsRequest_DescribeShareGroupOffsetsRequestGroup>();
  const denied = new Array<DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseGroup>();
  for (let i = 0, n = groups.length; i < n; i++) {
    const group = unchecked(groups[i]);
    let code: i16 = authorizer.allowed(ResourceType.Group, group.groupId, Operation.Describe, true) ? 0 : GROUP_AUTHORIZATION_FAILED;
    const topics = group.topics;
    if (code == 0 && topics !== null) {
      for (let j = 0, m = topics.length; j < m; j++) {
        if (topicNameError(authorizer, unchecked(topics[j]).topicName, Operation.Describe) != 0) code = TOPIC_AUTHORIZATION_FAILED;
      }
    }
    if (code == 0) {
      kept.push(group);
    } else {
      const result = new DescribeShareGroupOffsetsResponse_DescribeShareGroupOffsetsResponseGroup();
      result.groupId = group.groupId;
      result.errorCode = code;
      denied.push(result);
    }
  }
  if (kept.length == 0 && denied.length > 0) {
    const response = new DescribeShareGroupOffsetsResponse();
    response.groups = denied;
    return GateResult.deny(response);
  }
  const merger = new MergeShareGroupOffsets(authorizer, denied);
  if (denied.length == 0) return GateResult.passAndMerge(merger);
  request.groups = kept;
  return GateResult.rewrite(request, merger);
}

// ---- AlterShareGroupOffsets (91), DeleteShareGroupOffsets (92) ------------------------

/** Read on the group (top level), Read on each topic (per partition); the rest is forwarded. */
export function gateAlterShareGroupOffsets(request: AlterShareGroupOffsetsRequest, authorizer: Authorizer): GateResult {
  return gateShareGroupTopics<
    AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestTopic,
    AlterShareGroupOffsetsResponse, AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic
  >(request, authorizer, Operation.Read, deniedAlteredShareTopic);
}

function deniedAlteredShareTopic(
  topic: AlterShareGroupOffsetsRequest_AlterShareGroupOffsetsRequestTopic, code: i16,
): AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic {
  const result = new AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponseTopic();
  result.topicName = topic.topicName;
  for (let j = 0, m = topic.partitions.length; j < m; j++) {
    const p = new AlterShareGroupOffsetsResponse_AlterShareGroupOffsetsResponsePartition();
    p.partitionIndex = unchecked(topic.partitions[j]).partitionIndex;
    p.errorCode = code;
    result.partitions.push(p);
  }
  return result;
}

/** Delete on the group (top level), Read on each topic (per topic); the rest is forwarded. */
export function gateDeleteShareGroupOffsets(request: DeleteShareGroupOffsetsRequest, authorizer: Authorizer): GateResult {
  return gateShareGroupTopics<
    DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsRequest_DeleteShareGroupOffsetsRequestTopic,
    DeleteShareGroupOffsetsResponse, DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic
  >(request, authorizer, Operation.Delete, deniedDeletedShareTopic);
}

function deniedDeletedShareTopic(
  topic: DeleteShareGroupOffsetsRequest_DeleteShareGroupOffsetsRequestTopic, code: i16,
): DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic {
  const result = new DeleteShareGroupOffsetsResponse_DeleteShareGroupOffsetsResponseTopic();
  result.topicName = topic.topicName;
  result.errorCode = code;
  return result;
}

/**
 * The shape the two share-group offset writes share (compiled per API): `groupOperation`
 * on the group or the whole request is refused at the top level; Read on each topic,
 * a denied topic answered by `deniedTopic` and merged into the broker's response.
 */
function gateShareGroupTopics<Request, Topic, Response, TopicResult>(
  request: Request, authorizer: Authorizer, groupOperation: Operation, deniedTopic: (topic: Topic, code: i16) => TopicResult,
): GateResult {
  if (!authorizer.allowed(ResourceType.Group, request.groupId, groupOperation, true)) {
    const response = instantiate<Response>();
    response.errorCode = GROUP_AUTHORIZATION_FAILED;
    return GateResult.deny(response);
  }
  const kept = new Array<Topic>();
  const denied = new Array<TopicResult>();
  for (let i = 0, n = request.topics.length; i < n; i++) {
    const topic = unchecked(request.topics[i]);
    const code = topicNameError(authorizer, topic.topicName, Operation.Read);
    if (code == 0) {
      kept.push(topic);
      continue;
    }
    denied.push(deniedTopic(topic, code));
  }
  if (denied.length == 0) return GateResult.pass();
  if (kept.length == 0) {
    const response = instantiate<Response>();
    response.responses = denied;
    return GateResult.deny(response);
  }
  request.topics = kept;
  return GateResult.rewrite(request, new AppendDeniedShareTopics<Response, TopicResult>(denied));
}

class AppendDeniedShareTopics<Response, TopicResult> extends ResponseMerger {
  constructor(private denied: Array<TopicResult>) { super(); }
  merge(response: Message): void {
    const topics = changetype<Response>(response).responses;
    for (let i = 0, n = this.denied.length; i < n; i++) topics.push(unchecked(this.denied[i]));
  }
}
